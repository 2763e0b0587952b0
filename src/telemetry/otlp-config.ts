// The OTLP part of the configuration and its TLS material (custom CA, mTLS client certificate), read once
// at start so a bad file is a configuration error, not an export failure.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/load.js';
import { flagName, type Config } from '../config/options.js';

export type OtlpConfig = Pick<
  Config,
  | 'otlpEndpoint'
  | 'otlpProtocol'
  | 'otlpHeaders'
  | 'otlpCa'
  | 'otlpClientCert'
  | 'otlpClientKey'
  | 'insecure'
  | 'temporality'
  | 'exportTimeout'
>;

function readPem(key: 'otlpCa' | 'otlpClientCert' | 'otlpClientKey', file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`invalid ${flagName(key)}=${JSON.stringify(file)}: expected a readable PEM file (${code})`);
  }
}

export interface TlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** Plaintext transport: http:// endpoints, or --insecure. */
  readonly plaintext: boolean;
}

export function tlsMaterial(config: OtlpConfig): TlsMaterial {
  const ca = readPem('otlpCa', config.otlpCa);
  const cert = readPem('otlpClientCert', config.otlpClientCert);
  const key = readPem('otlpClientKey', config.otlpClientKey);
  const plaintext = config.insecure || new URL(config.otlpEndpoint).protocol === 'http:';
  return { ca, cert, key, plaintext };
}
