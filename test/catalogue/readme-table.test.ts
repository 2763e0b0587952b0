import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { metricsTable, TABLE_BEGIN, TABLE_END } from '../../scripts/metrics-table.js';

describe('README metric table', () => {
  it('is exactly the table generated from the catalogue (npm run docs:metrics)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf(TABLE_BEGIN);
    const end = readme.indexOf(TABLE_END);
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    expect(readme.slice(start + TABLE_BEGIN.length, end).trim()).toBe(metricsTable());
  });
});
