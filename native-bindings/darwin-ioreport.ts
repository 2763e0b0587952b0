// koffi declarations for macOS: CoreFoundation, IOKit and the private libIOReport, each loaded by
// full path and only on darwin (required on first use). On top of them, the few operations the
// IOReport frequency source needs: a "CPU Stats" subscription, sample deltas decoded into plain
// channel objects (walking the "IOReportChannels" CFArray, since IOReportIterate needs a block),
// pmgr properties from the IORegistry. sysctlbyname has its own loader that opens libSystem only,
// so the Intel-Mac sysctl source works whether or not libIOReport loads.
// Every CF/IOReport result is checked before use or release: IOReport returns NULL samples after
// sleep or a lost subscription, and CFRelease(NULL) aborts the process.
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
  /** A new sample; undefined when IOReport returned NULL (after sleep, or the subscription was lost). */
  sample(): DarwinSample | undefined;
  /** Decodes after − before (both stay owned by the caller); undefined when IOReport returned NULL. */
  delta(before: DarwinSample, after: DarwinSample): DarwinChannel[] | undefined;
  release(sample: DarwinSample): void;
}

export interface DarwinSysctl {
  sysctlString(name: string): string | undefined;
  sysctlNumber(name: string): number | undefined;
}

export interface DarwinIOReport extends DarwinSysctl {
  /** Subscribes to the channels of these (group, subgroup) pairs; undefined when none exist. */
  subscribe(groups: readonly (readonly [string, string])[]): DarwinIOReportSubscription | undefined;
  /** A data property of the IORegistry "pmgr" entry (AppleARMIODevice), e.g. voltage-states5-sram. */
  pmgrProperty(key: string): Uint8Array | undefined;
}

/** A C function as koffi exposes it (or a test's stand-in). */
export type NativeFn = (...args: unknown[]) => unknown;
export type NativeFunctions = Record<string, NativeFn>;

/** The native functions the IOReport binding calls, per library. */
export interface DarwinLibraries {
  readonly cf: NativeFunctions;
  readonly iokit: NativeFunctions;
  readonly ior: NativeFunctions;
  /** Copies `length` bytes from a native pointer (koffi.decode). */
  readonly bytes: (pointer: unknown, length: number) => number[];
}

type Koffi = typeof import('koffi');
/** Opens a library by path and declares the given signatures (koffi by default). */
export type OpenLibrary = (path: string, signatures: readonly string[]) => NativeFunctions;

function koffi(): Koffi {
  return createRequire(import.meta.url)('koffi') as Koffi;
}

