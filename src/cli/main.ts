// Entry point: one file per command in this folder, registered here.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { VERSION } from '../version.js';
import { runCommand } from './run.js';
import { snapshotCommand } from './snapshot.js';

await yargs(hideBin(process.argv))
  .scriptName('otel-sysmon')
  .version(VERSION)
  .command(runCommand)
  .command(snapshotCommand)
  .demandCommand(1, 'name a command (see --help)')
  .strict()
  .wrap(Math.min(120, process.stdout.columns || 100))
  .fail((msg, err) => {
    if (err) throw err;
    process.stderr.write(`otel-sysmon: ${msg}\n`);
    process.exit(2);
  })
  .parseAsync();
