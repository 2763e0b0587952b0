// `otel-sysmon lease run|status|revoke`: heavy work under a lease from the running agent's scheduler.
import { basename } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { ConfigError } from '../config/load.js';
import { durationWithin, parseDuration, ValueError } from '../config/values.js';
import { EXIT_NO_LEASE, EXIT_REVOKED, EXIT_UNREACHABLE } from '../scheduler/lease-exit.js';
import type { HeavyLeaseRequestBody } from '../scheduler/schemas.js';
import type { StatusAnswer } from '../scheduler/status-format.js';
import { commandContext, handle, withOptions } from './options.js';

interface RunArgs {
  cost: number;
  priority: string;
  'job-type'?: string;
  addon: string;
  wait: boolean;
  timeout: string;
  grace: string;
  _: (string | number)[];
  '--'?: (string | number)[];
  [key: string]: unknown;
}

function durationFlag(flag: string, raw: string): number {
  try {
    return durationWithin(parseDuration(raw), 0);
  } catch (err) {
    if (err instanceof ValueError) throw new ConfigError(`invalid ${flag}=${JSON.stringify(raw)}: expected ${err.expected}`);
    throw err;
  }
}

/** Checks the request as the agent will (the same schema), so a typo exits 2 before anything runs. */
async function leaseRequest(argv: RunArgs, words: readonly string[]): Promise<HeavyLeaseRequestBody> {
  const { HeavyLeaseRequest } = await import('../scheduler/schemas.js');
  const body = {
    addon_id: argv.addon,
    job_type: argv['job-type'] ?? basename(words[0]).slice(0, 128),
    cost_units: argv.cost,
    priority: argv.priority,
    wait: argv.wait,
  };
  const checked = HeavyLeaseRequest.safeParse(body);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const flag = { addon_id: 'addon', job_type: 'job-type', cost_units: 'cost', priority: 'priority' }[String(issue.path[0])];
    throw new ConfigError(`invalid ${flag ?? String(issue.path[0])}=${JSON.stringify(argv[flag ?? ''] ?? '')}: ${issue.message}`);
  }
  return body;
}

async function clients(argv: Record<string, unknown>) {
  const { config, log } = commandContext(argv, ['data', 'api']);
  const { resolveClientToken } = await import('../api/auth.js');
  const { ApiClient } = await import('../api/client.js');
  const token = resolveClientToken(config);
  log.redact(token);
  return {
    client: new ApiClient({ baseUrl: config.apiUrl, token, timeoutMs: 5_000 }),
    // Long polls hold for up to 25 s.
    pollClient: new ApiClient({ baseUrl: config.apiUrl, token, timeoutMs: 35_000 }),
  };
}

const explain = async (err: unknown): Promise<never> => {
  const { AgentUnreachableError } = await import('../api/client.js');
  if (err instanceof AgentUnreachableError) throw new Error(`${err.message}: is \`otel-sysmon run\` running?`);
  throw err;
};

