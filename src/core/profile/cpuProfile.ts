/**
 * CPU profile importer. Accepts, from any producer:
 *  - a V8 `Profiler.Profile` (`node --cpu-prof`, DevTools "Save profile", js-debug, the `.cpuprofile`
 *    an in-process `Profiler.stop` returns, bare or wrapped as `{ profile }`): `nodes` with `children`
 *    arrays, or with `parent` ids instead; `samples` + `timeDeltas`; optional `positionTicks`;
 *  - a Chrome trace file (`{ traceEvents: [...] }` or a bare event array) holding `Profile` /
 *    `ProfileChunk` events (or the older `CpuProfile` event): see traceEvents.ts.
 *
 * Sample time: a sample stands for the interval until the next sample (V8 takes a sample, then
 * sleeps one interval); the last sample lasts until `endTime`, at most twice the mean interval.
 * Samples out of timestamp order (negative deltas, seen in some Chrome profiles) are put in order first.
 */
import { UserFacingError } from '../log';
import { CpuProfileModel, indexTree, RawFrameInterner } from './model';
import { displayName } from './profileJson';
import { isTraceFile, profilesFromTrace } from './traceEvents';

/** A profile in the shape of the DevTools protocol, before validation. */
export interface RawCpuProfile {
  nodes: unknown[];
  samples?: unknown;
  timeDeltas?: unknown;
  startTime?: unknown;
  endTime?: unknown;
  /** Trace files: the 1-based line of each sample (0 = unknown), instead of positionTicks. */
  sampleLines?: unknown;
  pid?: number;
  threadId?: number;
}

/** Parses a CPU profile (any supported shape) into one model per profiled thread. */
export function importCpuProfile(json: unknown, file: string): CpuProfileModel[] {
  const name = displayName(file);
  const fail = (what: string): never => {
    throw new UserFacingError(`${name}: ${what}`, file);
  };
  if (isTraceFile(json)) {
    const { profiles, warnings } = profilesFromTrace(json, fail);
    const models = profiles.map((raw) => buildCpuModel(raw, file));
    if (models[0]) models[0].warnings.unshift(...warnings.map((w) => `${name}: ${w}`));
    return models;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail(`not a CPU profile (expected an object with a "nodes" array)`);
  let obj = json as Record<string, unknown>;
  // The result of `Profiler.stop` as a tool saved it: { profile: { nodes, ... } }.
  const inner = obj['profile'];
  if (!Array.isArray(obj['nodes']) && typeof inner === 'object' && inner !== null && Array.isArray((inner as Record<string, unknown>)['nodes'])) {
    obj = inner as Record<string, unknown>;
  }
  const nodes = obj['nodes'];
  if (!Array.isArray(nodes)) {
    const head = obj['head'] as Record<string, unknown> | undefined;
    if (typeof head === 'object' && head !== null && 'selfSize' in head) return fail('this is a heap profile (.heapprofile), not a CPU profile');
    return fail('not a CPU profile (no "nodes" array)');
  }
  return [buildCpuModel(obj as unknown as RawCpuProfile, file)];
}

/** Dense node-id → index lookup when ids are small integers (they are in every V8 profile), else a Map. */
class NodeIds {
  dense: Int32Array | null = null;
  sparse: Map<number, number> | null = null;

  constructor(ids: Float64Array, fail: (what: string) => never) {
    let min = Infinity;
    let max = -Infinity;
    for (const id of ids) {
      if (id < min) min = id;
      if (id > max) max = id;
    }
    if (min >= 0 && max < ids.length * 4 + 1024) {
      const dense = new Int32Array(max + 1).fill(-1);
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        if (dense[id] !== -1) fail(`inconsistent profile (node id ${id} appears twice)`);
        dense[id] = i;
      }
      this.dense = dense;
    } else {
      const sparse = new Map<number, number>();
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        if (sparse.has(id)) fail(`inconsistent profile (node id ${id} appears twice)`);
        sparse.set(id, i);
      }
      this.sparse = sparse;
    }
  }

  indexOf(id: unknown): number {
    if (typeof id !== 'number') return -1;
    if (this.dense) return id >= 0 && id < this.dense.length ? (this.dense[id] ?? -1) : -1;
    return this.sparse?.get(id) ?? -1;
  }
}

