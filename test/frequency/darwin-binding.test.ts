// The macOS koffi declarations: every signature must parse on any platform (koffi.proto), and on
// darwin the real frameworks must load and answer.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  COREFOUNDATION_FUNCTIONS,
  IOKIT_FUNCTIONS,
  IOREPORT_FUNCTIONS,
  LIBSYSTEM_FUNCTIONS,
  loadDarwinIOReport,
} from '../../native-bindings/darwin-ioreport.js';
import { IOReportFrequencySource } from '../../src/collectors/darwin/ioreport-source.js';

const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');

describe('darwin declarations', () => {
  it.each([...COREFOUNDATION_FUNCTIONS, ...IOKIT_FUNCTIONS, ...IOREPORT_FUNCTIONS, ...LIBSYSTEM_FUNCTIONS])('parses %s', (sig) => {
    expect(() => koffi.proto(sig)).not.toThrow();
  });

  it.runIf(process.platform !== 'darwin')('refuses to load off macOS with a one-line reason', () => {
    expect(() => loadDarwinIOReport()).toThrow(/^IOReport binding unavailable: IOReport exists on macOS only \(this is \w+\)$/);
  });
});

describe.runIf(process.platform === 'darwin')('IOReport on this Mac', () => {
  it('reads the brand string and either samples CPU Stats or explains why not', async () => {
    const api = loadDarwinIOReport();
    expect(api.sysctlString('machdep.cpu.brand_string')).toBeTruthy();
    const source = new IOReportFrequencySource();
    const reason = source.unavailableReason();
    if (reason) {
      expect(reason).toMatch(/pmgr|CPU Stats/);
      return;
    }
    source.read(undefined, [0]);
    await new Promise((r) => setTimeout(r, 300));
    const reading = source.read(undefined, [0]).get(0)!;
    if ('hz' in reading) expect(reading.hz).toBeGreaterThan(3e8);
    else expect(reading.reason).toMatch(/idle/);
    source.close();
  });
});
