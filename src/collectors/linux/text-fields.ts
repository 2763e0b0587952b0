// Finding "key<separator>value" lines in procfs text by searching for the key itself, instead of
// splitting every line: /proc/meminfo and /proc/vmstat have 50-200 lines of which a handful matter.

/** Start of the value after `key` + `separator` at the start of a line, or -1 when absent. */
export function findLineValue(text: string, key: string, separator: string): number {
  const needle = key + separator;
  if (text.startsWith(needle)) return needle.length;
  const at = text.indexOf('\n' + needle);
  return at < 0 ? -1 : at + 1 + needle.length;
}

/** The rest of the line from `start` (without the newline). */
export function restOfLine(text: string, start: number): string {
  const end = text.indexOf('\n', start);
  return text.slice(start, end < 0 ? text.length : end);
}
