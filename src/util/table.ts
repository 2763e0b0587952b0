// Left-aligned text columns for people (snapshot --format table, the console exporter).
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function formatAttributes(attributes: Readonly<Record<string, unknown>>): string {
  const parts = Object.entries(attributes).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length ? `{${parts.join(', ')}}` : '';
}
