// `otel-sysmon doctor`: per CPU the frequency source chosen and why every other was not; perf
// privileges, container/VM, PSI, swap and whether the OTLP endpoint accepts a connection.
import type { Argv, CommandModule } from 'yargs';
import type { OptionGroup } from '../config/options.js';
import { commandContext, handle, withOptions } from './options.js';

const GROUPS: readonly OptionGroup[] = ['host', 'export'];

interface DoctorArgs {
  format: 'text' | 'json';
  [key: string]: unknown;
}

export const doctorCommand: CommandModule<object, DoctorArgs> = {
  command: 'doctor',
  describe: 'Explain, per CPU, which frequency source works and why the others do not; check perf, PSI, swap and the OTLP endpoint',
  builder: (y: Argv) =>
    withOptions(
      y.option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format' }),
      GROUPS,
    ) as unknown as Argv<DoctorArgs>,
  handler: handle(async (argv: DoctorArgs) => {
    const { config, log } = commandContext(argv, GROUPS);
    const { runDoctor } = await import('../doctor/report.js');
    const { formatDoctorText } = await import('../doctor/format.js');
    const report = await runDoctor({ config, log });
    process.stdout.write(argv.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : formatDoctorText(report));
  }),
};
