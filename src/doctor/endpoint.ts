// Whether the configured OTLP endpoint accepts a TCP connection, within a bounded time.
import { connect } from 'node:net';

export interface EndpointCheck {
  readonly reachable: boolean;
  readonly reason: string;
}

/** host and port of an endpoint URL (default ports by scheme). */
export function endpointAddress(url: string): { host: string; port: number } {
  const u = new URL(url);
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port };
}

const ADVICE: Record<string, string> = {
  ECONNREFUSED: 'nothing listens there: start the OpenTelemetry Collector or point --otlp-endpoint at it',
  ENOTFOUND: 'the host name does not resolve: check --otlp-endpoint and DNS',
  EAI_AGAIN: 'the host name could not be resolved right now: check DNS',
  EHOSTUNREACH: 'no route to the host: check the network and firewall',
  ENETUNREACH: 'the network is unreachable: check the network configuration',
};

export function checkTcp(host: string, port: number, timeoutMs = 2000): Promise<EndpointCheck> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: EndpointCheck): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () =>
      done({ reachable: false, reason: `no answer within ${timeoutMs} ms from ${host}:${port}: a firewall drops the connection, or the host is down` }),
    );
    socket.once('connect', () => done({ reachable: true, reason: `${host}:${port} accepts TCP connections` }));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const advice = ADVICE[err.code ?? ''] ?? err.message;
      done({ reachable: false, reason: `${err.code ?? 'error'} connecting to ${host}:${port}: ${advice}` });
    });
  });
}
