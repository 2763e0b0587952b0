// Registers the `perf` frequency source (imported for its side effect by the host collectors).
import { registerFrequencySource, UnavailableFrequencySource } from '../frequency/registry.js';
import { PerfFrequencySource } from './source.js';

registerFrequencySource('perf', (options) =>
  options.platform === 'linux'
    ? new PerfFrequencySource(options)
    : new UnavailableFrequencySource('perf', `Linux only (this is ${options.platform})`),
);