/** A JSON array, or a typed array from the fast reader (fastCpuProfileJson.ts). */
function numberList(v: unknown): ArrayLike<unknown> | null {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView)) ? (v as ArrayLike<unknown>) : null;
}

function finiteNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function buildCpuModel(raw: RawCpuProfile, file: string): CpuProfileModel {
  const name = displayName(file);
  const fail = (what: string): never => {
    throw new UserFacingError(`${name}: ${what}`, file);
  };
  const warnings: string[] = [];
  const rawNodes = raw.nodes;
  const n = rawNodes.length;
  if (n === 0) fail('not a CPU profile ("nodes" is empty)');

  // Pass 1: ids and call frames; remember where links and line ticks are (one read of each node).
  const ids = new Float64Array(n);
  const frames = new RawFrameInterner();
  const nodeFrame = new Int32Array(n);
  const childLists: (unknown[] | undefined)[] = new Array<unknown[] | undefined>(n);
  const parentIds: { node: number; parent: unknown }[] = [];
  const positionTicks: { node: number; ticks: unknown[] }[] = [];
  for (let i = 0; i < n; i++) {
    const node = rawNodes[i] as Record<string, unknown> | null;
    if (typeof node !== 'object' || node === null) return fail(`not a CPU profile (node #${i} is not an object)`);
    const id = node['id'];
    if (typeof id !== 'number' || !Number.isInteger(id)) return fail(`not a CPU profile (node #${i} has no numeric "id")`);
    ids[i] = id;
    // Old DevTools exports put the call frame fields on the node itself.
    const frame = frames.intern(node['callFrame'] ?? ('functionName' in node ? node : undefined));
    if (frame < 0) return fail(`not a CPU profile (node ${id} has no "callFrame")`);
    nodeFrame[i] = frame;
    const children = node['children'];
    if (Array.isArray(children) && children.length > 0) childLists[i] = children;
    const parent = node['parent'];
    if (parent !== undefined && parent !== null) parentIds.push({ node: i, parent });
    const pt = node['positionTicks'];
    if (Array.isArray(pt) && pt.length > 0) positionTicks.push({ node: i, ticks: pt });
  }
  const nodeIds = new NodeIds(ids, fail);

  // Pass 2: parent links, from `children` (V8, DevTools) or `parent` (trace files, some tools).
  const nodeParent = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const children = childLists[i];
    if (children === undefined) continue;
    for (let k = 0; k < children.length; k++) {
      const childId = children[k];
      const c = nodeIds.indexOf(childId);
      if (c < 0) fail(`inconsistent profile (node ${ids[i]} lists child ${JSON.stringify(childId)}, which is not in "nodes")`);
      if (nodeParent[c] !== -1 && nodeParent[c] !== i) fail(`inconsistent profile (node ${ids[c]} is a child of both ${ids[nodeParent[c]!]} and ${ids[i]})`);
      nodeParent[c] = i;
    }
  }
  for (const { node: i, parent: parentId } of parentIds) {
    const p = nodeIds.indexOf(parentId);
    if (p < 0) fail(`inconsistent profile (node ${ids[i]} has parent ${JSON.stringify(parentId)}, which is not in "nodes")`);
    if (nodeParent[i] !== -1 && nodeParent[i] !== p) fail(`inconsistent profile (node ${ids[i]} has parent ${JSON.stringify(parentId)} but is listed as a child of ${ids[nodeParent[i]!]})`);
    nodeParent[i] = p;
  }
  const tree = indexTree(nodeParent);
  const reachable = tree.order.length;
  if (reachable < n) fail(`inconsistent profile (${n - reachable} nodes form a cycle and cannot be reached from the root)`);

  const startTime = finiteNumber(raw.startTime) ?? 0;
  let endTime = finiteNumber(raw.endTime) ?? startTime;
  const nodeSelfUs = new Float64Array(n);
  const nodeSamples = new Float64Array(n);
  let sampleCount = 0;
  let dropped = 0;
  let lineTicks: Map<number, number> | null = null;

  const samples = numberList(raw.samples);
  if (samples && samples.length > 0) {
    const count = samples.length;
    const allDeltas = numberList(raw.timeDeltas);
    const deltas = allDeltas && allDeltas.length === count ? allDeltas : null;
    if (!deltas) {
      warnings.push(`${name}: ${allDeltas ? `${allDeltas.length} time deltas for ${count} samples` : 'no "timeDeltas"'}; every sample counted as the mean interval`);
    }
    const lines = Array.isArray(raw.sampleLines) && raw.sampleLines.length === count ? (raw.sampleLines as unknown[]) : null;
    let end = deltas ? attributeInOrder(samples, deltas, nodeIds, startTime, endTime, nodeSelfUs, nodeSamples) : -1;
    if (end < 0) {
      // Deltas missing, malformed or out of order: the general path.
      nodeSelfUs.fill(0);
      nodeSamples.fill(0);
      const durations = sampleDurations(deltas, count, startTime, endTime);
      end = durations.end;
      for (let i = 0; i < count; i++) {
        const node = nodeIds.indexOf(samples[i]);
        if (node < 0) continue;
        nodeSelfUs[node]! += durations.perSample ? durations.perSample[i]! : durations.fixed;
        nodeSamples[node]!++;
      }
    }
    endTime = Math.max(endTime, end);
    let kept = 0;
    for (let i = 0; i < n; i++) kept += nodeSamples[i]!;
    dropped = count - kept;
    if (lines) {
      lineTicks = new Map();
      for (let i = 0; i < count; i++) {
        const line = lines[i];
        if (typeof line !== 'number' || !(line > 0)) continue;
        const node = nodeIds.indexOf(samples[i]);
        if (node < 0) continue;
        const key = node * 0x200000 + line;
        lineTicks.set(key, (lineTicks.get(key) ?? 0) + 1);
      }
    }
    sampleCount = count - dropped;
    if (dropped > 0) warnings.push(`${name}: ${dropped} of ${count} samples point at node ids that are not in "nodes"; they were dropped`);
  } else {
    // No samples (older or aggregated exports): fall back on the nodes' hit counts over the profile's span.
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const h = finiteNumber((rawNodes[i] as Record<string, unknown>)['hitCount']) ?? 0;
      nodeSamples[i] = h;
      hits += h;
    }
    const interval = hits > 0 && endTime > startTime ? (endTime - startTime) / hits : 1000;
    for (let i = 0; i < n; i++) nodeSelfUs[i] = nodeSamples[i]! * interval;
    sampleCount = hits;
    if (hits > 0) warnings.push(`${name}: no "samples"; time estimated from hit counts`);
  }

  const ticks = lineTicks ? ticksFromSampleLines(lineTicks, n) : ticksFromPositionTicks(positionTicks, n, warnings, name);
  return {
    source: file,
    ...(raw.pid !== undefined ? { pid: raw.pid } : {}),
    ...(raw.threadId !== undefined ? { threadId: raw.threadId } : {}),
    startTime,
    endTime,
    frames: frames.table.frames,
    tree,
    nodeCount: n,
    nodeFrame,
    nodeParent,
    nodeSelfUs,
    nodeSamples,
    ...ticks,
    sampleCount,
    warnings,
  };
}

