// Recent request outcomes of the local API (error rates, latency p95) for self-observation and
// the scheduler's quiet assessment. A fixed ring: constant memory whatever the request rate.
export interface RequestStatsSnapshot {
  /** Requests that finished inside the window. */
  readonly requests: number;
  /** Share of those answered 5xx (the agent failing). */
  readonly serverErrorRate: number;
  /** Share answered 4xx (callers sending bad or unauthorized requests). */
  readonly clientErrorRate: number;
  /** 95th percentile latency in ms (0 with no requests). */
  readonly latencyP95Ms: number;
}

export class RequestStats {
  private readonly at: Float64Array;
  private readonly latency: Float64Array;
  private readonly status: Uint16Array;
  private next = 0;
  private count = 0;

  constructor(private readonly capacity = 4096) {
    this.at = new Float64Array(capacity);
    this.latency = new Float64Array(capacity);
    this.status = new Uint16Array(capacity);
  }

  record(nowMs: number, latencyMs: number, status: number): void {
    this.at[this.next] = nowMs;
    this.latency[this.next] = latencyMs;
    this.status[this.next] = status;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count += 1;
  }

  /** Outcomes of the requests that finished within `windowMs` before `nowMs` (at most the ring's capacity). */
  snapshot(nowMs: number, windowMs = 60_000): RequestStatsSnapshot {
    const latencies: number[] = [];
    let server = 0;
    let client = 0;
    for (let i = 0; i < this.count; i++) {
      if (nowMs - this.at[i] > windowMs) continue;
      latencies.push(this.latency[i]);
      if (this.status[i] >= 500) server += 1;
      else if (this.status[i] >= 400) client += 1;
    }
    const n = latencies.length;
    if (n === 0) return { requests: 0, serverErrorRate: 0, clientErrorRate: 0, latencyP95Ms: 0 };
    latencies.sort((a, b) => a - b);
    return {
      requests: n,
      serverErrorRate: server / n,
      clientErrorRate: client / n,
      latencyP95Ms: latencies[Math.min(n - 1, Math.ceil(0.95 * n) - 1)],
    };
  }
}
