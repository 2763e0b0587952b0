// Disk collector (/proc/diskstats): system.disk.io, .operations, .io_time, .operation_time and .merged
// per block device. Whole devices by default: partitions, loop, ram and zram devices are left out with
// node_exporter's default pattern, so a disk's traffic is not counted once per partition too.
import { AttributeCache } from '../attribute-cache.js';
import type { Attributes, CollectContext, Collector, PointSink } from '../types.js';
import { DEFAULT_DISK_EXCLUDE, type DeviceFilter, passes } from './device-filter.js';
import { type DiskStats, parseDiskstats, SECTOR_BYTES } from './diskstats-parser.js';

interface DeviceAttrs {
  readonly device: Attributes;
  readonly read: Attributes;
  readonly write: Attributes;
}

export class DiskstatsCollector implements Collector {
  readonly name = 'disk';
  private readonly attrs = new AttributeCache<DeviceAttrs | null>();
  private lastDevices: readonly string[] = [];

  constructor(private readonly filter: DeviceFilter = { exclude: DEFAULT_DISK_EXCLUDE }) {}

  collect(ctx: CollectContext, sink: PointSink): void {
    const disks = parseDiskstats(ctx.readProc('diskstats'), ctx.procPath('diskstats'));
    const seen: string[] = [];
    for (const d of disks) {
      const a = this.attributes(d.device);
      if (!a) continue;
      seen.push(d.device);
      addDiskPoints(sink, d, a);
    }
    this.lastDevices = seen;
    this.attrs.sweep();
  }

  /** Devices reported by the last collection (for doctor). */
  devices(): readonly string[] {
    return this.lastDevices;
  }

  private attributes(device: string): DeviceAttrs | null {
    return this.attrs.get(device, () =>
      passes(device, this.filter)
        ? {
            device: { 'system.device': device },
            read: { 'system.device': device, 'disk.io.direction': 'read' },
            write: { 'system.device': device, 'disk.io.direction': 'write' },
          }
        : null,
    );
  }
}

function addDiskPoints(sink: PointSink, d: DiskStats, a: DeviceAttrs): void {
  sink.add('system.disk.io', d.sectorsRead * SECTOR_BYTES, a.read);
  sink.add('system.disk.io', d.sectorsWritten * SECTOR_BYTES, a.write);
  sink.add('system.disk.operations', d.readsCompleted, a.read);
  sink.add('system.disk.operations', d.writesCompleted, a.write);
  sink.add('system.disk.merged', d.readsMerged, a.read);
  sink.add('system.disk.merged', d.writesMerged, a.write);
  sink.add('system.disk.operation_time', d.readMs / 1000, a.read);
  sink.add('system.disk.operation_time', d.writeMs / 1000, a.write);
  sink.add('system.disk.io_time', d.ioMs / 1000, a.device);
}
