// The scheduler endpoints of the local API, at seed 002's paths:
//   POST /api/scheduler/lease/request              HeavyLeaseRequest -> HeavyLeaseResponse (200, approved or not)
//   POST /api/scheduler/lease/:id/heartbeat        extends the lease by the TTL
//   POST /api/scheduler/lease/:id/report           progress and accounting (also extends it)
//   POST /api/scheduler/lease/:id/release          optional final report
//   POST /api/scheduler/lease/:id/revoke           operator cancel, optional {"reason"}
//   GET  /api/scheduler/lease/:id                  LeaseRecord
//   GET  /api/scheduler/queue/:id?wait_sec=N       a queued request: long poll up to N s for the grant
//   POST /api/scheduler/queue/:id/cancel           leave the queue
//   GET  /api/scheduler/status                     quiet info, capacity, active/recent leases, queue, addons
// Writes need the API token (the router's rule). A lease that ended answers 409, one never granted 404.
import type { ApiModule } from '../api/module.js';
import { ApiError, type ApiRequest, type ApiResponse, validate } from '../api/router.js';
import { leaseJson, leaseResponse, statusJson, ticketResponse } from './json.js';
import { type Assessment, assessmentJson } from './quiet.js';
import { LeaseNotFoundError, type LeaseScheduler, LeaseStateError, SchedulerRequestError } from './scheduler.js';
import { HeavyLeaseRequest, QueuePollQuery, ReportBody, RevokeBody, SchedulerId, toLeaseRequest, toReport } from './schemas.js';

/** Scheduler errors become the 4xx answers they stand for; anything else stays as it is (a bug: 500). */
function answerFor(err: unknown): unknown {
  if (err instanceof LeaseNotFoundError) return new ApiError(404, err.message, err.field);
  if (err instanceof LeaseStateError) return new ApiError(409, err.message, err.field);
  if (err instanceof SchedulerRequestError) return new ApiError(err.status, err.message, err.field, err.retryAfterSec);
  return err;
}

function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw answerFor(err);
  }
}

const leaseId = (req: ApiRequest): string => validate(SchedulerId, req.params.id, 'lease_id');
const queueId = (req: ApiRequest): string => validate(SchedulerId, req.params.id, 'queue_id');

export function registerSchedulerRoutes(
  api: Pick<ApiModule, 'route'>,
  scheduler: LeaseScheduler,
  assessment: () => Assessment | undefined,
): void {
  const ok = (body: unknown, headers?: Record<string, string>): ApiResponse => ({ status: 200, body, headers });

  api.route('POST', '/api/scheduler/lease/request', (req) => {
    const body = validate(HeavyLeaseRequest, req.body);
    const outcome = call(() => scheduler.request(toLeaseRequest(body), body.wait ?? false));
    const answer = leaseResponse(scheduler, outcome.decision, outcome.lease, outcome.queued);
    // The seed's clients read retry_after_sec; plain HTTP clients get the same hint as Retry-After.
    return ok(answer, answer.retry_after_sec === null ? undefined : { 'Retry-After': String(answer.retry_after_sec) });
  });

  api.route('POST', '/api/scheduler/lease/:id/heartbeat', (req) => {
    const lease = call(() => scheduler.heartbeat(leaseId(req)));
    return ok({ ...leaseJson(lease), heartbeat_ttl_sec: scheduler.settings.ttlMs / 1000 });
  });

  api.route('POST', '/api/scheduler/lease/:id/report', (req) => {
    const id = leaseId(req);
    const report = toReport(validate(ReportBody, req.body ?? {}));
    return ok(leaseJson(call(() => scheduler.report(id, report))));
  });

  api.route('POST', '/api/scheduler/lease/:id/release', (req) => {
    const id = leaseId(req);
    const report = req.body === undefined ? undefined : toReport(validate(ReportBody, req.body));
    return ok(leaseJson(call(() => scheduler.release(id, report))));
  });

  api.route('POST', '/api/scheduler/lease/:id/revoke', (req) => {
    const id = leaseId(req);
    const body = validate(RevokeBody, req.body ?? {});
    return ok(leaseJson(call(() => scheduler.revoke(id, body.reason ?? undefined))));
  });

  api.route('GET', '/api/scheduler/lease/:id', (req) => {
    const id = leaseId(req);
    const lease = scheduler.lease(id);
    if (!lease) throw new ApiError(404, new LeaseNotFoundError(id).message, 'lease_id');
    return ok(leaseJson(lease));
  });

  api.route(
    'GET',
    '/api/scheduler/queue/:id',
    async (req) => {
      const id = queueId(req);
      const { wait_sec } = validate(QueuePollQuery, Object.fromEntries(req.query));
      const view = await scheduler.waitTicket(id, wait_sec * 1000).catch((err: unknown) => {
        throw answerFor(err);
      });
      return ok(ticketResponse(scheduler, view));
    },
    { longPoll: true },
  );

  api.route('POST', '/api/scheduler/queue/:id/cancel', (req) => {
    const ticket = call(() => scheduler.cancelTicket(queueId(req)));
    return ok({ queue_id: ticket.id, cancelled: true });
  });

  api.route('GET', '/api/scheduler/status', () => {
    const a = assessment();
    return ok({ quiet: a ? assessmentJson(a) : null, ...statusJson(scheduler, scheduler.now()) });
  });
}
