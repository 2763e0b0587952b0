// Starts an HTTP(S) server on a configured address; a refusal (port taken, address not local) becomes
// one line naming the address, what wanted it and the flag that moves it.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '../config/values.js';

const REASONS: Record<string, string> = {
  EADDRINUSE: 'address already in use (another agent running?)',
  EADDRNOTAVAIL: 'address not available on this machine',
  EACCES: 'permission denied (ports below 1024 need privileges)',
};

export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
}

/** Listens and resolves with the bound address ("127.0.0.1:9465", "[::1]:9464"). */
export async function listenOn(server: Server, address: ListenAddress, what: string, flag: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const reason = REASONS[err.code ?? ''] ?? err.message;
      reject(new ListenError(`cannot listen on ${address.host}:${address.port} for ${what}: ${reason} (set --${flag})`));
    };
    server.once('error', onError);
    server.listen(address.port, address.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
}
