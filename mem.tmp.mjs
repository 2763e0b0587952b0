import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
const { loadConfig } = await import('./dist/src/config/load.js');
const { createLogger } = await import('./dist/src/log.js');
const { Agent } = await import('./dist/src/agent/agent.js');
const { agentModules } = await import('./dist/src/agent/modules.js');
const { DurableExporter } = await import('./dist/src/telemetry/delivery-exporter.js');
const argv = { dataDir: process.argv[2], apiListen: '127.0.0.1:0', exporter: [process.argv[3] ?? 'prometheus'], prometheusListen: '127.0.0.1:0', otlpEndpoint: 'http://127.0.0.1:1', logLevel: 'warn' };
const config = loadConfig({ argv, env: {} });
const log = createLogger({ level: 'warn', format: 'text' });
const modules = agentModules(config);
const otlpExporter = modules.find((m) => m instanceof DurableExporter);
const agent = new Agent({ config, log, modules, otlpExporter });
await agent.start();
setTimeout(() => {
  const mu = process.memoryUsage();
  const mb = (n) => (n / 1048576).toFixed(1);
  console.log('memoryUsage', Object.fromEntries(Object.entries(mu).map(([k, v]) => [k, mb(v)])));
  for (const s of v8.getHeapSpaceStatistics()) console.log('  space', s.space_name, 'used', mb(s.space_used_size), 'size', mb(s.space_size), 'phys', mb(s.physical_space_size));
  const smaps = readFileSync('/proc/self/smaps', 'utf8');
  const by = new Map(); let name = '';
  for (const line of smaps.split('\n')) {
    const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) { name = m[1] || '[anon]'; continue; }
    const r = /^Rss:\s+(\d+)/.exec(line); if (r) by.set(name, (by.get(name) ?? 0) + Number(r[1]));
  }
  console.log([...by].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${(v / 1024).toFixed(1)} ${k}`).join('\n'));
  console.log(readFileSync('/proc/self/status', 'utf8').split('\n').filter((l) => /VmRSS|VmHWM|RssAnon|RssFile|Threads/.test(l)).join(' | '));
  process.exit(0);
}, Number(process.argv[4] ?? 30000));
