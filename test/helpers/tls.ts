// Throw-away PKI for TLS/mTLS tests: a CA, a server certificate for 127.0.0.1/localhost and a client
// certificate, made with the openssl CLI (Node cannot issue X.509 certificates itself).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  readonly dir: string;
  /** Paths of the PEM files. */
  readonly files: { ca: string; serverKey: string; serverCert: string; clientKey: string; clientCert: string };
  /** The PEM contents. */
  readonly ca: Buffer;
  readonly serverKey: Buffer;
  readonly serverCert: Buffer;
  readonly clientKey: Buffer;
  readonly clientCert: Buffer;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
}

function issue(dir: string, name: string, subject: string, ext: string): void {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
  openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
      '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`],
    dir,
  );
}

/** Creates a CA, a server certificate (127.0.0.1, localhost) and a client certificate in a temp directory. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'sysmon-pki-'));
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  openssl(['req', '-new', '-x509', '-key', 'ca.key', '-subj', '/CN=otel-sysmon test CA', '-days', '2', '-sha256', '-out', 'ca.crt'], dir);
  issue(dir, 'server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  issue(dir, 'client', '/CN=otel-sysmon test client', 'extendedKeyUsage=clientAuth\n');
  const files = {
    ca: join(dir, 'ca.crt'),
    serverKey: join(dir, 'server.key'),
    serverCert: join(dir, 'server.crt'),
    clientKey: join(dir, 'client.key'),
    clientCert: join(dir, 'client.crt'),
  };
  return {
    dir,
    files,
    ca: readFileSync(files.ca),
    serverKey: readFileSync(files.serverKey),
    serverCert: readFileSync(files.serverCert),
    clientKey: readFileSync(files.clientKey),
    clientCert: readFileSync(files.clientCert),
  };
}
