// The totals of quiet streaks over a window (GET /api/system-stats/quiet-streaks): shared by the agent
// (src/history/streaks.ts) and the web page, which moves the window on between its fetches.

export interface StreakSpan {
  readonly startMs: number;
  /** undefined while the streak goes on (it runs to the window's end). */
  readonly endMs: number | undefined;
}

/** Quiet seconds inside [fromMs, toMs] (a streak that began before counts from fromMs) and the longest streak. */
export function streakTotals(spans: readonly StreakSpan[], fromMs: number, toMs: number): { quiet_sec: number; longest_sec: number } {
  let quiet = 0;
  let longest = 0;
  for (const s of spans) {
    const end = s.endMs ?? toMs;
    quiet += Math.max(0, end - Math.max(s.startMs, fromMs));
    longest = Math.max(longest, Math.round((end - s.startMs) / 1000));
  }
  return { quiet_sec: Math.round(quiet / 1000), longest_sec: longest };
}
