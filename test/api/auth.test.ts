import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bearerMatches,
  checkListenAllowed,
  isLoopbackHost,
  resolveClientToken,
  resolveServerToken,
} from '../../src/api/auth.js';
import { ConfigError } from '../../src/config/load.js';
import { startHarness } from './harness.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'sysmon-auth-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('API token', () => {
  it('is generated once into <data-dir>/api-token with mode 0600 and reused', () => {
    const dataDir = tmp();
    const first = resolveServerToken({ apiTokenFile: undefined, dataDir }, {});
    expect(first.source).toBe('generated');
    expect(first.token.length).toBeGreaterThanOrEqual(40);
    expect(statSync(join(dataDir, 'api-token')).mode & 0o777).toBe(0o600);
    expect(resolveServerToken({ apiTokenFile: undefined, dataDir }, {})).toEqual({ token: first.token, source: 'data-dir' });
    expect(resolveClientToken({ apiTokenFile: undefined, dataDir }, {})).toBe(first.token);
  });

  it('prefers SYSMON_API_TOKEN, then --api-token-file', () => {
    const dataDir = tmp();
    const file = join(dataDir, 'mine');
    writeFileSync(file, 'file-token-0123456789\n');
    const env = { SYSMON_API_TOKEN: 'env-token-0123456789' };
    expect(resolveServerToken({ apiTokenFile: file, dataDir }, env)).toEqual({ token: 'env-token-0123456789', source: 'env' });
    expect(resolveServerToken({ apiTokenFile: file, dataDir }, {})).toEqual({ token: 'file-token-0123456789', source: 'token-file' });
    expect(() => resolveServerToken({ apiTokenFile: join(dataDir, 'missing'), dataDir }, {})).toThrow(
      /cannot read api-token-file .*missing: ENOENT/,
    );
    expect(() => resolveServerToken({ apiTokenFile: undefined, dataDir }, { SYSMON_API_TOKEN: 'short' })).toThrow(ConfigError);
  });

  it('refuses a non-loopback listen address unless the token was configured', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('192.168.1.2')).toBe(false);
    expect(() => checkListenAllowed('0.0.0.0', 'generated')).toThrow(/non-loopback address needs a token/);
    expect(() => checkListenAllowed('0.0.0.0', 'data-dir')).toThrow(ConfigError);
    expect(() => checkListenAllowed('0.0.0.0', 'env')).not.toThrow();
    expect(() => checkListenAllowed('127.0.0.1', 'generated')).not.toThrow();
  });

  it('compares bearer tokens exactly', () => {
    expect(bearerMatches('Bearer abcdefghijklmnop', 'abcdefghijklmnop')).toBe(true);
    expect(bearerMatches('bearer abcdefghijklmnop', 'abcdefghijklmnop')).toBe(true);
    expect(bearerMatches('Bearer abcdefghijklmnoq', 'abcdefghijklmnop')).toBe(false);
    expect(bearerMatches('Bearer abcdefghijklmno', 'abcdefghijklmnop')).toBe(false);
    expect(bearerMatches('abcdefghijklmnop', 'abcdefghijklmnop')).toBe(false);
    expect(bearerMatches(undefined, 'abcdefghijklmnop')).toBe(false);
  });
});

describe('API auth end to end', () => {
  it('requires the bearer token for writes, not for reads', async () => {
    const h = await startHarness();
    try {
      const body = JSON.stringify({ id: 'x1', name: 'n' });
      const headers = { 'Content-Type': 'application/json' };
      const none = await fetch(h.url + '/api/builds', { method: 'POST', headers, body });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect(await none.json()).toMatchObject({ field: 'Authorization' });
      const wrong = await fetch(h.url + '/api/builds', {
        method: 'POST',
        headers: { ...headers, Authorization: `Bearer ${h.token.slice(0, -1)}X` },
        body,
      });
      expect(wrong.status).toBe(401);
      expect((await h.get('/api/stats')).body.allTime.created).toBe(0);
      expect((await h.post('/api/builds', { id: 'x1', name: 'n' })).status).toBe(201);
      expect((await h.get('/api/builds/x1')).status).toBe(200);
      expect(readFileSync(join(h.dir, 'api-token'), 'utf8').trim()).toBe(h.token);
    } finally {
      await h.stop();
    }
  });

  it('does not start on 0.0.0.0 with a generated token', async () => {
    await expect(startHarness({ apiListen: '0.0.0.0:0' })).rejects.toThrow(/non-loopback/);
  });
});
