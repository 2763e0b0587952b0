// `otel-sysmon run`: the agent. Collects every --interval, exports, serves; SIGTERM/SIGINT flush and exit 0.
import type { Argv, CommandModule } from 'yargs';
import type { ApiModule } from '../api/module.js';
import type { OptionGroup } from '../config/options.js';
import type { DurableExporter as DurableExporterType } from '../telemetry/delivery-exporter.js';
import { commandContext, handle, withOptions } from './options.js';

const GROUPS: readonly OptionGroup[] = [
  'host',
  'log',
  'data',
  'collect',
  'export',
  'api',
  'builds',
  'spool',
  'quiet',
  'scheduler',
  'history',
  'ui',
];

export const runCommand: CommandModule = {
  command: 'run',
  describe: 'Run the agent: collect host and build metrics every interval and export them',
  builder: (y: Argv) => withOptions(y, GROUPS),
  handler: handle(async (argv: Record<string, unknown>) => {
    const { config, log } = commandContext(argv, GROUPS);
    const { Agent } = await import('../agent/agent.js');
    const { agentModules } = await import('../agent/modules.js');
    const { removeListenersFile, writeListenersFile } = await import('../agent/listeners-file.js');
    const { DurableExporter } = await import('../telemetry/delivery-exporter.js');
    const modules = agentModules(config);
    const otlpExporter = modules.find((m): m is DurableExporterType => m instanceof DurableExporter);
    const agent = new Agent({ config, log, modules, otlpExporter });
    await agent.start();
    const api = modules.find((m): m is ApiModule => m.name === 'api');
    try {
      writeListenersFile(agent.dataDir, {
        pid: process.pid,
        startedAt: new Date().toISOString(),
        exporters: config.exporter,
        api: api?.url ?? null,
        prometheus: agent.prometheusUrl ?? null,
      });
    } catch (err) {
      // A full or read-only data directory must not stop a running agent; only the healthcheck loses its file.
      log.warn('cannot write the listeners file: the container healthcheck will report unhealthy', { error: (err as Error).message });
    }
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    log.info('shutting down', { signal });
    // A second signal while flushing means "now".
    const hardExit = () => process.exit(1);
    process.once('SIGTERM', hardExit);
    process.once('SIGINT', hardExit);
    removeListenersFile(agent.dataDir);
    await agent.stop();
    // gRPC channels and keep-alive sockets may linger after shutdown: the flush is done, leave now.
    process.exit(0);
  }),
};
