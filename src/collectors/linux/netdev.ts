// Network collector (/proc/net/dev): system.network.io, .packet.count, .packet.dropped and .errors per
// interface. /proc/net/dev shows the reader's network namespace, so under another root (a sidecar with
// the host's /proc mounted) the host's table is read through PID 1: <procfs>/1/net/dev.
import { AttributeCache } from '../attribute-cache.js';
import type { Attributes, CollectContext, Collector, PointSink } from '../types.js';
import { DEFAULT_NETWORK_EXCLUDE, type DeviceFilter, passes } from './device-filter.js';
import { type InterfaceCounters, parseNetDev } from './netdev-parser.js';

/** The file holding the host's interface table for these paths. */
export function netDevRelative(rootfs: string): string {
  return rootfs === '/' ? 'net/dev' : '1/net/dev';
}

interface InterfaceAttrs {
  readonly receive: Attributes;
  readonly transmit: Attributes;
  readonly receiveDevice: Attributes;
  readonly transmitDevice: Attributes;
}

export class NetDevCollector implements Collector {
  readonly name = 'network';
  private readonly attrs = new AttributeCache<InterfaceAttrs | null>();
  private lastInterfaces: readonly string[] = [];

  constructor(private readonly filter: DeviceFilter = { exclude: DEFAULT_NETWORK_EXCLUDE }) {}

  collect(ctx: CollectContext, sink: PointSink): void {
    const relative = netDevRelative(ctx.paths.rootfs);
    const seen: string[] = [];
    for (const dev of parseNetDev(ctx.readProc(relative), ctx.procPath(relative))) {
      const a = this.attributes(dev.name);
      if (!a) continue;
      seen.push(dev.name);
      add(sink, dev.receive, a.receive, a.receiveDevice);
      add(sink, dev.transmit, a.transmit, a.transmitDevice);
    }
    this.lastInterfaces = seen;
    this.attrs.sweep();
  }

  /** Interfaces reported by the last collection (for doctor). */
  interfaces(): readonly string[] {
    return this.lastInterfaces;
  }

  private attributes(name: string): InterfaceAttrs | null {
    return this.attrs.get(name, () =>
      passes(name, this.filter)
        ? {
            receive: { 'network.interface.name': name, 'network.io.direction': 'receive' },
            transmit: { 'network.interface.name': name, 'network.io.direction': 'transmit' },
            receiveDevice: { 'system.device': name, 'network.io.direction': 'receive' },
            transmitDevice: { 'system.device': name, 'network.io.direction': 'transmit' },
          }
        : null,
    );
  }
}

function add(sink: PointSink, c: InterfaceCounters, attrs: Attributes, deviceAttrs: Attributes): void {
  sink.add('system.network.io', c.bytes, attrs);
  // semconv v1.44 names the interface system.device on this one metric only.
  sink.add('system.network.packet.count', c.packets, deviceAttrs);
  sink.add('system.network.packet.dropped', c.dropped, attrs);
  sink.add('system.network.errors', c.errors, attrs);
}
