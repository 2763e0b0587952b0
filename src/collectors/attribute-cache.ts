// Attribute objects per device, interface or mount, made once and reused across collections (exporters
// key series by attribute object, and allocating them every collection is garbage). Names that stop
// appearing (a container's veth, a pod's tmpfs mount) are dropped once the cache holds twice the names
// of the last collection, so churn cannot grow it without bound.

/** Entries kept beyond twice the live names before a sweep (small hosts never sweep). */
const SLACK = 32;

export class AttributeCache<V> {
  private readonly entries = new Map<string, V>();
  private readonly live = new Set<string>();

  get(key: string, make: () => V): V {
    this.live.add(key);
    let value = this.entries.get(key);
    if (value === undefined && !this.entries.has(key)) this.entries.set(key, (value = make()));
    return value as V;
  }

  /** Call once per collection, after the last get(). */
  sweep(): void {
    if (this.entries.size > 2 * this.live.size + SLACK) {
      for (const key of this.entries.keys()) if (!this.live.has(key)) this.entries.delete(key);
    }
    this.live.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
