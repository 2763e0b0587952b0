// Entry point: one file per command in this folder, registered here. A command file's top-level imports
// are only what its yargs declaration (flags, help) needs: yargs types, ./options.js and the light config
// modules. Its handler imports the rest with `await import()`, so `--version`, `--help` and every other
// command start without loading it (the agent, SQLite, gRPC, zod, the OpenTelemetry SDK).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { VERSION } from '../version.js';
import { bridgeCommand } from './bridge.js';
import { doctorCommand } from './doctor.js';
import { leaseCommand } from './lease.js';
import { runCommand } from './run.js';
import { snapshotCommand } from './snapshot.js';
import { statsCommand } from './stats.js';
import { statusCommand } from './status.js';
import { topCommand } from './top.js';
import { wrapCommand } from './wrap.js';

await yargs(hideBin(process.argv))
  .scriptName('otel-sysmon')
  .version(VERSION)
  .command(runCommand)
  .command(leaseCommand)
  .command(snapshotCommand)
  .command(wrapCommand)
  .command(statusCommand)
  .command(statsCommand)
  .command(doctorCommand)
  .command(topCommand)
  .command(bridgeCommand)
  .demandCommand(1, 'name a command (see --help)')
  .strict()
  .wrap(Math.min(120, process.stdout.columns || 100))
  .fail((msg, err) => {
    if (err) throw err;
    // yargs spreads some messages over several lines ("Invalid values:\n  Argument: ..."): keep one line.
    process.stderr.write(`otel-sysmon: ${msg.replace(/\s*\n\s*/g, ' ')}\n`);
    process.exit(2);
  })
  .parseAsync();
