// A fake CoreFoundation/IOKit/libIOReport for driving the real binding code (createDarwinIOReport)
// off macOS. Objects are counted like retained CF objects; CFRelease(NULL) throws, standing in for
// the abort it causes in the real CoreFoundation. IOReportCreateSamples and ...Delta follow a script,
// so a test can make them return NULL the way IOReport does after sleep or a lost subscription.
import type { DarwinLibraries, DarwinSysctl, NativeFunctions } from '../../native-bindings/darwin-ioreport.js';

interface CFObject {
  readonly kind: 'string' | 'dict' | 'array' | 'data' | 'subscription' | 'sample' | 'delta';
  readonly value?: unknown;
}

/** One channel: cumulative residency per state at each sample. */
export interface FakeChannel {
  readonly subgroup: string;
  readonly name: string;
  readonly states: readonly string[];
}

export class FakeCoreFoundation {
  /** Objects created and not yet released. */
  live = new Set<CFObject>();
  /** Every CFRelease(NULL) the binding attempted (the real one aborts the process). */
  releasedNull = 0;
  /** Next results of IOReportCreateSamples: residencies per channel, or null for a NULL sample. */
  samples: (number[][] | null)[] = [];
  /** Next results of IOReportCreateSamplesDelta: false makes it return NULL. */
  deltas: boolean[] = [];

  constructor(
    private readonly channels: readonly FakeChannel[],
    private readonly pmgr: Record<string, Uint8Array>,
  ) {}

  private make(kind: CFObject['kind'], value?: unknown): CFObject {
    const o = { kind, value };
    this.live.add(o);
    return o;
  }

  libraries(): DarwinLibraries {
    const cf: NativeFunctions = {
      CFStringCreateWithCString: (_alloc, s) => this.make('string', s),
      CFStringGetCString: (ref, buffer, size) => {
        const text = Buffer.from(`${(ref as CFObject).value}\0`);
        if (text.length > Number(size)) return false;
        text.copy(buffer as Buffer);
        return true;
      },
      CFDictionaryGetValue: (dict, key) => ((dict as CFObject).value as Map<string, unknown>).get(String((key as CFObject).value)) ?? null,
      CFDictionaryGetCount: (dict) => ((dict as CFObject).value as Map<string, unknown>).size,
      CFDictionaryCreateMutableCopy: (_alloc, _capacity, dict) => this.make('dict', new Map((dict as CFObject).value as Map<string, unknown>)),
      CFArrayGetCount: (array) => ((array as CFObject).value as unknown[]).length,
      CFArrayGetValueAtIndex: (array, i) => ((array as CFObject).value as unknown[])[Number(i)] ?? null,
      CFDataGetLength: (data) => ((data as CFObject).value as Uint8Array).length,
      CFDataGetBytePtr: (data) => data,
      CFGetTypeID: (ref) => ((ref as CFObject).kind === 'data' ? 7 : 1),
      CFDataGetTypeID: () => 7,
      CFRelease: (ref) => {
        if (!ref) {
          this.releasedNull++;
          throw new Error('CFRelease(NULL): the process aborts');
        }
        if (!this.live.delete(ref as CFObject)) throw new Error('CFRelease of an object already released');
      },
    };
    const string = (s: string): CFObject => ({ kind: 'string', value: s }); // "Get" results are not owned
    const ior: NativeFunctions = {
      IOReportCopyChannelsInGroup: (group, subgroup) => {
        const mine = this.channels.filter((c) => (group as CFObject).value === 'CPU Stats' && c.subgroup === (subgroup as CFObject).value);
        return mine.length ? this.make('dict', new Map([['IOReportChannels', { kind: 'array', value: [...mine] }]])) : null;
      },
      IOReportMergeChannels: (a, b) => {
        const list = (((a as CFObject).value as Map<string, CFObject>).get('IOReportChannels')!.value as unknown[]);
        list.push(...((((b as CFObject).value as Map<string, CFObject>).get('IOReportChannels')!.value as unknown[])));
      },
      IOReportCreateSubscription: () => this.make('subscription'),
      IOReportCreateSamples: () => {
        const next = this.samples.shift();
        if (next === undefined) throw new Error('test script ran out of samples');
        return next === null ? null : this.make('sample', next);
      },
      IOReportCreateSamplesDelta: (before, after) => {
        if (this.deltas.shift() === false) return null;
        const a = (before as CFObject).value as number[][];
        const b = (after as CFObject).value as number[][];
        const items = this.channels.map((c, i) => ({ channel: c, residency: b[i].map((v, s) => v - a[i][s]) }));
        return this.make('delta', new Map([['IOReportChannels', { kind: 'array', value: items }]]));
      },
      IOReportChannelGetGroup: () => string('CPU Stats'),
      IOReportChannelGetSubGroup: (item) => string((item as { channel: FakeChannel }).channel.subgroup),
      IOReportChannelGetChannelName: (item) => string((item as { channel: FakeChannel }).channel.name),
      IOReportStateGetCount: (item) => (item as { channel: FakeChannel }).channel.states.length,
      IOReportStateGetNameForIndex: (item, i) => string((item as { channel: FakeChannel }).channel.states[Number(i)]),
      IOReportStateGetResidency: (item, i) => (item as { residency: number[] }).residency[Number(i)],
    };
    // One registry entry (pmgr) per iterator.
    let entries: number[] = [];
    const iokit: NativeFunctions = {
      IOServiceMatching: () => ({ kind: 'dict', value: new Map() }), // consumed by IOServiceGetMatchingServices
      IOServiceGetMatchingServices: (_port, _matching, existing) => {
        (existing as number[])[0] = 100;
        entries = [101];
        return 0;
      },
      IOIteratorNext: () => entries.shift() ?? 0,
      IORegistryEntryGetName: (_entry, buffer) => {
        Buffer.from('pmgr\0').copy(buffer as Buffer);
        return 0;
      },
      IORegistryEntryCreateCFProperty: (_entry, key) => {
        const bytes = this.pmgr[String((key as CFObject).value)];
        return bytes ? this.make('data', bytes) : null;
      },
      IOObjectRelease: () => 0,
    };
    return { cf, iokit, ior, bytes: (pointer, length) => [...((pointer as CFObject).value as Uint8Array).subarray(0, length)] };
  }
}

export function fakeSysctl(values: Record<string, string | number>): DarwinSysctl {
  return {
    sysctlString: (name) => (typeof values[name] === 'string' ? (values[name] as string) : undefined),
    sysctlNumber: (name) => (typeof values[name] === 'number' ? (values[name] as number) : undefined),
  };
}
