// `otel-sysmon bridge`: receives OTLP metrics from a Collector (gRPC and HTTP/protobuf) and writes them
// into Timeplus Proton streams through its ingest REST API, spooling durably while Proton is away.
import type { Argv, CommandModule } from 'yargs';
import { bridgeYargsOptions, resolveBridgeConfig } from '../bridge/config.js';
import { prepareDataDir } from '../config/data-dir.js';
import type { OptionGroup } from '../config/options.js';
import { commandContext, handle, withOptions } from './options.js';

const GROUPS: readonly OptionGroup[] = ['log', 'data', 'spool'];
/** How long a shutdown waits for Proton to take what is spooled (the rest stays spooled). */
const SHUTDOWN_DRAIN_MS = 5000;

export const bridgeCommand: CommandModule = {
  command: 'bridge',
  describe: 'Receive OTLP metrics (e.g. from a Collector) and write them into Timeplus Proton streams',
  builder: (y: Argv) => withOptions(y, GROUPS).options(bridgeYargsOptions()),
  handler: handle(async (argv: Record<string, unknown>) => {
    const { config, log } = commandContext(argv, GROUPS);
    const bc = resolveBridgeConfig(argv);
    const { createBridge } = await import('../bridge/bridge.js');
    log.redact(bc.protonPassword);
    log.redact(bc.token);
    prepareDataDir(config.dataDir);
    const bridge = createBridge({
      grpc: bc.grpc,
      http: bc.http,
      tls: bc.tls,
      token: bc.token,
      proton: {
        url: bc.protonUrl,
        queryUrl: bc.protonQueryUrl,
        database: bc.database,
        user: bc.protonUser,
        password: bc.protonPassword,
        ca: bc.protonCa,
      },
      createStreams: bc.createStreams,
      dataDir: config.dataDir,
      spoolMaxBytes: config.spoolMaxBytes,
      spoolMaxAgeMs: config.spoolMaxAge,
      batchRows: bc.batchRows,
      batchDelayMs: bc.batchDelayMs,
      log,
    });
    await bridge.start();
    log.info('bridge listening', {
      grpc: `${bc.grpc.host}:${bridge.grpcPort}`,
      http: bc.http ? `${bc.http.host}:${bridge.httpPort}` : 'off',
      proton: bc.protonUrl.origin,
      database: bc.database,
      tls: bc.tls ? (bc.tls.requireClientCert ? 'mtls' : 'tls') : 'off',
      auth: bc.token ? 'bearer' : bc.tls?.requireClientCert ? 'client-cert' : 'none',
    });
    const outcome = await Promise.race([
      new Promise<string>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      }),
      bridge.fatal,
    ]).catch((err: Error) => err);
    if (outcome instanceof Error) {
      log.error(outcome.message);
      await bridge.stop();
      process.exit(1);
    }
    log.info('shutting down', { signal: outcome });
    await bridge.stop(SHUTDOWN_DRAIN_MS);
    // Keep-alive sockets and gRPC internals may linger after shutdown: everything is flushed, leave now.
    process.exit(0);
  }),
};
