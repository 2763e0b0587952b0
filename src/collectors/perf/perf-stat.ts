// Parser for `perf stat -e cycles -a -A -x,` output (CSV on stderr, one line per CPU), the
// independent reading `npm run freq-check` compares the perf source with.

/** Cycles per CPU, or why perf could not count them ("<not supported>", "<not counted>"). */
export function parsePerfStatCycles(text: string): Map<number, number | { reason: string }> {
  const result = new Map<number, number | { reason: string }>();
  for (const line of text.split('\n')) {
    // CPU0,5194000000,,cycles,2000000000,100.00,,
    const m = /^CPU(\d+),([^,]*),[^,]*,cycles(?::\w+)?,/.exec(line.trim());
    if (!m) continue;
    const value = m[2].trim();
    result.set(Number(m[1]), /^\d+$/.test(value) ? Number(value) : { reason: `perf stat reports ${value || 'nothing'} for cycles` });
  }
  return result;
}
