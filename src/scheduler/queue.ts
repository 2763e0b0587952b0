// The wait queue of lease requests (pure data structure; the dispatcher lives in scheduler.ts).
//
// Order: higher priority first. Within a priority every addon_id keeps its own FIFO and the addons
// take turns: the first entry of each addon (addons in the order they joined the rotation), then
// the second of each, and so on. An addon whose request was served moves to the back of the
// rotation, so one addon queueing fifty requests cannot starve another that queued one.
import { type Priority, PRIORITIES } from './types.js';

export interface QueueItem {
  readonly id: string;
  readonly addonId: string;
  readonly priority: Priority;
}

interface Level<T extends QueueItem> {
  readonly byAddon: Map<string, T[]>;
  /** Addon ids in turn order. */
  rotation: string[];
}

export class WaitQueue<T extends QueueItem> {
  private readonly levels = new Map<Priority, Level<T>>(PRIORITIES.map((p) => [p, { byAddon: new Map(), rotation: [] }]));
  private readonly items = new Map<string, T>();

  get size(): number {
    return this.items.size;
  }

  get(id: string): T | undefined {
    return this.items.get(id);
  }

  add(item: T): void {
    if (this.items.has(item.id)) throw new Error(`queue entry ${item.id} already queued`);
    const level = this.levels.get(item.priority)!;
    let fifo = level.byAddon.get(item.addonId);
    if (!fifo) {
      level.byAddon.set(item.addonId, (fifo = []));
      level.rotation.push(item.addonId);
    }
    fifo.push(item);
    this.items.set(item.id, item);
  }

  /** Removes an entry; `served` moves its addon to the back of the rotation (it had its turn). */
  remove(id: string, served = false): T | undefined {
    const item = this.items.get(id);
    if (!item) return undefined;
    this.items.delete(id);
    const level = this.levels.get(item.priority)!;
    const fifo = level.byAddon.get(item.addonId)!;
    fifo.splice(fifo.indexOf(item), 1);
    const rest = level.rotation.filter((a) => a !== item.addonId);
    if (fifo.length === 0) {
      level.byAddon.delete(item.addonId);
      level.rotation = rest;
    } else if (served) {
      level.rotation = [...rest, item.addonId];
    }
    return item;
  }

  /** Every entry in the order the dispatcher serves them. */
  order(): T[] {
    const out: T[] = [];
    for (const priority of [...PRIORITIES].reverse()) {
      const level = this.levels.get(priority)!;
      const fifos = level.rotation.map((a) => level.byAddon.get(a)!);
      const depth = Math.max(0, ...fifos.map((f) => f.length));
      for (let round = 0; round < depth; round++) {
        for (const fifo of fifos) if (round < fifo.length) out.push(fifo[round]);
      }
    }
    return out;
  }

  /** 1-based place of an entry in order(); 0 when it is not queued. */
  position(id: string): number {
    return this.order().findIndex((i) => i.id === id) + 1;
  }
}
