// Docker HEALTHCHECK for the otel-sysmon image: healthy when the running agent answers at the addresses it
// wrote to <data dir>/listeners.json when it started (whatever flags, environment or port 0 chose them):
// its local API has a collection, and its Prometheus endpoint, when on, serves CPU time.
// Usage: node healthcheck.mjs [LISTENERS_FILE]   (default: $SYSMON_DATA_DIR/listeners.json)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const TIMEOUT_MS = 4000;
const REQUIRED_SERIES = 'system_cpu_time_seconds_total';

/** A wildcard listener (0.0.0.0, ::) is reached through loopback. */
function reachable(url) {
  const u = new URL(url);
  if (u.hostname === '0.0.0.0') u.hostname = '127.0.0.1';
  if (u.hostname === '[::]') u.hostname = '[::1]';
  return u.toString();
}

async function get(url) {
  let response;
  let body;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    body = await response.text();
  } catch (err) {
    // fetch reports "fetch failed" and keeps the reason (ECONNREFUSED, timeout...) in `cause`.
    throw new Error(`${url}: ${err.cause?.code ?? err.cause?.message ?? err.message}`);
  }
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return body;
}

function readListeners(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: ${err.code ?? err.message}: the agent is not running (or runs with another --data-dir)`);
  }
  const listeners = JSON.parse(text);
  try {
    process.kill(listeners.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    if (err.code !== 'EPERM') throw new Error(`${file}: agent process ${listeners.pid} is gone`);
  }
  return listeners;
}

const file = process.argv[2] ?? join(process.env.SYSMON_DATA_DIR || '/var/lib/otel-sysmon', 'listeners.json');
try {
  const listeners = readListeners(file);
  const checked = [];
  if (listeners.api) {
    const url = reachable(`${listeners.api}/api/system-stats/current`);
    const current = JSON.parse(await get(url));
    if (!current.collected_at) throw new Error(`${url}: no collection yet`);
    checked.push(url);
  }
  if (listeners.prometheus) {
    const url = reachable(listeners.prometheus);
    if (!(await get(url)).includes(REQUIRED_SERIES)) throw new Error(`${url} has no ${REQUIRED_SERIES} series yet`);
    checked.push(url);
  }
  if (checked.length === 0) throw new Error(`${file} lists no API and no Prometheus endpoint to ask`);
  process.stdout.write(`healthy: ${checked.join(', ')}\n`);
  process.exit(0);
} catch (err) {
  process.stderr.write(`unhealthy: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
