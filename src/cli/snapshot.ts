// `otel-sysmon snapshot`: one collection printed to stdout (two readings --sample-window apart, so
// utilization has a delta). Exit 0 when at least one collector produced metrics, 1 when none did.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Argv, CommandModule } from 'yargs';
import type { OptionGroup } from '../config/options.js';
import { commandContext, handle, withOptions } from './options.js';

const GROUPS: readonly OptionGroup[] = ['host', 'log', 'collect', 'export', 'data'];

export const snapshotCommand: CommandModule = {
  command: 'snapshot',
  describe: 'Collect once and print every metric (table or the stable JSON shape)',
  builder: (y: Argv) =>
    withOptions(y, GROUPS).option('format', {
      choices: ['table', 'json'] as const,
      default: 'table',
      describe: 'Output format',
    }),
  handler: handle(async (argv: Record<string, unknown>) => {
    const { config, log } = commandContext(argv, GROUPS);
    const { hostCollectionFor } = await import('../collectors/index.js');
    const { snapshotDocument, snapshotTable } = await import('../snapshot.js');
    const { detectResource } = await import('../telemetry/resource.js');
    const host = hostCollectionFor(config, log);
    try {
      await host.collect();
      await sleep(config.sampleWindow);
      const collection = await host.collect();
      const resource = detectResource({
        serviceName: config.serviceName,
        rootfs: config.rootfs,
        dataDir: config.dataDir,
        readOnly: true,
        extra: config.resource,
      });
      const doc = snapshotDocument(collection, resource);
      process.stdout.write(argv.format === 'json' ? JSON.stringify(doc, null, 2) + '\n' : snapshotTable(doc));
      // "Worked" means some host metric came out: a collector that found nothing to report (no PSI)
      // did not fail, but neither did it prove the sources readable; nor do the agent's own process.* metrics.
      const produced = doc.metrics.some((m) => m.name !== 'sysmon.collector.errors' && !m.name.startsWith('process.'));
      return produced ? 0 : 1;
    } finally {
      host.close();
    }
  }),
};
