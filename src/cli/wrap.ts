// `otel-sysmon wrap [--name N] [--worker W] [--sample-interval 5s] [--shell] -- CMD ARGS…`
import { mkdirSync } from 'node:fs';
import { basename } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import type { WrapResult } from '../builds/wrap-run.js';
import { ConfigError } from '../config/load.js';
import { durationWithin, MAX_TIMER_MS, parseDuration, ValueError } from '../config/values.js';
import { humanDuration } from '../ui/panel-format.js';
import { commandContext, handle, withOptions } from './options.js';

interface WrapArgs {
  name?: string;
  worker?: string;
  'sample-interval': string;
  shell: boolean;
  _: (string | number)[];
  '--'?: (string | number)[];
  [key: string]: unknown;
}

function sampleInterval(raw: string): number {
  try {
    return durationWithin(parseDuration(raw), 1000, MAX_TIMER_MS, '1s');
  } catch (err) {
    if (!(err instanceof ValueError)) throw err;
    const expected = err.expected.startsWith('a duration of at most') ? err.expected : 'a duration of at least 1s';
    throw new ConfigError(`invalid sample-interval=${JSON.stringify(raw)}: expected ${expected}`);
  }
}

function checkId(flag: string, value: string, rule: { ID_PATTERN: RegExp; ID_EXPECTED: string }): string {
  if (!rule.ID_PATTERN.test(value)) {
    throw new ConfigError(`invalid ${flag}=${JSON.stringify(value)}: ${rule.ID_EXPECTED}`);
  }
  return value;
}

export function summaryLine(name: string, id: string, target: string, r: WrapResult): string {
  const took = r.durationMs < 60_000 ? `${(r.durationMs / 1000).toFixed(1)}s` : humanDuration(r.durationMs);
  const how = r.signal ? `killed by ${r.signal} (exit ${r.exitCode})` : `exited ${r.exitCode}`;
  const cpu = r.cpuSeconds === null ? 'CPU n/a' : `${r.cpuSeconds.toFixed(2)} CPU·s`;
  const mem = r.peakMemoryMb === null ? 'peak memory n/a' : `peak ${r.peakMemoryMb.toFixed(1)} MB`;
  return `otel-sysmon wrap: ${name} ${how} after ${took}, ${cpu}, ${mem}; build ${id} recorded in ${target}`;
}

export const wrapCommand: CommandModule<object, WrapArgs> = {
  command: 'wrap',
  describe: 'Run a command as a build: sample its process tree, report it to the agent, keep its exit code',
  builder: (y: Argv) =>
    withOptions(
      y
        .usage('$0 wrap [--name N] [--worker W] [--sample-interval 5s] [--shell] -- CMD ARGS…')
        .parserConfiguration({ 'populate--': true })
        .option('name', { type: 'string', describe: 'Build name (default: the command line)' })
        .option('worker', { type: 'string', describe: 'Worker id sent as X-Worker-Id' })
        .option('sample-interval', { type: 'string', default: '5s', describe: 'Time between process-tree samples (1s or more)' })
        .option('shell', { type: 'boolean', default: false, describe: 'Run CMD through /bin/sh -c' }),
      ['data', 'api'],
    ).alias('api-url', 'api') as unknown as Argv<WrapArgs>,
  handler: handle(async (argv: WrapArgs) => {
    const words = [...(argv['--'] ?? []), ...argv._.slice(1)].map(String);
    if (words.length === 0) throw new ConfigError('wrap needs a command after --, e.g. otel-sysmon wrap -- make -j4');
    const intervalMs = sampleInterval(argv['sample-interval']);
    // The API's own rule (builds/schemas.ts, with zod: loaded only when there is an id to check).
    const worker = argv.worker === undefined ? undefined : checkId('worker', argv.worker, await import('../builds/schemas.js'));
    const name = (argv.name ?? [basename(words[0]), ...words.slice(1)].join(' ')).slice(0, 256).trim() || words[0];
    const { config, log } = commandContext(argv, ['data', 'api']);
    const { randomBytes } = await import('node:crypto');
    const { resolveClientToken } = await import('../api/auth.js');
    const { ApiClient } = await import('../api/client.js');
    const { runWrapped } = await import('../builds/wrap-run.js');
    const { WrapReport } = await import('../builds/wrap-report.js');
    const token = resolveClientToken(config);
    log.redact(token);
    const id = `wrap-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const report = new WrapReport(
      { id, name, workerId: worker },
      new ApiClient({ baseUrl: config.apiUrl, token, timeoutMs: 3_000 }),
      async () => {
        const { BuildRepo } = await import('../store/builds.js');
        const { openStore, storePath } = await import('../store/store.js');
        mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
        return new BuildRepo(openStore(storePath(config.dataDir)));
      },
      log,
    );
    const result = await runWrapped({
      command: words,
      shell: argv.shell,
      sampleIntervalMs: intervalMs,
      report,
      log,
      interactive: process.stdin.isTTY === true,
    });
    if (result.startError) process.stderr.write(`otel-sysmon wrap: ${result.startError}\n`);
    process.stderr.write(summaryLine(name, id, report.target, result) + '\n');
    return result.exitCode;
  }),
};
