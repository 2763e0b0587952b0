// Docker HEALTHCHECK for the otel-sysmon image: healthy when the agent's Prometheus endpoint answers a
// scrape that carries CPU time, i.e. the agent is up and its collections work.
// Usage: node healthcheck.mjs [URL]   (default: from SYSMON_EXPORTER and SYSMON_PROMETHEUS_LISTEN)
const TIMEOUT_MS = 4000;
const REQUIRED_SERIES = 'system_cpu_time_seconds_total';

function urlFromEnvironment() {
  const exporters = (process.env.SYSMON_EXPORTER ?? '').split(',').map((e) => e.trim());
  if (!exporters.includes('prometheus')) {
    throw new Error('the prometheus exporter is off (SYSMON_EXPORTER); enable it or disable the healthcheck');
  }
  const listen = process.env.SYSMON_PROMETHEUS_LISTEN || '127.0.0.1:9464';
  const colon = listen.lastIndexOf(':');
  const port = listen.slice(colon + 1);
  let host = colon > 0 ? listen.slice(0, colon) : '127.0.0.1';
  // A wildcard listener is reached through loopback.
  if (host === '0.0.0.0' || host === '' || host === '[::]' || host === '::') host = '127.0.0.1';
  return `http://${host}:${port}/metrics`;
}

let url;
try {
  url = process.argv[2] ?? urlFromEnvironment();
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  const body = await response.text();
  if (!response.ok) throw new Error(`answered ${response.status}`);
  if (!body.includes(REQUIRED_SERIES)) throw new Error(`has no ${REQUIRED_SERIES} series yet`);
  process.stdout.write(`healthy: ${url}\n`);
  process.exit(0);
} catch (err) {
  // fetch reports "fetch failed" and keeps the reason (ECONNREFUSED, timeout...) in `cause`.
  const reason = err instanceof Error ? (err.cause?.code ?? err.cause?.message ?? err.message) : String(err);
  process.stderr.write(`unhealthy: ${url ? `${url}: ` : ''}${reason}\n`);
  process.exit(1);
}
