// Small DOM builders for the page: elements from data, tables, and nothing that needs inline style
// or script (the page runs under a strict Content-Security-Policy).

type Child = Node | string | number | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Readonly<Record<string, string | number | boolean | undefined>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

export function append(node: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces a node's children. */
export function fill(node: Node, ...children: Child[]): void {
  while (node.firstChild) node.removeChild(node.firstChild);
  append(node, children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`page element #${id} is missing`);
  return node as T;
}

/** A table with a caption; cells may be nodes. `rowAttrs` gives each row data attributes (tests, links). */
export function table(
  caption: string,
  headers: readonly string[],
  rows: readonly (readonly Child[])[],
  rowAttrs?: (index: number) => Readonly<Record<string, string | number>>,
): HTMLTableElement {
  return el(
    'table',
    {},
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col' }, h)))),
    el(
      'tbody',
      {},
      ...rows.map((cells, i) => el('tr', rowAttrs?.(i) ?? {}, ...cells.map((c) => el('td', {}, c)))),
    ),
  );
}

/** A definition list of label/value pairs (figures at a glance). */
export function figures(pairs: readonly (readonly [string, Child])[]): HTMLDListElement {
  const dl = el('dl', { class: 'figures' });
  for (const [label, value] of pairs) append(dl, [el('div', {}, el('dt', {}, label), el('dd', {}, value))]);
  return dl;
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}
