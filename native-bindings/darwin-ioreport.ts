// koffi declarations for macOS: CoreFoundation, IOKit and the private libIOReport, each loaded by
// full path and only on darwin (required on first use). On top of them, the few operations the
// IOReport frequency source needs: a "CPU Stats" subscription, sample deltas decoded into plain
// channel objects (walking the "IOReportChannels" CFArray, since IOReportIterate needs a block),
// pmgr properties from the IORegistry and sysctlbyname.
import { createRequire } from 'node:module';
import { loadOnce } from './load-once.js';

export const COREFOUNDATION_PATH = '/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation';
export const IOKIT_PATH = '/System/Library/Frameworks/IOKit.framework/IOKit';
export const IOREPORT_PATH = '/usr/lib/libIOReport.dylib';
export const LIBSYSTEM_PATH = '/usr/lib/libSystem.B.dylib';

// Every CF/IOKit object is an opaque pointer; io_object_t handles are 32-bit mach ports.
export const COREFOUNDATION_FUNCTIONS = [
  'void *CFStringCreateWithCString(void *alloc, const char *cStr, uint32_t encoding)',
  'bool CFStringGetCString(void *theString, _Out_ uint8_t *buffer, long bufferSize, uint32_t encoding)',
  'void *CFDictionaryGetValue(void *theDict, void *key)',
  'long CFDictionaryGetCount(void *theDict)',
  'void *CFDictionaryCreateMutableCopy(void *alloc, long capacity, void *theDict)',
  'long CFArrayGetCount(void *theArray)',
  'void *CFArrayGetValueAtIndex(void *theArray, long idx)',
  'long CFDataGetLength(void *theData)',
  'void *CFDataGetBytePtr(void *theData)',
  'unsigned long CFGetTypeID(void *cf)',
  'unsigned long CFDataGetTypeID()',
  'void CFRelease(void *cf)',
] as const;

export const IOKIT_FUNCTIONS = [
  'void *IOServiceMatching(const char *name)',
  'int IOServiceGetMatchingServices(uint32_t mainPort, void *matching, _Out_ uint32_t *existing)',
  'uint32_t IOIteratorNext(uint32_t iterator)',
  'int IORegistryEntryGetName(uint32_t entry, _Out_ uint8_t *name)',
  'void *IORegistryEntryCreateCFProperty(uint32_t entry, void *key, void *allocator, uint32_t options)',
  'int IOObjectRelease(uint32_t object)',
] as const;

export const IOREPORT_FUNCTIONS = [
  'void *IOReportCopyChannelsInGroup(void *group, void *subgroup, uint64_t a, uint64_t b, uint64_t c)',
  'void IOReportMergeChannels(void *a, void *b, void *c)',
  'void *IOReportCreateSubscription(void *a, void *desired, _Out_ void **subscribed, uint64_t channelId, void *b)',
  'void *IOReportCreateSamples(void *subscription, void *channels, void *a)',
  'void *IOReportCreateSamplesDelta(void *before, void *after, void *a)',
  'void *IOReportChannelGetGroup(void *channel)',
  'void *IOReportChannelGetSubGroup(void *channel)',
  'void *IOReportChannelGetChannelName(void *channel)',
  'int IOReportStateGetCount(void *channel)',
  'void *IOReportStateGetNameForIndex(void *channel, int index)',
  'int64_t IOReportStateGetResidency(void *channel, int index)',
] as const;

export const LIBSYSTEM_FUNCTIONS = [
  'int sysctlbyname(const char *name, _Out_ uint8_t *oldp, _Inout_ size_t *oldlenp, void *newp, size_t newlen)',
] as const;

const UTF8 = 0x08000100;

/** One channel of a sample delta. */
export interface DarwinChannel {
  readonly group: string;
  readonly subgroup: string;
  readonly channel: string;
  readonly states: { name: string; residency: number }[];
}

/** An IOReport sample (a retained CFDictionary). */
export type DarwinSample = { readonly __brand: 'IOReportSample' };

export interface DarwinIOReportSubscription {
  sample(): DarwinSample;
  /** Decodes after − before; both samples stay owned by the caller. */
  delta(before: DarwinSample, after: DarwinSample): DarwinChannel[];
  release(sample: DarwinSample): void;
}

export interface DarwinIOReport {
  /** Subscribes to the channels of these (group, subgroup) pairs; undefined when none exist. */
  subscribe(groups: readonly (readonly [string, string])[]): DarwinIOReportSubscription | undefined;
  /** A data property of the IORegistry "pmgr" entry (AppleARMIODevice), e.g. voltage-states5-sram. */
  pmgrProperty(key: string): Uint8Array | undefined;
  sysctlString(name: string): string | undefined;
  sysctlNumber(name: string): number | undefined;
}

type Fn = (...args: unknown[]) => unknown;
type Koffi = typeof import('koffi');

