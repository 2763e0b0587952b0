// Quiet streaks: spans during which the quiet state in force was QUIET, with their average and
// minimum score. Tracked at every assessment in memory; the store gets a row when a streak opens,
// updates at every history sample and when it closes. A streak a previous run left open ends at its
// last stored observation (the agent cannot vouch for the time it was down).
import type { QuietState } from '../scheduler/types.js';
import { streakTotals } from '../ui/streak-window.js';
import type { HistoryRepo, Streak } from './repo.js';

export class QuietStreaks {
  private current: Streak | undefined;
  private sum = 0;

  constructor(private readonly repo: HistoryRepo) {
    repo.closeOpenStreaks();
  }

  observe(atMs: number, state: QuietState, score: number): void {
    const c = this.current;
    if (state !== 'QUIET') {
      if (c) this.close(atMs);
      return;
    }
    if (!c) {
      this.sum = score;
      const open = { startAt: atMs, endAt: atMs, open: true, avgScore: score, minScore: score, samples: 1 };
      this.current = { ...open, id: this.repo.insertStreak(open) };
      return;
    }
    this.sum += score;
    this.current = {
      ...c,
      endAt: atMs,
      samples: c.samples + 1,
      avgScore: this.sum / (c.samples + 1),
      minScore: Math.min(c.minScore, score),
    };
  }

  /** Stores the open streak's progress (history samples and shutdown). */
  flush(): void {
    if (this.current) this.repo.updateStreak(this.current);
  }

  /** Streaks overlapping [fromMs, now], oldest first, the open one with its in-memory figures. */
  list(fromMs: number): Streak[] {
    const stored = this.repo.streaks(fromMs).filter((s) => s.id !== this.current?.id);
    return this.current ? [...stored, this.current] : stored;
  }

  private close(atMs: number): void {
    this.repo.updateStreak({ ...this.current!, endAt: atMs, open: false });
    this.current = undefined;
  }
}

export function streaksJson(streaks: readonly Streak[], fromMs: number, nowMs: number) {
  const items = streaks.map((s) => ({
    start: new Date(s.startAt).toISOString(),
    end: s.open ? null : new Date(s.endAt).toISOString(),
    duration_sec: Math.round(((s.open ? nowMs : s.endAt) - s.startAt) / 1000),
    avg_score: Math.round(s.avgScore * 10) / 10,
    min_score: s.minScore,
    open: s.open,
  }));
  return {
    from: new Date(fromMs).toISOString(),
    to: new Date(nowMs).toISOString(),
    count: items.length,
    ...streakTotals(streaks.map((s) => ({ startMs: s.startAt, endMs: s.open ? undefined : s.endAt })), fromMs, nowMs),
    streaks: items,
  };
}
