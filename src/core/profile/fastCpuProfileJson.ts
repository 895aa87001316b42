/**
 * Fast path for big `.cpuprofile` files. More than half of a long recording is its `samples` and
 * `timeDeltas`: millions of integers that JSON.parse would turn into two huge JS arrays. Here they
 * are scanned straight from the file's bytes into Float64Arrays (about twice as fast, and far less
 * garbage), and JSON.parse only sees the rest — with each array replaced by a marker string so
 * that we can check where it was.
 *
 * Taken only for files that start like a V8 profile (`{"nodes"…` or `{"profile"…`) and whose two
 * arrays hold nothing but integers; and kept only when both markers come back as the `samples` and
 * `timeDeltas` of the profile object. Otherwise `undefined`: the caller parses the whole text the
 * ordinary way (which also gives the precise error messages for broken files).
 */

const SAMPLES_MARK = '\u0000perflens:samples';
const DELTAS_MARK = '\u0000perflens:timeDeltas';

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(bytes: Uint8Array, at: number): number {
  while (isSpace(bytes[at])) at++;
  return at;
}

function startsWithAt(bytes: Buffer, at: number, text: string): boolean {
  return bytes.toString('latin1', at, at + text.length) === text;
}

interface Scanned {
  values: Float64Array;
  /** Offsets of the "[" and just past the "]". */
  start: number;
  end: number;
}

/** Guess of the number of values in bytes [from, to): from the density of commas in its first 64 KB. */
function estimateCount(bytes: Buffer, from: number, to: number): number {
  const probeEnd = Math.min(to, from + 65536);
  let commas = 0;
  for (let i = from; i < probeEnd; i++) if (bytes[i] === 0x2c) commas++;
  return Math.ceil(((commas + 1) * (to - from)) / Math.max(1, probeEnd - from) * 1.05) + 1024;
}

/** Finds `"key": [ints…]` (last occurrence) and reads its integers; null if it is anything else. */
function scanIntArray(bytes: Buffer, key: string): Scanned | null {
  const at = bytes.lastIndexOf(`"${key}"`);
  if (at < 0) return null;
  let p = skipSpace(bytes, at + key.length + 2);
  if (bytes[p] !== 0x3a) return null; // ':'
  p = skipSpace(bytes, p + 1);
  if (bytes[p] !== 0x5b) return null; // '['
  const start = p;
  const close = bytes.indexOf(0x5d, p); // ']': integers contain none, so the first one closes
  if (close < 0) return null;
  let values = new Float64Array(estimateCount(bytes, p, close));
  let n = 0;
  p = skipSpace(bytes, p + 1);
  if (p === close) return { values: values.subarray(0, 0), start, end: close + 1 };
  for (;;) {
    let c = bytes[p]!;
    const negative = c === 0x2d;
    if (negative) c = bytes[++p]!;
    const first = p;
    let v = 0;
    while (c >= 0x30 && c <= 0x39) {
      v = v * 10 + (c - 0x30);
      c = bytes[++p]!;
    }
    if (p === first) return null; // not an integer: fractions, exponents, null, strings…
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = bytes[++p]!;
    if (n === values.length) {
      const grown = new Float64Array(values.length * 2);
      grown.set(values);
      values = grown;
    }
    values[n++] = negative ? -v : v;
    if (p === close) break;
    if (c !== 0x2c) return null;
    p = skipSpace(bytes, p + 1);
  }
  return { values: values.subarray(0, n), start, end: close + 1 };
}

/** See the file comment. */
export function parseCpuProfileBytes(bytes: Buffer): unknown {
  let p = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  p = skipSpace(bytes, p);
  if (bytes[p] !== 0x7b) return undefined; // '{'
  const key = skipSpace(bytes, p + 1);
  if (!startsWithAt(bytes, key, '"nodes"') && !startsWithAt(bytes, key, '"profile"')) return undefined;
  const samples = scanIntArray(bytes, 'samples');
  const deltas = scanIntArray(bytes, 'timeDeltas');
  if (!samples || !deltas || (samples.start < deltas.end && deltas.start < samples.end)) return undefined;
  const [first, second] = samples.start < deltas.start ? [samples, deltas] : [deltas, samples];
  const mark = (s: Scanned): string => JSON.stringify(s === samples ? SAMPLES_MARK : DELTAS_MARK);
  const rest =
    bytes.toString('utf8', p, first.start) + mark(first) + bytes.toString('utf8', first.end, second.start) + mark(second) + bytes.toString('utf8', second.end);
  let json: unknown;
  try {
    json = JSON.parse(rest);
  } catch {
    return undefined;
  }
  const root = json as Record<string, unknown>;
  const inner = root['profile'] as Record<string, unknown> | undefined;
  const target = root['samples'] === SAMPLES_MARK ? root : typeof inner === 'object' && inner !== null && inner['samples'] === SAMPLES_MARK ? inner : null;
  if (!target || target['timeDeltas'] !== DELTAS_MARK) return undefined;
  target['samples'] = samples.values;
  target['timeDeltas'] = deltas.values;
  return json;
}