/**
 * The usual case in one pass: sample i lasts timeDeltas[i + 1]. Returns the end of the last sample,
 * or -1 (nothing kept) as soon as a delta is not a number ≥ 0, for the general path to take over.
 */
function attributeInOrder(
  samples: ArrayLike<unknown>,
  deltas: ArrayLike<unknown>,
  nodeIds: NodeIds,
  startTime: number,
  endTime: number,
  nodeSelfUs: Float64Array,
  nodeSamples: Float64Array,
): number {
  const count = samples.length;
  const dense = nodeIds.dense;
  const d0 = deltas[0];
  if (typeof d0 !== 'number' || !Number.isFinite(d0)) return -1;
  const first = startTime + d0;
  let t = first;
  let previous = -1;
  for (let i = 0; i < count; i++) {
    if (i > 0) {
      const d = deltas[i];
      if (typeof d !== 'number' || !(d >= 0) || d === Infinity) return -1;
      t += d;
      if (previous >= 0) nodeSelfUs[previous]! += d;
    }
    const id: unknown = samples[i];
    const node = dense !== null && typeof id === 'number' ? (dense[id] ?? -1) : nodeIds.indexOf(id);
    if (node >= 0) nodeSamples[node]!++;
    previous = node;
  }
  const mean = count > 1 ? (t - first) / (count - 1) : 0;
  const tail = endTime > t ? Math.min(endTime - t, 2 * mean || endTime - t) : mean;
  if (previous >= 0) nodeSelfUs[previous]! += tail;
  return t + tail;
}

