// Hostile OTLP requests built as raw protobuf bytes: a resource attribute whose value nests arrays and
// kvlists `kinds.length` levels deep around a string. Built without recursion (lengths inside out, bytes
// outside in), so 100,000 levels take milliseconds and no stack.

export type Nesting = 'array' | 'kvlist';

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

const KEY_K = [0x0a, 0x01, 0x6b]; // KeyValue.key = "k"

/** Message layers of one nesting level, innermost first: [bytes before the tag, tag byte]. */
const LAYERS: Record<Nesting, [number[], number][]> = {
  // AnyValue.array_value (5) > ArrayValue.values (1) > AnyValue
  array: [
    [[], 0x0a],
    [[], 0x2a],
  ],
  // AnyValue.kvlist_value (6) > KeyValueList.values (1) > KeyValue.value (2) > AnyValue
  kvlist: [
    [KEY_K, 0x12],
    [[], 0x0a],
    [[], 0x32],
  ],
};

/** ExportMetricsServiceRequest > ResourceMetrics.resource > Resource.attributes > KeyValue{key "deep"}. */
const OUTER: [number[], number][] = [
  [[0x0a, 0x04, 0x64, 0x65, 0x65, 0x70], 0x12],
  [[], 0x0a],
  [[], 0x0a],
  [[], 0x0a],
];

/** The request bytes; the attribute value is (kinds.length + 1) AnyValue levels deep. */
export function nestedRequest(kinds: readonly Nesting[]): Buffer {
  const inner = [0x0a, 0x01, 0x78]; // AnyValue.string_value = "x"
  const headers: number[][] = [];
  let len = inner.length;
  const wrap = ([prefix, tag]: [number[], number]) => {
    const h = [...prefix, tag, ...varint(len)];
    headers.push(h);
    len += h.length;
  };
  for (let i = kinds.length - 1; i >= 0; i--) for (const layer of LAYERS[kinds[i]]) wrap(layer);
  for (const layer of OUTER) wrap(layer);
  const out = Buffer.allocUnsafe(len);
  let pos = 0;
  for (let i = headers.length - 1; i >= 0; i--) for (const b of headers[i]) out[pos++] = b;
  for (const b of inner) out[pos++] = b;
  return out;
}

/** `levels` nesting levels alternating array and kvlist. */
export function deepRequest(levels: number): Buffer {
  return nestedRequest(Array.from({ length: levels }, (_, i) => (i % 2 ? 'kvlist' : 'array')));
}
