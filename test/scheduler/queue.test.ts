import { describe, expect, it } from 'vitest';
import { type QueueItem, WaitQueue } from '../../src/scheduler/queue.js';
import type { Priority } from '../../src/scheduler/types.js';

const item = (id: string, addonId: string, priority: Priority = 'NORMAL'): QueueItem => ({ id, addonId, priority });
const ids = (q: WaitQueue<QueueItem>) => q.order().map((i) => i.id);

describe('wait queue', () => {
  it('serves higher priorities first and FIFO within one addon', () => {
    const q = new WaitQueue<QueueItem>();
    q.add(item('n1', 'a'));
    q.add(item('l1', 'a', 'LOW'));
    q.add(item('h1', 'a', 'HIGH'));
    q.add(item('n2', 'a'));
    q.add(item('h2', 'a', 'HIGH'));
    expect(ids(q)).toEqual(['h1', 'h2', 'n1', 'n2', 'l1']);
    expect(q.position('n2')).toBe(4);
    expect(q.position('nope')).toBe(0);
  });

  it('lets addons take turns within a priority, so one addon cannot starve another', () => {
    const q = new WaitQueue<QueueItem>();
    for (const id of ['a1', 'a2', 'a3', 'a4']) q.add(item(id, 'a'));
    q.add(item('b1', 'b'));
    q.add(item('c1', 'c'));
    q.add(item('b2', 'b'));
    expect(ids(q)).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4']);
    // a was served: it goes to the back of the rotation.
    q.remove('a1', true);
    expect(ids(q)).toEqual(['b1', 'c1', 'a2', 'b2', 'a3', 'a4']);
    q.remove('b1', true);
    expect(ids(q)).toEqual(['c1', 'a2', 'b2', 'a3', 'a4']);
    q.remove('c1', true);
    expect(ids(q)).toEqual(['a2', 'b2', 'a3', 'a4']);
  });

  it('keeps the turn order when an entry leaves without being served', () => {
    const q = new WaitQueue<QueueItem>();
    q.add(item('a1', 'a'));
    q.add(item('a2', 'a'));
    q.add(item('b1', 'b'));
    q.remove('a1');
    expect(ids(q)).toEqual(['a2', 'b1']);
    q.remove('a2');
    q.add(item('a3', 'a'));
    expect(ids(q)).toEqual(['b1', 'a3']);
    expect(q.size).toBe(2);
    expect(() => q.add(item('b1', 'b'))).toThrow(/already queued/);
  });

  it('orders a random mix fairly (every addon served once per round)', () => {
    const q = new WaitQueue<QueueItem>();
    const addons = ['a', 'b', 'c', 'd'];
    let n = 0;
    for (let i = 0; i < 40; i++) q.add(item(`e${n++}`, addons[(i * 7) % 4]));
    const order = q.order();
    for (let round = 0; round < 10; round++) {
      expect(new Set(order.slice(round * 4, round * 4 + 4).map((i) => i.addonId)).size).toBe(4);
    }
  });
});
