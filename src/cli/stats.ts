// `otel-sysmon stats`: all-time build totals for people (`2y 280d`, `9.60B CPU·s`), from the
// running agent or, when none answers, from the store file.
import { existsSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import type { StatsView } from '../builds/service.js';
import { grouped, humanCount, humanDuration } from '../ui/panel-format.js';
import { commandContext, handle, withOptions } from './options.js';

export interface AllTimeTotals {
  readonly built: number;
  readonly failed: number;
  readonly ignored: number;
  readonly skipped: number;
  readonly totalBuildTimeMs: number;
  readonly totalCpuSeconds: number;
}

export function formatTotals(t: AllTimeTotals): string[] {
  const finished = t.built + t.failed + t.ignored + t.skipped;
  return [
    `Builds      ${grouped(finished)} finished (${grouped(t.built)} built, ${grouped(t.failed)} failed, ` +
      `${grouped(t.ignored)} ignored, ${grouped(t.skipped)} skipped)`,
    `Build time  ${humanDuration(t.totalBuildTimeMs)}`,
    `CPU time    ${humanCount(t.totalCpuSeconds)} CPU·s`,
  ];
}

interface StatsArgs {
  format: 'text' | 'json';
  [key: string]: unknown;
}

export const statsCommand: CommandModule<object, StatsArgs> = {
  command: 'stats',
  describe: 'Print all-time build totals: builds, build time, CPU-seconds',
  builder: (y: Argv) =>
    withOptions(
      y.option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format' }),
      ['data', 'api'],
    ) as unknown as Argv<StatsArgs>,
  handler: handle(async (argv: StatsArgs) => {
    const { config } = commandContext(argv, ['data', 'api']);
    const { AgentUnreachableError, ApiClient } = await import('../api/client.js');
    let totals: AllTimeTotals;
    try {
      const s = await new ApiClient({ baseUrl: config.apiUrl, timeoutMs: 3_000 }).request<StatsView>('GET', '/api/stats');
      totals = { ...s.allTime, totalBuildTimeMs: s.totalBuildTimeMs, totalCpuSeconds: s.totalCpuSeconds };
    } catch (err) {
      const { openStore, storePath } = await import('../store/store.js');
      const { BuildRepo } = await import('../store/builds.js');
      const file = storePath(config.dataDir);
      if (!(err instanceof AgentUnreachableError) || !existsSync(file)) throw err;
      const db = openStore(file);
      const t = new BuildRepo(db).totals();
      db.close();
      totals = {
        built: t.success,
        failed: t.failed,
        ignored: t.ignored,
        skipped: t.skipped,
        totalBuildTimeMs: t.buildTimeMs,
        totalCpuSeconds: t.cpuSeconds,
      };
    }
    process.stdout.write(argv.format === 'json' ? JSON.stringify(totals, null, 2) + '\n' : formatTotals(totals).join('\n') + '\n');
    return 0;
  }),
};