interface Durations {
  /** Per-sample durations, or null when every sample lasts `fixed`. */
  perSample: Float64Array | null;
  fixed: number;
  /** Timestamp of the end of the last sample. */
  end: number;
}

/** The general path: no usable deltas (every sample lasts the mean), or samples out of timestamp order (sorted first). */
function sampleDurations(deltas: ArrayLike<unknown> | null, count: number, startTime: number, endTime: number): Durations {
  const numeric = deltas !== null && Array.prototype.every.call(deltas, (d) => typeof d === 'number' && Number.isFinite(d));
  if (!deltas || !numeric) {
    const fixed = endTime > startTime ? (endTime - startTime) / count : 1000;
    return { perSample: null, fixed, end: startTime + fixed * count };
  }
  const times = new Float64Array(count);
  let t = startTime;
  for (let i = 0; i < count; i++) times[i] = t += deltas[i] as number;
  const byTime = Array.from({ length: count }, (_, i) => i).sort((a, b) => times[a]! - times[b]! || a - b);
  const first = times[byTime[0]!]!;
  const last = times[byTime[count - 1]!]!;
  const mean = count > 1 ? (last - first) / (count - 1) : 0;
  const tail = endTime > last ? Math.min(endTime - last, 2 * mean || endTime - last) : mean;
  const perSample = new Float64Array(count);
  for (let k = 0; k + 1 < count; k++) perSample[byTime[k]!] = times[byTime[k + 1]!]! - times[byTime[k]!]!;
  perSample[byTime[count - 1]!] = tail;
  return { perSample, fixed: 0, end: last + tail };
}

function ticksFromPositionTicks(
  perNode: { node: number; ticks: unknown[] }[],
  n: number,
  warnings: string[],
  name: string,
): Pick<CpuProfileModel, 'tickStart' | 'tickLine' | 'tickCount'> {
  let total = 0;
  for (const { ticks } of perNode) total += ticks.length;
  const tickStart = new Int32Array(n + 1);
  const tickLine = new Int32Array(total);
  const tickCount = new Float64Array(total);
  let k = 0;
  let bad = 0;
  let next = 0;
  // perNode is in node order: fill the CSR offsets of the nodes in between as we go.
  for (const { node, ticks } of perNode) {
    while (next <= node) tickStart[next++] = k;
    for (let j = 0; j < ticks.length; j++) {
      const e = ticks[j] as { line?: unknown; ticks?: unknown } | null;
      const line = e?.line;
      const count = e?.ticks;
      if (typeof line !== 'number' || typeof count !== 'number' || !(line >= 1) || !(count > 0)) {
        bad++;
        continue;
      }
      tickLine[k] = line;
      tickCount[k] = count;
      k++;
    }
  }
  while (next <= n) tickStart[next++] = k;
  if (bad > 0) warnings.push(`${name}: ${bad} malformed "positionTicks" entries were ignored`);
  return { tickStart, tickLine: tickLine.subarray(0, k), tickCount: tickCount.subarray(0, k) };
}

function ticksFromSampleLines(lineTicks: Map<number, number>, n: number): Pick<CpuProfileModel, 'tickStart' | 'tickLine' | 'tickCount'> {
  const keys = [...lineTicks.keys()].sort((a, b) => a - b);
  const tickStart = new Int32Array(n + 1);
  const tickLine = new Int32Array(keys.length);
  const tickCount = new Float64Array(keys.length);
  keys.forEach((key, k) => {
    const node = Math.floor(key / 0x200000);
    tickStart[node + 1]!++;
    tickLine[k] = key - node * 0x200000;
    tickCount[k] = lineTicks.get(key)!;
  });
  for (let i = 0; i < n; i++) tickStart[i + 1]! += tickStart[i]!;
  return { tickStart, tickLine, tickCount };
}
