import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitSqlStatements, streamStatements } from '../../src/bridge/ddl.js';
import { protonConfigDir, STREAM_NAMES, STREAMS } from '../../src/bridge/streams.js';
import { parseCreateStream } from '../helpers/fake-proton.js';

describe('splitSqlStatements', () => {
  it('splits on semicolons outside quotes and drops comments', () => {
    const sql = `-- head; comment
      CREATE STREAM a (x string DEFAULT 'a;b') SETTINGS k = 'v'; /* block; */
      CREATE STREAM b (y int);
      -- trailing`;
    expect(splitSqlStatements(sql)).toEqual([
      "CREATE STREAM a (x string DEFAULT 'a;b') SETTINGS k = 'v'",
      'CREATE STREAM b (y int)',
    ]);
  });

  it('returns nothing for comments only', () => {
    expect(splitSqlStatements('-- nothing\n/* here */')).toEqual([]);
  });
});

describe('otel-collector-config/proton/streams.sql', () => {
  const statements = splitSqlStatements(readFileSync(join(protonConfigDir(), 'streams.sql'), 'utf8'));

  it('creates exactly the streams the bridge writes, with the columns in the bridge order', () => {
    const parsed = statements.map(parseCreateStream);
    expect(parsed.map((p) => p.name).sort()).toEqual([...STREAM_NAMES].sort());
    for (const p of parsed) {
      expect(p.ifNotExists, `${p.name} is idempotent`).toBe(true);
      expect(p.columns.map((c) => c.name)).toEqual([...STREAMS[p.name as keyof typeof STREAMS]]);
    }
  });

  it('uses Proton lowercase types and the stream event time', () => {
    for (const sql of statements) {
      expect(sql).toMatch(/SETTINGS event_time_column = 'timestamp'$/);
      expect(sql).not.toMatch(/\b(String|DateTime64|Float64|UInt64|Int32|Nullable|Map|Array|LowCardinality)\(/);
    }
  });

  it('creates the database first when it is not default', () => {
    expect(streamStatements('metrics')[0]).toBe('CREATE DATABASE IF NOT EXISTS metrics');
    expect(streamStatements('default')).toHaveLength(statements.length);
  });
});
