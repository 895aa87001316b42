/**
 * The normalized profile model every importer produces, whatever wrote the file. It stays in the
 * coordinates V8 gave (generated JavaScript, 0-based call-frame positions, 1-based tick lines);
 * source maps and the inlining correction are applied later, during aggregation.
 *
 * The per-node data lives in typed arrays indexed by a dense node index (not the file's node id),
 * so that a profile of a few million samples costs a few flat arrays rather than millions of objects.
 */

/** A call frame as V8 reports it. */
export interface CallFrame {
  functionName: string;
  /** `file:///…`, a plain absolute path (trace files, CommonJS on older Node), `node:…`, or "" for V8 internals. */
  url: string;
  scriptId: string;
  /** 0-based; -1 when the runtime gave none. For functions: the position of the parameter list (see functionRanges.ts). */
  lineNumber: number;
  /** 0-based, in UTF-16 code units; -1 when unknown. */
  columnNumber: number;
}

/** One sampled CPU profile of one thread. */
export interface CpuProfileModel {
  /** The file (or text) it came from, for messages. */
  source: string;
  /** Set when the file itself says (trace files carry pid/tid). */
  pid?: number;
  threadId?: number;
  /** Microseconds, on the profile's own clock. */
  startTime: number;
  endTime: number;
  /** Distinct call frames; nodes point into it. */
  frames: CallFrame[];
  /** Children and a parents-first order, when already computed for these nodes. */
  tree?: TreeIndex;
  nodeCount: number;
  nodeFrame: Int32Array;
  /** Parent node index, -1 for roots. Parents need not come before children. */
  nodeParent: Int32Array;
  /** Sampled time with this node on top of the stack (µs). */
  nodeSelfUs: Float64Array;
  /** Number of samples with this node on top of the stack. */
  nodeSamples: Float64Array;
  /**
   * Line ticks per node (V8 `positionTicks`, or per-sample `lines` of trace files), in CSR form:
   * the ticks of node i are entries tickStart[i] … tickStart[i+1]-1 of tickLine (1-based lines of
   * the generated script) and tickCount.
   */
  tickStart: Int32Array;
  tickLine: Int32Array;
  tickCount: Float64Array;
  /** Samples kept (those pointing at an unknown node are dropped and counted in the warnings). */
  sampleCount: number;
  warnings: string[];
}

/** One sampling heap profile (allocation bytes per call tree node). */
export interface HeapProfileModel {
  source: string;
  frames: CallFrame[];
  nodeCount: number;
  nodeFrame: Int32Array;
  nodeParent: Int32Array;
  nodeSelfBytes: Float64Array;
  totalBytes: number;
  warnings: string[];
}

/** Deduplicates call frames by url + line + column + name (scriptId is not part of the identity). */
export class FrameTable {
  readonly frames: CallFrame[] = [];
  private readonly index = new Map<string, number>();

  intern(frame: CallFrame): number {
    const key = frameKey(frame);
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.frames.length;
      this.frames.push(frame);
      this.index.set(key, i);
    }
    return i;
  }

  /** Builds a table from an existing array of distinct frames (e.g. a model's), to add to it. */
  static from(frames: readonly CallFrame[]): FrameTable {
    const table = new FrameTable();
    for (const f of frames) table.intern(f);
    return table;
  }
}

/**
 * Interns the raw `callFrame` objects of one profile, fast: a profile has few distinct frames but
 * may have millions of nodes. Within one profile a script id names one script, so the lookup goes
 * script id (or the url, for frames without one) → line and column as one number → name, without
 * building a string key per node. Frames are created only when new.
 */
export class RawFrameInterner {
  readonly table = new FrameTable();
  private readonly byScript = new Map<unknown, Map<number, (string | number)[]>>();

  /** The frame index, or -1 when `raw` is not an object. */
  intern(raw: unknown): number {
    if (typeof raw !== 'object' || raw === null) return -1;
    const cf = raw as Record<string, unknown>;
    const sid = cf['scriptId'];
    const scriptKey = sid !== undefined && sid !== 0 && sid !== '0' && sid !== '' ? sid : `url:${String(cf['url'])}`;
    let byPosition = this.byScript.get(scriptKey);
    if (!byPosition) {
      byPosition = new Map();
      this.byScript.set(scriptKey, byPosition);
    }
    const line = cf['lineNumber'];
    const column = cf['columnNumber'];
    const position = (typeof line === 'number' ? line : -1) * 16777216 + (typeof column === 'number' ? column : -1);
    let names = byPosition.get(position);
    if (!names) {
      names = [];
      byPosition.set(position, names);
    }
    const name = cf['functionName'];
    for (let i = 0; i < names.length; i += 2) if (names[i] === name) return names[i + 1] as number;
    const index = this.table.intern(readCallFrame(cf)!);
    names.push(typeof name === 'string' ? name : String(name), index);
    return index;
  }
}

export function frameKey(frame: CallFrame): string {
  return `${frame.url}\u0000${frame.lineNumber}\u0000${frame.columnNumber}\u0000${frame.functionName}`;
}

/** Reads a call frame from untrusted JSON, with defaults for missing fields; null when it is not an object. */
export function readCallFrame(value: unknown): CallFrame | null {
  if (typeof value !== 'object' || value === null) return null;
  const cf = value as Record<string, unknown>;
  return {
    functionName: typeof cf['functionName'] === 'string' ? cf['functionName'] : '',
    url: typeof cf['url'] === 'string' ? cf['url'] : '',
    scriptId: cf['scriptId'] === undefined ? '' : String(cf['scriptId']),
    lineNumber: typeof cf['lineNumber'] === 'number' && Number.isFinite(cf['lineNumber']) ? cf['lineNumber'] : -1,
    columnNumber: typeof cf['columnNumber'] === 'number' && Number.isFinite(cf['columnNumber']) ? cf['columnNumber'] : -1,
  };
}

/** Children of every node in CSR form, and a parents-before-children order (breadth first from the roots). */
export interface TreeIndex {
  childStart: Int32Array;
  children: Int32Array;
  /** All nodes reachable from a root; shorter than nodeCount only when the parent links form a cycle. */
  order: Int32Array;
}

export function indexTree(nodeParent: Int32Array): TreeIndex {
  const n = nodeParent.length;
  const childStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const p = nodeParent[i]!;
    if (p >= 0) childStart[p + 1]!++;
  }
  for (let i = 0; i < n; i++) childStart[i + 1]! += childStart[i]!;
  const fill = childStart.slice(0, n);
  const children = new Int32Array(childStart[n]!);
  for (let i = 0; i < n; i++) {
    const p = nodeParent[i]!;
    if (p >= 0) children[fill[p]!++] = i;
  }
  const order = new Int32Array(n);
  let len = 0;
  for (let i = 0; i < n; i++) if (nodeParent[i]! < 0) order[len++] = i;
  for (let head = 0; head < len; head++) {
    const node = order[head]!;
    for (let c = childStart[node]!, end = childStart[node + 1]!; c < end; c++) order[len++] = children[c]!;
  }
  return { childStart, children, order: len === n ? order : order.subarray(0, len) };
}
