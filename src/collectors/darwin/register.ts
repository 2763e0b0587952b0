// Registers the macOS frequency sources, `ioreport` and `sysctl` (imported for its side effect by
// the host collectors). Their bindings load on first read, on darwin only.
import { registerFrequencySource, UnavailableFrequencySource } from '../frequency/registry.js';
import { IOReportFrequencySource } from './ioreport-source.js';
import { SysctlFrequencySource } from './sysctl-source.js';

registerFrequencySource('ioreport', (o) =>
  o.platform === 'darwin' ? new IOReportFrequencySource({ log: o.log }) : new UnavailableFrequencySource('ioreport', `macOS only (this is ${o.platform})`),
);
registerFrequencySource('sysctl', (o) =>
  o.platform === 'darwin' ? new SysctlFrequencySource() : new UnavailableFrequencySource('sysctl', `macOS only (this is ${o.platform})`),
);
