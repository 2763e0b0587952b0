// Finds what a Timeplus Proton SQL query (a Grafana target or variable query of the Proton data source)
// refers to, so tests can check it against the bridge's streams (otel-collector-config/proton/streams.sql)
// and the catalogue. A small tokenizer, not a parser: strings, numbers, Grafana variables and punctuation are
// tokens; an identifier is a function when `(` follows it, a keyword when it is one of the SQL keywords the
// dashboards use, an alias after AS, a stream inside table(...) or after FROM/JOIN, and a column otherwise.
// Anything it cannot read is an error, never a guess.

export class ProtonSqlSyntaxError extends Error {}

type Token =
  | { kind: 'ident'; text: string }
  | { kind: 'string'; value: string }
  | { kind: 'variable'; name: string }
  | { kind: 'punct'; text: string }
  | { kind: 'number' };

// Keywords, interval units and literals; identifiers are case-insensitive here as in Proton's SQL.
const KEYWORDS = new Set(
  (
    'select distinct from where and or not in is null as on join inner left right full outer cross using ' +
    'group by order asc desc limit offset having between like ilike case when then else end with union all ' +
    'interval second minute hour day week month year settings true false'
  ).split(' '),
);
const FROM_KEYWORDS = new Set(['from', 'join']);
const MAP_COLUMNS = new Set(['attributes', 'resource_attributes']);
const NUMBER = /^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;
// ${name}, ${name:format} and $name / $__from, as Grafana interpolates them.
const VARIABLE = /^\$(?:\{(\w+)(?::[\w-]+)?\}|(\w+))/;
const PUNCT = /^(?:<=|>=|!=|<>|==|\|\||[(),.[\]=<>+\-*/%;])/;

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const rest = sql.slice(i);
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
    } else if (rest.startsWith('--')) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw new ProtonSqlSyntaxError(`unterminated string at ${i} in ${sql}`);
        if (sql[j] === '\\') {
          value += sql[j + 1] ?? '';
          j += 2;
        } else if (sql[j] === "'" && sql[j + 1] === "'") {
          value += "'";
          j += 2;
        } else if (sql[j] === "'") {
          break;
        } else {
          value += sql[j++];
        }
      }
      tokens.push({ kind: 'string', value });
      i = j + 1;
    } else if (c === '`' || c === '"') {
      const end = sql.indexOf(c, i + 1);
      if (end < 0) throw new ProtonSqlSyntaxError(`unterminated quoted identifier at ${i} in ${sql}`);
      tokens.push({ kind: 'ident', text: sql.slice(i + 1, end) });
      i = end + 1;
    } else if (c === '$') {
      const m = VARIABLE.exec(rest);
      if (!m) throw new ProtonSqlSyntaxError(`unreadable Grafana variable at ${i} in ${sql}`);
      tokens.push({ kind: 'variable', name: m[1] ?? m[2] });
      i += m[0].length;
    } else if (NUMBER.test(rest)) {
      tokens.push({ kind: 'number' });
      i += NUMBER.exec(rest)![0].length;
    } else if (IDENT.test(rest)) {
      const text = IDENT.exec(rest)![0];
      tokens.push({ kind: 'ident', text });
      i += text.length;
    } else if (PUNCT.test(rest)) {
      const text = PUNCT.exec(rest)![0];
      tokens.push({ kind: 'punct', text });
      i += text.length;
    } else {
      throw new ProtonSqlSyntaxError(`unexpected ${JSON.stringify(c)} at ${i} in ${sql}`);
    }
  }
  return tokens;
}

export interface StreamRef {
  readonly stream: string;
  /** Read through table(...): a bounded, historical query. A bare stream name is an unbounded streaming query. */
  readonly bounded: boolean;
  readonly alias?: string;
}

export interface ColumnRef {
  readonly name: string;
  /** The table or subquery alias before the dot, if any. */
  readonly qualifier?: string;
}

export interface ProtonSqlRefs {
  readonly streams: StreamRef[];
  readonly columns: ColumnRef[];
  /** Names after AS: output columns, tables and subqueries. */
  readonly aliases: Set<string>;
  /** String literals compared with metric_name (=, != or IN). */
  readonly metricNames: Set<string>;
  /** Keys read from the attributes map. */
  readonly attributeKeys: Set<string>;
  /** Keys read from the resource_attributes map. */
  readonly resourceAttributeKeys: Set<string>;
  readonly functions: Set<string>;
  /** Grafana variables the query uses (host, core, __from, ...). */
  readonly variables: Set<string>;
}

