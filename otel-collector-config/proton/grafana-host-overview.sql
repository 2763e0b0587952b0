-- Timeplus Proton queries for the Host overview dashboard (deploy/grafana/dashboards/host-overview.json),
-- for the "Proton" data source (timeplus-proton-datasource) fed by `otel-sysmon bridge`. One query per
-- panel, each after a "-- panel: <title>" line naming the dashboard panel it feeds. Dashboard variables:
-- $host (host.name, multi-value), $core (cpu.logical_number, multi-value); $__from/$__to are Grafana's
-- time range in epoch milliseconds. table(...) reads the stored rows (a bounded, historical query).

-- panel: CPU busy
SELECT to_start_of_interval(timestamp, INTERVAL 15 SECOND) AS time, host_name,
       1 - avg(value) AS busy
FROM table(otel_metrics)
WHERE metric_name = 'system.cpu.utilization' AND attributes['cpu.mode'] = 'idle'
  AND host_name IN (${host:singlequote}) AND attributes['cpu.logical_number'] IN (${core:singlequote})
  AND timestamp BETWEEN to_datetime64($__from / 1000, 3) AND to_datetime64($__to / 1000, 3)
GROUP BY time, host_name
ORDER BY time;

-- panel: Average frequency
SELECT to_start_of_interval(timestamp, INTERVAL 15 SECOND) AS time, host_name, avg(value) AS average_hz
FROM table(otel_metrics)
WHERE metric_name = 'system.cpu.frequency'
  AND host_name IN (${host:singlequote}) AND attributes['cpu.logical_number'] IN (${core:singlequote})
  AND timestamp BETWEEN to_datetime64($__from / 1000, 3) AND to_datetime64($__to / 1000, 3)
GROUP BY time, host_name
ORDER BY time;

-- panel: Per-core utilization
SELECT timestamp AS time, concat(host_name, ' cpu', attributes['cpu.logical_number']) AS core, sum(value) AS busy
FROM table(otel_metrics)
WHERE metric_name = 'system.cpu.utilization' AND attributes['cpu.mode'] != 'idle'
  AND host_name IN (${host:singlequote}) AND attributes['cpu.logical_number'] IN (${core:singlequote})
  AND timestamp BETWEEN to_datetime64($__from / 1000, 3) AND to_datetime64($__to / 1000, 3)
GROUP BY time, core
ORDER BY time;

-- panel: Per-core frequency
SELECT c.timestamp AS time, concat(h.host_name, ' ', c.label) AS core, c.frequency_hz
FROM table(cpu_metrics) AS c
INNER JOIN (
  SELECT DISTINCT resource_attributes['host.id'] AS host_id, host_name
  FROM table(otel_metrics)
  WHERE host_name IN (${host:singlequote})
    AND timestamp BETWEEN to_datetime64($__from / 1000, 3) AND to_datetime64($__to / 1000, 3)
) AS h ON c.host_id = h.host_id
WHERE c.frequency_hz IS NOT NULL AND to_string(c.core_id) IN (${core:singlequote})
  AND c.timestamp BETWEEN to_datetime64($__from / 1000, 3) AND to_datetime64($__to / 1000, 3)
ORDER BY time;

-- panel: Memory used
SELECT to_start_of_interval(timestamp, INTERVAL 15 SECOND) AS time, host_name, max(value) AS used
FROM table(otel_metrics)
WHERE metric_name = 'system.memory.utilization' AND attributes['system.memory.state'] = 'used'
  AND host_name IN (${host:singlequote})
  AND timestamp BETWEEN to_datetime64($__from / 1000, 3) AND to_datetime64($__to / 1000, 3)
GROUP BY time, host_name
ORDER BY time;

-- panel: Load average
SELECT timestamp AS time, concat(host_name, ' ', metric_name) AS series, value
FROM table(otel_metrics)
WHERE metric_name IN ('system.cpu.load_average.1m', 'system.cpu.load_average.5m', 'system.cpu.load_average.15m')
  AND host_name IN (${host:singlequote})
  AND timestamp BETWEEN to_datetime64($__from / 1000, 3) AND to_datetime64($__to / 1000, 3)
ORDER BY time;

-- panel: Memory by state
SELECT timestamp AS time, concat(host_name, ' ', attributes['system.memory.state']) AS state, value AS bytes
FROM table(otel_metrics)
WHERE metric_name = 'system.memory.usage' AND host_name IN (${host:singlequote})
  AND timestamp BETWEEN to_datetime64($__from / 1000, 3) AND to_datetime64($__to / 1000, 3)
ORDER BY time;
