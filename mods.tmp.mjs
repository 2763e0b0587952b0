import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { loadConfig } = await import('./dist/src/config/load.js');
const { createLogger } = await import('./dist/src/log.js');
const { Agent } = await import('./dist/src/agent/agent.js');
const { agentModules } = await import('./dist/src/agent/modules.js');
const { DurableExporter } = await import('./dist/src/telemetry/delivery-exporter.js');
const argv = { dataDir: process.argv[2], apiListen: '127.0.0.1:0', exporter: [process.argv[3] ?? 'prometheus'], prometheusListen: '127.0.0.1:0', otlpEndpoint: 'http://127.0.0.1:1', logLevel: 'error' };
const config = loadConfig({ argv, env: {} });
const modules = agentModules(config);
const agent = new Agent({ config, log: createLogger({ level: 'error', format: 'text' }), modules, otlpExporter: modules.find((m) => m instanceof DurableExporter) });
await agent.start();
await new Promise((r) => setTimeout(r, 1500));
const counts = new Map();
for (const k of Object.keys(require.cache)) { const m = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(k); const n = m ? m[1] : k.replace(/.*dist\//, 'dist/'); counts.set(n, (counts.get(n) ?? 0) + 1); }
console.log('CJS', [...counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}:${v}`).join(' '));
process.exit(0);
