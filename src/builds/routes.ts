// The builds endpoints of the local API (issue 4): lifecycle, seed 000's telemetry body, stats.
import { z } from 'zod';
import type { ApiModule } from '../api/module.js';
import { ApiError, type ApiRequest, type ApiResponse, validate } from '../api/router.js';
import { BuildConflictError, BuildNotFoundError } from '../store/builds.js';
import { buildJson, snapshotJson } from './json.js';
import { BuildId, CreateBuildBody, FinishBuildBody, TelemetryBody, TIMESTAMP_SKEW_MS } from './schemas.js';
import type { BuildService } from './service.js';

const ListQuery = z.object({
  status: z.enum(['queued', 'running', 'success', 'failed', 'ignored', 'skipped']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Store errors about the request become 404/409; anything else propagates. */
function asApiError(err: unknown): unknown {
  if (err instanceof BuildNotFoundError) return new ApiError(404, err.message, err.field);
  if (err instanceof BuildConflictError) return new ApiError(409, err.message, err.field);
  return err;
}

function storeCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asApiError(err);
  }
}

function pathId(req: ApiRequest): string {
  return validate(BuildId, req.params.id, 'id');
}

export function registerBuildRoutes(api: Pick<ApiModule, 'route'>, service: BuildService): void {
  const now = (): number => Date.now();

  api.route('POST', '/api/builds', (req): ApiResponse => {
    const body = validate(CreateBuildBody, req.body);
    const build = storeCall(() => service.create(body));
    return {
      status: 201,
      body: { id: build.id, status: build.status },
      headers: { Location: `/api/builds/${encodeURIComponent(build.id)}` },
    };
  });

  api.route('POST', '/api/builds/:id/start', (req): ApiResponse => {
    const id = pathId(req);
    return { status: 200, body: buildJson(storeCall(() => service.start(id)), now()) };
  });

  api.route('POST', '/api/builds/:id/finish', (req): ApiResponse => {
    const id = pathId(req);
    const body = validate(FinishBuildBody, req.body);
    const build = storeCall(() =>
      service.finish(id, {
        status: body.status,
        exitCode: body.exit_code,
        cpuSeconds: body.cpu_seconds,
        peakMemoryMb: body.peak_memory_mb,
      }),
    );
    return { status: 200, body: buildJson(build, now()) };
  });

  api.route('POST', '/api/builds/:id/telemetry', async (req): Promise<ApiResponse> => {
    const id = pathId(req);
    const worker = req.headers['x-worker-id'];
    if (worker !== undefined) validate(BuildId, worker, 'X-Worker-Id');
    const body = validate(TelemetryBody, req.body);
    const ts = Date.parse(body.timestamp);
    if (Math.abs(ts - req.receivedMs) > TIMESTAMP_SKEW_MS) {
      throw new ApiError(400, 'invalid timestamp: expected a time within 24 hours of the agent clock', 'timestamp');
    }
    // Without X-Worker-Id the one-per-second limit applies per build.
    const sender = typeof worker === 'string' ? `w:${worker}` : `b:${id}`;
    const wait = service.snapshotWaitMs(sender);
    if (wait > 0) {
      throw new ApiError(429, 'at most one snapshot per second from a worker', 'X-Worker-Id', wait / 1000);
    }
    await service.addSnapshot(id, sender, ts, body.data.cpu_percent, body.data.memory_mb).catch((err) => {
      throw asApiError(err);
    });
    return { status: 200, body: { status: 'ok' } };
  });

  api.route('GET', '/api/builds', (req): ApiResponse => {
    const q = validate(ListQuery, Object.fromEntries(req.query), 'query');
    const builds = q.status ? service.repo.withStatus(q.status, q.limit) : service.repo.recent(q.limit);
    const t = now();
    return { status: 200, body: { builds: builds.map((b) => buildJson(b, t)) } };
  });

  api.route('GET', '/api/builds/:id', (req): ApiResponse => {
    const id = pathId(req);
    const build = service.repo.get(id);
    if (!build) throw new ApiError(404, `no build with id ${JSON.stringify(id)}`, 'id');
    return { status: 200, body: buildJson(build, now()) };
  });

  api.route('GET', '/api/builds/:id/snapshots', (req): ApiResponse => {
    const id = pathId(req);
    const snapshots = storeCall(() => service.repo.snapshots(id));
    return { status: 200, body: { id, snapshots: snapshots.map(snapshotJson) } };
  });

  api.route('GET', '/api/stats', (): ApiResponse => ({ status: 200, body: service.stats() }));
}