const openWithKoffi: OpenLibrary = (path, signatures) => {
  const lib = koffi().load(path);
  const out: NativeFunctions = {};
  for (const sig of signatures) {
    const name = /([A-Za-z_][A-Za-z0-9_]*)\(/.exec(sig)![1];
    out[name] = lib.func(sig) as unknown as NativeFn;
  }
  return out;
};

function darwinOnly(what: string): void {
  if (process.platform !== 'darwin') throw new Error(`${what} exists on macOS only (this is ${process.platform})`);
}

/** sysctlbyname from libSystem alone. */
export function openDarwinSysctl(open: OpenLibrary = openWithKoffi): DarwinSysctl {
  return createSysctl(open(LIBSYSTEM_PATH, LIBSYSTEM_FUNCTIONS));
}

/** Loads libSystem's sysctlbyname once (never libIOReport); throws (every time) why that is impossible. */
export const loadDarwinSysctl = loadOnce('sysctl binding', () => {
  darwinOnly('sysctlbyname');
  return openDarwinSysctl();
});

/** Loads the frameworks once; throws (every time) why that is impossible. */
export const loadDarwinIOReport = loadOnce('IOReport binding', () => {
  darwinOnly('IOReport');
  const k = koffi();
  const libraries: DarwinLibraries = {
    cf: openWithKoffi(COREFOUNDATION_PATH, COREFOUNDATION_FUNCTIONS),
    iokit: openWithKoffi(IOKIT_PATH, IOKIT_FUNCTIONS),
    ior: openWithKoffi(IOREPORT_PATH, IOREPORT_FUNCTIONS),
    bytes: (pointer, length) => k.decode(pointer, 'uint8_t', length) as number[],
  };
  return createDarwinIOReport(libraries, loadDarwinSysctl());
});

function createSysctl(libc: NativeFunctions): DarwinSysctl {
  function sysctlRaw(name: string): Buffer | undefined {
    const len = [0];
    if (Number(libc.sysctlbyname(name, null, len, null, 0)) !== 0 || len[0] === 0) return undefined;
    const buf = Buffer.alloc(len[0]);
    if (Number(libc.sysctlbyname(name, buf, len, null, 0)) !== 0) return undefined;
    return buf.subarray(0, len[0]);
  }
  return {
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

/** The IOReport operations over the given native functions (koffi's, or a test's fake library). */
export function createDarwinIOReport(lib: DarwinLibraries, sysctl: DarwinSysctl): DarwinIOReport {
  const { cf, iokit, ior } = lib;
  /** CFRelease(NULL) aborts: release only what exists. */
  const release = (ref: unknown): void => {
    if (ref) cf.CFRelease(ref);
  };
  const cfstr = (s: string): unknown => cf.CFStringCreateWithCString(null, s, UTF8);
  const jsstr = (ref: unknown): string => {
    if (!ref) return '';
    const buf = Buffer.alloc(256);
    if (!cf.CFStringGetCString(ref, buf, buf.length, UTF8)) return '';
    return buf.toString('utf8', 0, buf.indexOf(0) < 0 ? buf.length : buf.indexOf(0));
  };
  /** Runs `use` with a CFString key; undefined (without calling use) when it cannot be created. */
  const withKey = <T>(key: string, use: (k: unknown) => T): T | undefined => {
    const k = cfstr(key);
    if (!k) return undefined;
    try {
      return use(k);
    } finally {
      release(k);
    }
  };

  function decodeChannels(delta: unknown): DarwinChannel[] {
    const array = withKey('IOReportChannels', (k) => cf.CFDictionaryGetValue(delta, k));
    if (!array) return [];
    const count = Number(cf.CFArrayGetCount(array));
    const channels: DarwinChannel[] = [];
    for (let i = 0; i < count; i++) {
      const item = cf.CFArrayGetValueAtIndex(array, i);
      if (!item) continue;
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

  return {
    ...sysctl,

    subscribe(groups) {
      let merged: unknown;
      for (const [group, subgroup] of groups) {
        const channels = withKey(group, (g) => withKey(subgroup, (s) => ior.IOReportCopyChannelsInGroup(g, s, 0, 0, 0)));
        if (!channels) continue;
        if (merged) {
          ior.IOReportMergeChannels(merged, channels, null);
          release(channels);
        } else {
          merged = channels;
        }
      }
      if (!merged) return undefined;
      const desired = cf.CFDictionaryCreateMutableCopy(null, Number(cf.CFDictionaryGetCount(merged)), merged);
      release(merged);
      if (!desired) return undefined;
      const subscribed: unknown[] = [null];
      const subscription = ior.IOReportCreateSubscription(null, desired, subscribed, 0, null);
      if (!subscription) {
        release(desired);
        return undefined;
      }
      return {
        sample: () => (ior.IOReportCreateSamples(subscription, desired, null) || undefined) as DarwinSample | undefined,
        delta(before, after) {
          const delta = ior.IOReportCreateSamplesDelta(before, after, null);
          if (!delta) return undefined;
          try {
            return decodeChannels(delta);
          } finally {
            release(delta);
          }
        },
        release,
      };
    },

    pmgrProperty(key) {
      const existing = [0];
      const matching = iokit.IOServiceMatching('AppleARMIODevice');
      if (!matching) return undefined;
      // IOServiceGetMatchingServices consumes the matching dictionary.
      if (Number(iokit.IOServiceGetMatchingServices(0, matching, existing)) !== 0) return undefined;
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
              const pointer = cf.CFDataGetBytePtr(data);
              if (!pointer || length <= 0) return undefined;
              return new Uint8Array(lib.bytes(pointer, length));
            } finally {
              release(data);
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
  };
}
