// `otel-sysmon top`: a live view refreshed every second (per-CPU busy bar, clock with its source
// and history; load, memory, swap, PSI). Full screen on a terminal, plain lines on a pipe; q or
// Ctrl-C leaves with the terminal restored.
import type { Argv, CommandModule } from 'yargs';
import { ConfigError } from '../config/load.js';
import type { OptionGroup } from '../config/options.js';
import { durationWithin, parseInteger, parseMillisOrDuration, ValueError } from '../config/values.js';
import { commandContext, handle, withOptions } from './options.js';

const GROUPS: readonly OptionGroup[] = ['host'];

// Alternate screen and hidden cursor while running; both undone on every way out.
const ENTER_SCREEN = '\x1b[?1049h\x1b[?25l';
const LEAVE_SCREEN = '\x1b[?25h\x1b[?1049l';
const CTRL_C = '\x03';

interface TopArgs {
  refresh: string;
  iterations?: string;
  [key: string]: unknown;
}

function parseOption<T>(name: string, raw: string, parse: (raw: string) => T): T {
  try {
    return parse(raw);
  } catch (err) {
    if (err instanceof ValueError) throw new ConfigError(`invalid ${name}=${JSON.stringify(raw)} (from --${name}): expected ${err.expected}`);
    throw err;
  }
}

/** Redraws in place: cursor home, each line cleared to its end, the rest of the screen cleared. */
function screenUpdate(text: string): string {
  return `\x1b[H${text.split('\n').join('\x1b[K\n')}\x1b[K\x1b[J`;
}

export const topCommand: CommandModule<object, TopArgs> = {
  command: 'top',
  describe: 'Live view: per-core utilization, frequency (with its source) and history; load, memory, swap, PSI',
  builder: (y: Argv) =>
    withOptions(
      y
        .option('refresh', { type: 'string', default: '1s', describe: 'Time between refreshes (e.g. 1s, 500ms)' })
        .option('iterations', { type: 'string', describe: 'Exit after this many refreshes (default: run until q or Ctrl-C)' }),
      GROUPS,
    ) as unknown as Argv<TopArgs>,
  handler: handle(async (argv: TopArgs) => {
    const refreshMs = parseOption('refresh', argv.refresh, (raw) => {
      return durationWithin(parseMillisOrDuration(raw), 100);
    });
    const iterations = argv.iterations === undefined ? undefined : parseOption('iterations', argv.iterations, (raw) => parseInteger(raw, 1, 1e9));
    const { config, log } = commandContext(argv, GROUPS);
    const { hostCollectionFor } = await import('../collectors/index.js');
    const { TopModel } = await import('../ui/top-model.js');
    const { renderTopLines, renderTopScreen } = await import('../ui/top-render.js');
    const tty = Boolean(process.stdout.isTTY);
    // On a full screen, log lines would tear the view: collector errors are shown in the frame instead.
    const host = hostCollectionFor(config, tty ? undefined : log);
    const model = new TopModel();
    const stdin = process.stdin;
    let stopped = false;
    let wake: (() => void) | undefined;
    const stop = (): void => {
      stopped = true;
      wake?.();
    };
    const onKey = (data: Buffer): void => {
      const key = data.toString('utf8');
      if (key === 'q' || key === 'Q' || key.includes(CTRL_C)) stop();
    };
    let lastFrame: ReturnType<InstanceType<typeof TopModel>['next']> | undefined;
    const draw = (): void => {
      if (!lastFrame) return;
      const size = { columns: process.stdout.columns || 80, rows: process.stdout.rows || 24 };
      process.stdout.write(tty ? screenUpdate(renderTopScreen(lastFrame, size)) : renderTopLines(lastFrame));
    };
    const rawMode = tty && stdin.isTTY;
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (tty) {
      process.stdout.write(ENTER_SCREEN);
      process.stdout.on('resize', draw);
    }
    if (rawMode) {
      stdin.setRawMode(true);
      stdin.on('data', onKey);
      stdin.resume();
    }
    try {
      for (let frames = 0; !stopped; ) {
        lastFrame = model.next(await host.collect());
        draw();
        if (iterations !== undefined && ++frames >= iterations) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, refreshMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      if (rawMode) {
        stdin.off('data', onKey);
        stdin.setRawMode(false);
        stdin.pause();
      }
      if (tty) {
        process.stdout.off('resize', draw);
        process.stdout.write(LEAVE_SCREEN);
      }
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      host.close();
    }
    return 0;
  }),
};