function declare<T extends readonly string[]>(lib: import('koffi').IKoffiLib, sigs: T): Record<string, Fn> {
  const out: Record<string, Fn> = {};
  for (const sig of sigs) {
    const name = /([A-Za-z_][A-Za-z0-9_]*)\(/.exec(sig)![1];
    out[name] = lib.func(sig) as unknown as Fn;
  }
  return out;
}

/** Loads the frameworks once; throws (every time) why that is impossible. */
export const loadDarwinIOReport = loadOnce('IOReport binding', createBinding);

function createBinding(): DarwinIOReport {
  if (process.platform !== 'darwin') throw new Error(`IOReport exists on macOS only (this is ${process.platform})`);
  const koffi = createRequire(import.meta.url)('koffi') as Koffi;
  const cf = declare(koffi.load(COREFOUNDATION_PATH), COREFOUNDATION_FUNCTIONS);
  const iokit = declare(koffi.load(IOKIT_PATH), IOKIT_FUNCTIONS);
  const ior = declare(koffi.load(IOREPORT_PATH), IOREPORT_FUNCTIONS);
  const libc = declare(koffi.load(LIBSYSTEM_PATH), LIBSYSTEM_FUNCTIONS);

  const cfstr = (s: string): unknown => cf.CFStringCreateWithCString(null, s, UTF8);
  const jsstr = (ref: unknown): string => {
    if (!ref) return '';
    const buf = Buffer.alloc(256);
    if (!cf.CFStringGetCString(ref, buf, buf.length, UTF8)) return '';
    return buf.toString('utf8', 0, buf.indexOf(0) < 0 ? buf.length : buf.indexOf(0));
  };
  const withKey = <T>(key: string, use: (k: unknown) => T): T => {
    const k = cfstr(key);
    try {
      return use(k);
    } finally {
      cf.CFRelease(k);
    }
  };

  function decodeChannels(delta: unknown): DarwinChannel[] {
    const array = withKey('IOReportChannels', (k) => cf.CFDictionaryGetValue(delta, k));
    if (!array) return [];
    const count = Number(cf.CFArrayGetCount(array));
    const channels: DarwinChannel[] = [];
    for (let i = 0; i < count; i++) {
      const item = cf.CFArrayGetValueAtIndex(array, i);
      const states: { name: string; residency: number }[] = [];
      const n = Number(ior.IOReportStateGetCount(item));
      for (let s = 0; s < n; s++) {
        states.push({ name: jsstr(ior.IOReportStateGetNameForIndex(item, s)), residency: Number(ior.IOReportStateGetResidency(item, s)) });
      }
      channels.push({
        group: jsstr(ior.IOReportChannelGetGroup(item)),
        subgroup: jsstr(ior.IOReportChannelGetSubGroup(item)),
        channel: jsstr(ior.IOReportChannelGetChannelName(item)),
        states,
      });
    }
    return channels;
  }

  function sysctlRaw(name: string): Buffer | undefined {
    const len = [0];
    if (Number(libc.sysctlbyname(name, null, len, null, 0)) !== 0 || len[0] === 0) return undefined;
    const buf = Buffer.alloc(len[0]);
    if (Number(libc.sysctlbyname(name, buf, len, null, 0)) !== 0) return undefined;
    return buf.subarray(0, len[0]);
  }

  return {
    subscribe(groups) {
      let merged: unknown;
      for (const [group, subgroup] of groups) {
        const channels = withKey(group, (g) => withKey(subgroup, (s) => ior.IOReportCopyChannelsInGroup(g, s, 0, 0, 0)));
        if (!channels) continue;
        if (merged) {
          ior.IOReportMergeChannels(merged, channels, null);
          cf.CFRelease(channels);
        } else {
          merged = channels;
        }
      }
      if (!merged) return undefined;
      const desired = cf.CFDictionaryCreateMutableCopy(null, Number(cf.CFDictionaryGetCount(merged)), merged);
      cf.CFRelease(merged);
      const subscribed: unknown[] = [null];
      const subscription = ior.IOReportCreateSubscription(null, desired, subscribed, 0, null);
      if (!subscription) {
        cf.CFRelease(desired);
        return undefined;
      }
      return {
        sample: () => ior.IOReportCreateSamples(subscription, desired, null) as DarwinSample,
        delta(before, after) {
          const delta = ior.IOReportCreateSamplesDelta(before, after, null);
          if (!delta) return [];
          try {
            return decodeChannels(delta);
          } finally {
            cf.CFRelease(delta);
          }
        },
        release: (sample) => cf.CFRelease(sample),
      };
    },

    pmgrProperty(key) {
      const existing = [0];
      // IOServiceGetMatchingServices consumes the matching dictionary.
      if (Number(iokit.IOServiceGetMatchingServices(0, iokit.IOServiceMatching('AppleARMIODevice'), existing)) !== 0) return undefined;
      const name = Buffer.alloc(128);
      try {
        for (let entry = Number(iokit.IOIteratorNext(existing[0])); entry !== 0; entry = Number(iokit.IOIteratorNext(existing[0]))) {
          try {
            if (Number(iokit.IORegistryEntryGetName(entry, name)) !== 0) continue;
            if (name.toString('utf8', 0, name.indexOf(0)) !== 'pmgr') continue;
            const data = withKey(key, (k) => iokit.IORegistryEntryCreateCFProperty(entry, k, null, 0));
            if (!data) return undefined;
            try {
              if (cf.CFGetTypeID(data) !== cf.CFDataGetTypeID()) return undefined;
              const length = Number(cf.CFDataGetLength(data));
              return new Uint8Array(koffi.decode(cf.CFDataGetBytePtr(data), 'uint8_t', length) as number[]);
            } finally {
              cf.CFRelease(data);
            }
          } finally {
            iokit.IOObjectRelease(entry);
          }
        }
        return undefined;
      } finally {
        iokit.IOObjectRelease(existing[0]);
      }
    },

    sysctlString(name) {
      const raw = sysctlRaw(name);
      return raw ? raw.toString('utf8').replace(/\0.*$/s, '') : undefined;
    },

    sysctlNumber(name) {
      const raw = sysctlRaw(name);
      if (!raw) return undefined;
      if (raw.length === 8) return Number(raw.readBigUInt64LE(0));
      if (raw.length === 4) return raw.readUInt32LE(0);
      return undefined;
    },
  };
}
