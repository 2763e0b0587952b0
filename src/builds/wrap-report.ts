// Where `wrap` records its build: the running agent's API, or — when no agent answers — the
// store file directly (the same transactions the agent uses), so no build is lost. A refusal by
// a running agent (401, 4xx) stops reporting for this build with one warning instead.
import { AgentRequestError, AgentUnreachableError, type ApiClient } from '../api/client.js';
import type { Logger } from '../log.js';
import { type BuildRepo, type Finish } from '../store/builds.js';

export interface SnapshotReading {
  readonly timestampMs: number;
  readonly cpuPercent: number;
  readonly memoryMb: number;
}

export type ReportMode = 'agent' | 'store' | 'none';

export class WrapReport {
  private mode: ReportMode;
  private repo: BuildRepo | undefined;
  private startedMs = 0;
  private readonly idHeaders: Record<string, string>;
  problem: string | undefined;

  constructor(
    private readonly build: { readonly id: string; readonly name: string; readonly workerId?: string },
    private readonly agent: ApiClient | undefined,
    /** Called only when no agent answers (wrap imports SQLite then, not at start). */
    private readonly openStore: () => BuildRepo | Promise<BuildRepo>,
    private readonly log: Logger,
  ) {
    this.mode = agent ? 'agent' : 'store';
    this.idHeaders = build.workerId ? { 'X-Worker-Id': build.workerId } : {};
  }

  get target(): string {
    if (this.mode === 'agent') return `agent ${this.agent!.baseUrl}`;
    if (this.mode === 'store') return 'local store';
    return 'nowhere';
  }

  get reporting(): ReportMode {
    return this.mode;
  }

  async begin(startedMs: number): Promise<void> {
    this.startedMs = startedMs;
    await this.attempt(
      async (api) => {
        const path = `/api/builds/${encodeURIComponent(this.build.id)}`;
        await api.request('POST', '/api/builds', { id: this.build.id, name: this.build.name, worker_id: this.build.workerId });
        await api.request('POST', `${path}/start`);
      },
      (repo) => this.ensureLocal(repo),
    );
  }

  async snapshot(r: SnapshotReading): Promise<void> {
    await this.attempt(
      async (api) => {
        try {
          await api.request(
            'POST',
            `/api/builds/${encodeURIComponent(this.build.id)}/telemetry`,
            {
              type: 'cpu_snapshot',
              timestamp: new Date(r.timestampMs).toISOString(),
              data: { cpu_percent: round(r.cpuPercent), memory_mb: round(r.memoryMb) },
            },
            this.idHeaders,
          );
        } catch (err) {
          // A sample that lands within a second of the previous one is skipped, not fatal.
          if (err instanceof AgentRequestError && err.status === 429) return;
          throw err;
        }
      },
      (repo) => {
        repo.addSnapshot(this.build.id, { timestamp: r.timestampMs, cpuPercent: r.cpuPercent, memoryMb: r.memoryMb });
      },
    );
  }

  async end(finish: Finish, finishedMs: number): Promise<void> {
    await this.attempt(
      async (api) => {
        await api.request('POST', `/api/builds/${encodeURIComponent(this.build.id)}/finish`, {
          status: finish.status,
          exit_code: finish.exitCode,
          cpu_seconds: finish.cpuSeconds,
          peak_memory_mb: finish.peakMemoryMb,
        });
      },
      (repo) => {
        repo.finish(this.build.id, finish, finishedMs);
      },
    );
  }

  private ensureLocal(repo: BuildRepo): void {
    const existing = repo.get(this.build.id);
    if (!existing) repo.create({ id: this.build.id, name: this.build.name, workerId: this.build.workerId }, this.startedMs);
    if (!existing || existing.status === 'queued') repo.start(this.build.id, this.startedMs);
  }

  private async attempt(viaAgent: (api: ApiClient) => Promise<void>, viaStore: (repo: BuildRepo) => void): Promise<void> {
    if (this.mode === 'agent') {
      try {
        await viaAgent(this.agent!);
        return;
      } catch (err) {
        if (!(err instanceof AgentUnreachableError)) {
          this.stop(`the agent refused the build report: ${(err as Error).message}`);
          return;
        }
        this.log.debug('agent unreachable, writing the store directly', { error: (err as Error).message });
        this.mode = 'store';
        if (!(await this.openLocal())) return;
        try {
          this.ensureLocal(this.repo!);
        } catch (e) {
          this.stop(`cannot record the build in the local store: ${(e as Error).message}`);
          return;
        }
      }
    }
    if (this.mode === 'store') {
      if (!this.repo && !(await this.openLocal())) return;
      try {
        viaStore(this.repo!);
      } catch (err) {
        this.stop(`cannot record the build in the local store: ${(err as Error).message}`);
      }
    }
  }

  private async openLocal(): Promise<boolean> {
    try {
      this.repo = await this.openStore();
      return true;
    } catch (err) {
      this.stop(`no agent answers and the local store cannot be opened: ${(err as Error).message}`);
      return false;
    }
  }

  private stop(problem: string): void {
    if (this.mode === 'none') return;
    this.mode = 'none';
    this.problem = problem;
    this.log.warn(`build not recorded: ${problem}`);
  }
}

const round = (x: number): number => Math.round(x * 100) / 100;
