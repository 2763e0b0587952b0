// Adds the configuration table's flags to a yargs command, and turns argv into a resolved config.
import type { Argv } from 'yargs';
import { ConfigError, type LoadedConfig, loadConfig } from '../config/load.js';
import { type ConfigKey, flagName, keysOfGroups, OPTIONS, type OptionGroup, type OptionSpec } from '../config/options.js';
import { createLogger, type Logger } from '../log.js';

export function withOptions<T>(yargs: Argv<T>, groups: readonly OptionGroup[]): Argv<T> {
  let y = yargs;
  for (const key of keysOfGroups(['file', ...groups])) {
    const spec = OPTIONS[key] as OptionSpec<unknown>;
    const envs = spec.env?.length ? ` [env: ${spec.env.join(', ')}]` : '';
    let defaultText = spec.defaultText;
    if (defaultText === undefined) {
      const d = spec.default({});
      if (d !== undefined && !(typeof d === 'object' && Object.keys(d as object).length === 0)) {
        defaultText = Array.isArray(d) ? d.join(',') : String(d);
      }
    }
    y = y.option(flagName(key), {
      describe: `${spec.describe}${defaultText !== undefined ? ` (default: ${defaultText})` : ''}${envs}`,
      type: spec.flag === 'boolean' ? 'boolean' : 'string',
      array: spec.flag === 'list' ? true : undefined,
      requiresArg: spec.flag !== 'boolean',
      group: `${groupTitle(spec.group)}:`,
    }) as Argv<T>;
  }
  return y;
}

function groupTitle(group: OptionGroup): string {
  const titles: Record<OptionGroup, string> = {
    file: 'Configuration',
    host: 'Host sources',
    log: 'Logging',
    data: 'State',
    collect: 'Collection',
    export: 'Export',
    api: 'Local API',
    builds: 'Builds',
    spool: 'Durable spool',
    quiet: 'Quiet assessment',
    scheduler: 'Lease scheduler',
    history: 'History',
    ui: 'Web page',
  };
  return titles[group];
}

export interface CommandContext {
  readonly config: LoadedConfig;
  readonly log: Logger;
}

/** Resolves the config for a command and builds its logger; config errors exit with status 2. */
export function commandContext(argv: Record<string, unknown>, groups: readonly OptionGroup[]): CommandContext {
  const keys: ConfigKey[] = keysOfGroups(['file', 'log', ...groups]);
  const pendingWarnings: string[] = [];
  const config = loadConfig({ argv, warn: (m) => pendingWarnings.push(m) }, keys);
  const log = createLogger({ level: config.logLevel, format: config.logFormat });
  for (const secret of Object.values(config.otlpHeaders)) {
    log.redact(secret);
    // A collector refusing "Bearer <token>" may quote the bare token back.
    log.redact(/^(Bearer|Basic)\s+(.+)$/i.exec(secret)?.[2]);
  }
  log.redact(process.env.SYSMON_API_TOKEN);
  for (const w of pendingWarnings) log.warn(w);
  return { config, log };
}

/** Wraps a command handler: configuration errors print one line and exit 2, never a stack trace. */
export function handle<A>(fn: (argv: A) => Promise<number | void> | number | void): (argv: A) => Promise<void> {
  return async (argv: A) => {
    try {
      const code = await fn(argv);
      if (typeof code === 'number') process.exitCode = code;
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`otel-sysmon: ${err.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`otel-sysmon: ${(err as Error).message}\n`);
      if (process.env.SYSMON_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    }
  };
}
