// `otel-sysmon status`: dsynth's build panel from the running agent (--watch: every second on a
// TTY; --format json: /api/stats as is).
import type { Argv, CommandModule } from 'yargs';
import type { ApiClient } from '../api/client.js';
import type { BuildJson } from '../builds/json.js';
import type { StatsView } from '../builds/service.js';
import { commandContext, handle, withOptions } from './options.js';

interface StatusArgs {
  watch: boolean;
  format: 'panel' | 'json';
  [key: string]: unknown;
}

async function fetchPanel(client: ApiClient): Promise<{ stats: StatsView; running: BuildJson[] }> {
  const [stats, list] = await Promise.all([
    client.request<StatsView>('GET', '/api/stats'),
    client.request<{ builds: BuildJson[] }>('GET', '/api/builds?status=running&limit=1000'),
  ]);
  return { stats, running: list.builds };
}

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status',
  describe: 'Show the build panel (totals, rate, impulse, load, swap, workers) of the running agent',
  builder: (y: Argv) =>
    withOptions(
      y
        .option('watch', { type: 'boolean', default: false, describe: 'Refresh every second (on a terminal)' })
        .option('format', { choices: ['panel', 'json'] as const, default: 'panel' as const, describe: 'Output format' }),
      ['api'],
    ) as unknown as Argv<StatusArgs>,
  handler: handle(async (argv: StatusArgs) => {
    const { config } = commandContext(argv, ['api']);
    const { AgentUnreachableError, ApiClient } = await import('../api/client.js');
    const client = new ApiClient({ baseUrl: config.apiUrl, timeoutMs: 3_000 });
    const explain = (err: unknown): never => {
      if (err instanceof AgentUnreachableError) throw new Error(`${err.message}: is \`otel-sysmon run\` running?`);
      throw err;
    };
    if (argv.format === 'json') {
      const stats = await client.request<StatsView>('GET', '/api/stats').catch(explain);
      process.stdout.write(JSON.stringify(stats, null, 2) + '\n');
      return 0;
    }
    const { renderPanel } = await import('../ui/panel.js');
    const draw = async (): Promise<string> => {
      const { stats, running } = await fetchPanel(client).catch(explain);
      return renderPanel(stats, running, Date.now()).join('\n') + '\n';
    };
    if (!argv.watch || !process.stdout.isTTY) {
      process.stdout.write(await draw());
      return 0;
    }
    let stop = false;
    const onInt = (): void => {
      stop = true;
    };
    process.once('SIGINT', onInt);
    while (!stop) {
      const text = await draw();
      process.stdout.write('\x1b[H\x1b[2J' + text);
      await new Promise((r) => setTimeout(r, 1000));
    }
    return 0;
  }),
};