const isIdent = (t: Token | undefined): t is { kind: 'ident'; text: string } => t?.kind === 'ident';
const isPunct = (t: Token | undefined, text: string): boolean => t?.kind === 'punct' && t.text === text;
const isKeyword = (t: Token | undefined): boolean => isIdent(t) && KEYWORDS.has(t.text.toLowerCase());

export function protonSqlRefs(sql: string): ProtonSqlRefs {
  const tokens = tokenize(sql);
  const refs: ProtonSqlRefs = {
    streams: [],
    columns: [],
    aliases: new Set(),
    metricNames: new Set(),
    attributeKeys: new Set(),
    resourceAttributeKeys: new Set(),
    functions: new Set(),
    variables: new Set(),
  };
  // Identifiers already classified (stream names, aliases, qualifiers), by token index.
  const consumed = new Set<number>();

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'variable') refs.variables.add(t.name);
    if (!isIdent(t)) continue;
    const lower = t.text.toLowerCase();

    if (lower === 'as') {
      const alias = tokens[i + 1];
      if (!isIdent(alias) || isKeyword(alias)) throw new ProtonSqlSyntaxError(`AS without an alias in ${sql}`);
      refs.aliases.add(alias.text);
      consumed.add(i + 1);
    } else if (FROM_KEYWORDS.has(lower)) {
      const next = tokens[i + 1];
      let stream: string | undefined;
      let bounded = false;
      let after = i + 2;
      if (isIdent(next) && next.text.toLowerCase() === 'table' && isPunct(tokens[i + 2], '(')) {
        const name = tokens[i + 3];
        if (!isIdent(name) || !isPunct(tokens[i + 4], ')')) throw new ProtonSqlSyntaxError(`table() needs one stream name in ${sql}`);
        stream = name.text;
        bounded = true;
        consumed.add(i + 1).add(i + 3);
        after = i + 5;
      } else if (isIdent(next) && !isKeyword(next) && !isPunct(tokens[i + 2], '(')) {
        stream = next.text;
        consumed.add(i + 1);
      } else if (!isPunct(next, '(')) {
        throw new ProtonSqlSyntaxError(`${t.text} reads from neither a stream, table(stream) nor a subquery in ${sql}`);
      }
      if (stream !== undefined) {
        const as = tokens[after];
        const alias = isIdent(as) && as.text.toLowerCase() === 'as' ? tokens[after + 1] : undefined;
        refs.streams.push({ stream, bounded, ...(isIdent(alias) ? { alias: alias.text } : {}) });
      }
    } else if (consumed.has(i) || KEYWORDS.has(lower)) {
      continue;
    } else if (isPunct(tokens[i + 1], '(')) {
      refs.functions.add(t.text);
    } else if (isPunct(tokens[i + 1], '.')) {
      const column = tokens[i + 2];
      if (!isIdent(column)) throw new ProtonSqlSyntaxError(`${t.text}. is not followed by a column in ${sql}`);
      refs.columns.push({ name: column.text, qualifier: t.text });
      consumed.add(i + 2);
      mapAccess(column.text, i + 3);
      metricComparison(column.text, i + 3);
    } else {
      refs.columns.push({ name: t.text });
      mapAccess(t.text, i + 1);
      metricComparison(t.text, i + 1);
    }
  }
  return refs;

  function mapAccess(column: string, at: number): void {
    if (!isPunct(tokens[at], '[')) return;
    const key = tokens[at + 1];
    if (!MAP_COLUMNS.has(column) || key?.kind !== 'string' || !isPunct(tokens[at + 2], ']')) {
      throw new ProtonSqlSyntaxError(`${column}[...] is not a map read with a string key in ${sql}`);
    }
    (column === 'attributes' ? refs.attributeKeys : refs.resourceAttributeKeys).add(key.value);
  }

  function metricComparison(column: string, at: number): void {
    if (column !== 'metric_name') return;
    const op = tokens[at];
    if (isPunct(op, '=') || isPunct(op, '!=')) {
      const value = tokens[at + 1];
      if (value?.kind !== 'string') throw new ProtonSqlSyntaxError(`metric_name compared with a non-literal in ${sql}`);
      refs.metricNames.add(value.value);
    } else if (isIdent(op) && /^(not|in)$/i.test(op.text)) {
      let j = op.text.toLowerCase() === 'not' ? at + 1 : at;
      const inToken = tokens[j];
      if (!isIdent(inToken) || inToken.text.toLowerCase() !== 'in' || !isPunct(tokens[j + 1], '(')) return;
      for (j += 2; !isPunct(tokens[j], ')'); j++) {
        const v = tokens[j];
        if (v?.kind === 'string') refs.metricNames.add(v.value);
        else if (!isPunct(v, ',')) throw new ProtonSqlSyntaxError(`metric_name IN (...) holds a non-literal in ${sql}`);
      }
    }
  }
}
