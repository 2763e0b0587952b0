// Bearer-token authentication for the local API: where the token comes from (shared by the agent
// and every client command) and a comparison whose time does not depend on the token's content.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { dataDirError } from '../config/data-dir.js';
import { ConfigError } from '../config/load.js';

export const TOKEN_FILE = 'api-token';
export const TOKEN_ENV = 'SYSMON_API_TOKEN';

export type TokenSource = 'env' | 'token-file' | 'data-dir' | 'generated';

export interface ResolvedToken {
  readonly token: string;
  readonly source: TokenSource;
}

interface TokenSettings {
  readonly apiTokenFile: string | undefined;
  readonly dataDir: string;
}

function readToken(file: string): string {
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < 16) throw new ConfigError(`API token in ${file} is shorter than 16 characters`);
  return token;
}

function fromEnvOrFile(config: TokenSettings, env: NodeJS.ProcessEnv): ResolvedToken | undefined {
  const fromEnv = env[TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    if (fromEnv.trim().length < 16) throw new ConfigError(`${TOKEN_ENV} must be at least 16 characters`);
    return { token: fromEnv.trim(), source: 'env' };
  }
  if (config.apiTokenFile) {
    try {
      return { token: readToken(config.apiTokenFile), source: 'token-file' };
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(
        `cannot read api-token-file ${config.apiTokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  return undefined;
}

/** The agent's token: SYSMON_API_TOKEN, else --api-token-file, else <data-dir>/api-token (created 0600). */
export function resolveServerToken(config: TokenSettings, env: NodeJS.ProcessEnv = process.env): ResolvedToken {
  const given = fromEnvOrFile(config, env);
  if (given) return given;
  const file = join(config.dataDir, TOKEN_FILE);
  try {
    return { token: readToken(file), source: 'data-dir' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (err instanceof ConfigError) throw err;
      throw dataDirError(config.dataDir, `cannot read its API token ${TOKEN_FILE}`, err);
    }
  }
  const token = randomBytes(32).toString('base64url');
  try {
    // 'wx': if another process created it in the meantime, use theirs.
    writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { token: readToken(file), source: 'data-dir' };
    throw new ConfigError(`cannot write API token ${file}: ${(err as NodeJS.ErrnoException).code}`);
  }
  return { token, source: 'generated' };
}

/** A client's token, found the same way as the agent's; undefined when none is readable. */
export function resolveClientToken(config: TokenSettings, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = fromEnvOrFile(config, env);
  if (given) return given.token;
  try {
    return readToken(join(config.dataDir, TOKEN_FILE));
  } catch {
    return undefined;
  }
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/** Refuses to expose the API beyond this host unless the operator chose the token. */
export function checkListenAllowed(host: string, source: TokenSource): void {
  if (!isLoopbackHost(host) && (source === 'data-dir' || source === 'generated')) {
    throw new ConfigError(
      `invalid api-listen host ${JSON.stringify(host)}: a non-loopback address needs a token set with ${TOKEN_ENV} or --api-token-file`,
    );
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** A checker of Authorization headers for one token; hashing first makes the compare length-independent. */
export function bearerAuthorizer(token: string): (header: string | undefined) => boolean {
  const expected = digest(token);
  return (header) => {
    if (!header) return false;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    return m !== null && timingSafeEqual(digest(m[1]), expected);
  };
}

export function bearerMatches(header: string | undefined, token: string): boolean {
  return bearerAuthorizer(token)(header);
}
