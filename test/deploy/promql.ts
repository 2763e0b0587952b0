// Finds the metric names and label names a PromQL expression (or a Grafana variable query) refers to, so
// tests can check them against the catalogue. A small tokenizer, not a full parser: strings, label
// matchers, ranges, numbers, durations and Grafana variables are recognised as tokens; an identifier is a
// function or aggregation when `(` follows it, a keyword when it is one of PromQL's, and a metric name
// otherwise. Labels come from matchers and from by/without/on/ignoring/group_left/group_right lists.

type Token =
  | { kind: 'ident'; text: string }
  | { kind: 'matchers'; labels: string[] }
  | { kind: 'punct'; text: string }
  | { kind: 'other' };

const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set([...LABEL_LIST_KEYWORDS, 'bool', 'offset', 'and', 'or', 'unless', 'atan2', 'inf', 'nan']);
const NUMBER = /^(?:0x[0-9a-fA-F]+|(?:\d+(?:ms|[smhdwy]))+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/;
const IDENT = /^[A-Za-z_:][A-Za-z0-9_:]*/;
const LABEL = /^[A-Za-z_][A-Za-z0-9_]*/;

export class PromqlSyntaxError extends Error {}

function readString(text: string, start: number): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length && text[i] !== quote) {
    if (text[i] === '\\' && quote !== '`') i++;
    i++;
  }
  if (i >= text.length) throw new PromqlSyntaxError(`unterminated string at ${start} in ${text}`);
  return i + 1;
}

/** Label names of a matcher list such as `a="x", b!~"y|z"` (the text between the braces). */
function matcherLabels(body: string): string[] {
  const labels: string[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body[i];
    if (/[\s,]/.test(c)) {
      i++;
    } else if (c === '"' || c === "'" || c === '`') {
      i = readString(body, i);
    } else {
      const m = LABEL.exec(body.slice(i));
      if (!m) throw new PromqlSyntaxError(`unexpected ${JSON.stringify(c)} in matchers {${body}}`);
      labels.push(m[0]);
      i += m[0].length;
      const op = /^\s*(=~|!~|!=|=)\s*/.exec(body.slice(i));
      if (!op) throw new PromqlSyntaxError(`matcher ${m[0]} has no operator in {${body}}`);
      i += op[0].length;
      if (!/["'`]/.test(body[i] ?? '')) throw new PromqlSyntaxError(`matcher ${m[0]} has no quoted value in {${body}}`);
      i = readString(body, i);
    }
  }
  return labels;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const rest = text.slice(i);
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (c === '"' || c === "'" || c === '`') {
      i = readString(text, i);
      tokens.push({ kind: 'other' });
    } else if (c === '{') {
      let j = i + 1;
      while (j < text.length && text[j] !== '}') j = /["'`]/.test(text[j]) ? readString(text, j) : j + 1;
      if (j >= text.length) throw new PromqlSyntaxError(`unclosed { in ${text}`);
      tokens.push({ kind: 'matchers', labels: matcherLabels(text.slice(i + 1, j)) });
      i = j + 1;
    } else if (c === '[') {
      const end = text.indexOf(']', i);
      if (end < 0) throw new PromqlSyntaxError(`unclosed [ in ${text}`);
      tokens.push({ kind: 'other' });
      i = end + 1;
    } else if (c === '$') {
      const m = /^\$(?:\{[^}]*\}|\w+)/.exec(rest);
      if (!m) throw new PromqlSyntaxError(`stray $ in ${text}`);
      tokens.push({ kind: 'other' });
      i += m[0].length;
    } else if (NUMBER.test(rest) && !IDENT.test(rest)) {
      i += NUMBER.exec(rest)![0].length;
      tokens.push({ kind: 'other' });
    } else if (IDENT.test(rest)) {
      const m = IDENT.exec(rest)![0];
      tokens.push({ kind: 'ident', text: m });
      i += m.length;
    } else {
      tokens.push({ kind: 'punct', text: c });
      i++;
    }
  }
  return tokens;
}

export interface PromqlRefs {
  readonly metrics: Set<string>;
  readonly labels: Set<string>;
}

export function promqlRefs(expr: string): PromqlRefs {
  const tokens = tokenize(expr);
  const metrics = new Set<string>();
  const labels = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'matchers') {
      for (const l of t.labels) labels.add(l);
      continue;
    }
    if (t.kind !== 'ident') continue;
    const next = tokens[i + 1];
    // `f(`, and aggregations written `sum by (...) (...)` / `sum without (...) (...)`.
    const calls =
      (next?.kind === 'punct' && next.text === '(') ||
      (next?.kind === 'ident' && /^(by|without)$/i.test(next.text) && !LABEL_LIST_KEYWORDS.has(t.text.toLowerCase()));
    const word = t.text.toLowerCase();
    if (LABEL_LIST_KEYWORDS.has(word) && calls) {
      let j = i + 2;
      for (; j < tokens.length; j++) {
        const inner = tokens[j];
        if (inner.kind === 'punct' && inner.text === ')') break;
        if (inner.kind === 'ident') labels.add(inner.text);
        else if (!(inner.kind === 'punct' && inner.text === ',')) {
          throw new PromqlSyntaxError(`unexpected token in ${t.text}(...) of ${expr}`);
        }
      }
      i = j;
    } else if (calls || KEYWORDS.has(word)) {
      continue;
    } else {
      metrics.add(t.text);
    }
  }
  return { metrics, labels };
}

/**
 * The PromQL inside a Grafana Prometheus variable query: label_values(expr, label), label_values(label),
 * query_result(expr), or plain PromQL. The label of label_values counts as a label reference.
 */
export function variableQueryRefs(query: string): PromqlRefs {
  const trimmed = query.trim();
  const labelValues = /^label_values\(\s*(?:(.*),\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*\)$/s.exec(trimmed);
  if (labelValues) {
    const refs = labelValues[1] ? promqlRefs(labelValues[1]) : { metrics: new Set<string>(), labels: new Set<string>() };
    refs.labels.add(labelValues[2]);
    return refs;
  }
  const queryResult = /^query_result\((.*)\)$/s.exec(trimmed);
  return promqlRefs(queryResult ? queryResult[1] : trimmed);
}