const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe: 'Run a command under a heavy-work lease (wait for one, heartbeat, release on exit)',
  builder: (y: Argv) =>
    withOptions(
      y
        .usage('$0 lease run --cost N [--priority P] [--job-type T] [--addon A] [--wait] [--timeout D] -- CMD ARGS…')
        // Everything after -- is the command. (halt-at-non-option, as wrap uses, would stop at "lease".)
        .parserConfiguration({ 'populate--': true })
        .option('cost', { type: 'number', demandOption: true, describe: 'Cost units of the work, 1 to 100' })
        .option('priority', { type: 'string', default: 'NORMAL', describe: 'LOW, NORMAL or HIGH (any case); HIGH may run when the host is not QUIET' })
        .option('job-type', { type: 'string', describe: 'Job type shown in the scheduler (default: the command name)' })
        .option('addon', { type: 'string', default: 'cli', describe: 'addon_id the lease is accounted to' })
        .option('wait', { type: 'boolean', default: false, describe: "Join the agent's wait queue instead of retrying" })
        .option('timeout', { type: 'string', default: '1h', describe: 'Give up (exit 75) when no lease is granted within this time' })
        .option('grace', { type: 'string', default: '10s', describe: 'After a revoke, time between SIGTERM and SIGKILL' })
        .epilogue(
          `Exit status: the command's; ${EXIT_NO_LEASE} no lease before --timeout; ${EXIT_REVOKED} lease revoked or lost (command stopped); ${EXIT_UNREACHABLE} no agent answered; 2 bad arguments.`,
        ),
      ['data', 'api'],
    ) as unknown as Argv<RunArgs>,
  handler: handle(async (argv: RunArgs) => {
    const words = [...(argv['--'] ?? []), ...argv._.slice(2)].map(String);
    if (words.length === 0) throw new ConfigError('lease run needs a command after --, e.g. otel-sysmon lease run --cost 20 -- make -j4');
    const request = await leaseRequest(argv, words);
    const timeoutMs = durationFlag('timeout', argv.timeout);
    const graceMs = durationFlag('grace', argv.grace);
    const { runLease } = await import('../scheduler/lease-run.js');
    const { AgentRequestError } = await import('../api/client.js');
    const code = await runLease({
      ...(await clients(argv)),
      request,
      timeoutMs,
      graceMs,
      command: words,
      say: (line) => process.stderr.write(`otel-sysmon lease: ${line}\n`),
    }).catch((err: unknown) => {
      // The agent refused the request itself (a cost it never grants, a wrong token): a usage error.
      if (err instanceof AgentRequestError && err.status < 500) throw new ConfigError(err.message);
      throw err;
    });
    // A long poll cut short by a signal may still hold a socket open: the work is done, leave now.
    process.exit(code);
  }),
};

interface StatusArgs {
  format: 'text' | 'json';
  [key: string]: unknown;
}

const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status',
  describe: 'Show the scheduler: quiet state and reasons, capacity, leases, queue, addons',
  builder: (y: Argv) =>
    withOptions(
      y.option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format' }),
      ['api'],
    ) as unknown as Argv<StatusArgs>,
  handler: handle(async (argv: StatusArgs) => {
    const { config } = commandContext(argv, ['api']);
    const { ApiClient } = await import('../api/client.js');
    const { formatStatus } = await import('../scheduler/status-format.js');
    const client = new ApiClient({ baseUrl: config.apiUrl, timeoutMs: 3_000 });
    const status = await client.request<StatusAnswer>('GET', '/api/scheduler/status').catch(explain);
    process.stdout.write(argv.format === 'json' ? JSON.stringify(status, null, 2) + '\n' : formatStatus(status, Date.now()));
    return 0;
  }),
};

interface RevokeArgs {
  id: string;
  reason?: string;
  [key: string]: unknown;
}

const revokeCommand: CommandModule<object, RevokeArgs> = {
  command: 'revoke <id>',
  describe: 'Revoke a lease (its holder is told at its next heartbeat)',
  builder: (y: Argv) =>
    withOptions(
      y
        .positional('id', { type: 'string', demandOption: true, describe: 'lease_id (see lease status --format json)' })
        .option('reason', { type: 'string', describe: 'Why, recorded with the lease' }),
      ['data', 'api'],
    ) as unknown as Argv<RevokeArgs>,
  handler: handle(async (argv: RevokeArgs) => {
    const { client } = await clients(argv);
    const body = argv.reason === undefined ? undefined : { reason: argv.reason };
    const lease = await client
      .request<{ lease_id: string; state: string; end_reason: string }>('POST', `/api/scheduler/lease/${encodeURIComponent(argv.id)}/revoke`, body)
      .catch(explain);
    process.stdout.write(`${lease.lease_id} ${lease.state}: ${lease.end_reason}\n`);
    return 0;
  }),
};

export const leaseCommand: CommandModule = {
  command: 'lease <command>',
  describe: 'Heavy work under a lease from the agent scheduler (run, status, revoke)',
  builder: (y: Argv) =>
    y
      .command(runCommand as unknown as CommandModule)
      .command(statusCommand as unknown as CommandModule)
      .command(revokeCommand as unknown as CommandModule)
      .demandCommand(1, 'name a lease command: run, status or revoke'),
  handler: () => undefined,
};
