import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpoolFullError, SqliteBridgeSpool } from '../../src/bridge/spool.js';
import { storePath } from '../../src/store/store.js';

let dir: string;
const open = (maxBytes = 1_000_000) => SqliteBridgeSpool.open(dir, maxBytes);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sysmon-bridge-spool-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteBridgeSpool', () => {
  it('keeps records per stream in order and survives a reopen', () => {
    const spool = open();
    spool.append([{ stream: 'otel_metrics', text: '[1]', count: 1 }, { stream: 'cpu_metrics', text: '[2],[3]', count: 2 }], 1000);
    spool.append([{ stream: 'otel_metrics', text: '[4],[5]', count: 2 }], 2000);
    expect(spool.pendingStreams()).toEqual(['otel_metrics', 'cpu_metrics']);
    spool.close();

    const again = open();
    expect(again.stats()).toEqual({ records: 3, rows: 5, bytes: 3 + 7 + 7, deadRecords: 0 });
    const oldest = again.oldest('otel_metrics', 100);
    expect(oldest.map((r) => [r.text, r.rows, r.createdAt])).toEqual([
      ['[1]', 1, 1000],
      ['[4],[5]', 2, 2000],
    ]);
    again.remove(oldest.map((r) => r.id));
    expect(again.pendingStreams()).toEqual(['cpu_metrics']);
    expect(again.stats()).toMatchObject({ records: 1, rows: 2, bytes: 7 });
    again.close();
  });

  it('limits a batch by rows but always returns at least one record', () => {
    const spool = open();
    for (let i = 0; i < 5; i++) spool.append([{ stream: 'otel_metrics', text: '[0],[0],[0]', count: 3 }]);
    expect(spool.oldest('otel_metrics', 7).map((r) => r.rows)).toEqual([3, 3]);
    expect(spool.oldest('otel_metrics', 1)).toHaveLength(1);
    expect(spool.oldest('cpu_metrics', 10)).toEqual([]);
    spool.close();
  });

  it('refuses an append that does not fit, storing none of it', () => {
    const spool = open(10);
    spool.append([{ stream: 'otel_metrics', text: '[1],[2]', count: 2 }]);
    expect(() =>
      spool.append([
        { stream: 'otel_metrics', text: '[3]', count: 1 },
        { stream: 'cpu_metrics', text: '[4]', count: 1 },
      ]),
    ).toThrow(SpoolFullError);
    expect(spool.stats()).toMatchObject({ records: 1, rows: 2, bytes: 7 });
    spool.remove(spool.oldest('otel_metrics', 10).map((r) => r.id));
    spool.append([{ stream: 'cpu_metrics', text: '[4]', count: 1 }]);
    expect(spool.stats().records).toBe(1);
    spool.close();
  });

  it('sets refused records aside and expires old ones', () => {
    const spool = open();
    spool.append([{ stream: 'otel_metrics', text: '["bad"]', count: 1 }], 100);
    spool.append([{ stream: 'otel_metrics', text: '[1]', count: 1 }], 5000);
    const [bad] = spool.oldest('otel_metrics', 1);
    spool.deadLetter(bad, 'cannot parse "bad" as float64');
    expect(spool.stats()).toMatchObject({ records: 1, deadRecords: 1, bytes: 3 });
    expect(spool.expire(6000)).toEqual({ records: 1, rows: 1 });
    expect(spool.stats()).toMatchObject({ records: 0, rows: 0, bytes: 0, deadRecords: 1 });
    spool.close();
  });

  it('lives in the agent store of the data directory', () => {
    const spool = SqliteBridgeSpool.open(dir, 1_000_000);
    spool.append([{ stream: 'cpu_metrics', text: '[1],[2]', count: 2 }], 1000);
    spool.close();
    const store = new Database(storePath(dir), { readonly: true });
    expect(store.prepare('SELECT key, items, created_at FROM bridge_spool').all()).toEqual([
      { key: 'cpu_metrics', items: 2, created_at: 1000 },
    ]);
    store.close();
    const reopened = SqliteBridgeSpool.open(dir, 1_000_000);
    expect(reopened.oldest('cpu_metrics', 10).map((r) => r.text)).toEqual(['[1],[2]']);
    reopened.close();
  });
});
