/**
 * Inlining correction.
 *
 * When TurboFan inlines a callee into its caller, V8's profiler keeps the caller's node for samples
 * taken in the inlined code but records the *callee's* source line (a line of the callee's own
 * script) in that node's positionTicks. Measured on Node 20 (test/fixtures/profiles/programs/
 * inline-cross): 97% of the ticks of `loop` in a.js carry line 37, a line of b.js, which is past the
 * end of the 13-line a.js; no node for the callee exists at all. Taken at face value, the time is
 * shown on a line that does not exist, in the wrong file, and the callee looks free.
 *
 * Detection — a tick of node N (function F of script S) on line L is foreign when:
 *   - L is past the end of S, or
 *   - S was parsed, F was identified, and F has no code of its own on L (see functionRanges.ts:
 *     blank and comment lines, lines of other functions, and lines of functions nested in F —
 *     an inlined closure — all count as foreign).
 * If S cannot be read, nothing is moved; if it cannot be parsed, only the past-the-end rule applies.
 *
 * Re-homing — the tick goes to the first of these that has code of its own on L:
 *   1. a function of a descendant node of N (nearest first, then the smallest function; any file):
 *      the callee was seen un-inlined under this caller (e.g. before it was optimized);
 *   2. the innermost other function of S itself (same-file inlining);
 *   3. a unique function among the scripts S imports with a relative `require`/`import` — this is
 *      what finds a cross-file callee that never got a node of its own;
 *   4. a unique function among all scripts of the profile.
 * Script top levels are never targets (they are not inlined). A tick with no target stays where
 * V8 put it and is counted as unplaced.
 *
 * The moved time becomes a synthetic child node of N with the callee's frame, so self time, total
 * time and caller/callee edges all follow without special cases.
 */
import type { ScriptFunctions } from './functionRanges';
import { CallFrame, CpuProfileModel, FrameTable, indexTree } from './model';

export interface InliningScript {
  /** URL used for frames synthesized in this script. */
  url: string;
  /** Null when the file could not be read. */
  functions: ScriptFunctions | null;
  /** Indices (into the same script list) of the scripts this one imports. */
  imports: readonly number[];
}

export interface InliningContext {
  scripts: readonly InliningScript[];
  /** Index of the script a frame's url names, or -1 (V8 internals, `node:` modules, URLs). */
  scriptOf(frame: CallFrame): number;
}

export interface InliningStats {
  totalTicks: number;
  movedTicks: number;
  unplacedTicks: number;
}

const MAX_DESCENDANT_DEPTH = 8;
const MAX_DESCENDANTS = 4096;

export function correctInlining(model: CpuProfileModel, ctx: InliningContext, enabled = true): { model: CpuProfileModel; stats: InliningStats } {
  const stats: InliningStats = { totalTicks: 0, movedTicks: 0, unplacedTicks: 0 };
  for (let k = 0; k < model.tickCount.length; k++) stats.totalTicks += model.tickCount[k]!;
  if (!enabled || stats.totalTicks === 0) return { model, stats };

  const table = FrameTable.from(model.frames);
  const frameScript: number[] = table.frames.map((f) => ctx.scriptOf(f));
  // A frame's function in its script; found on first use, because that parses the script.
  const frameFunctionCache: number[] = frameScript.map(() => -2);
  const frameFunction = (frame: number): number => {
    let fn = frameFunctionCache[frame]!;
    if (fn === -2) {
      const s = frameScript[frame]!;
      const fns = s >= 0 ? ctx.scripts[s]!.functions : null;
      const f = table.frames[frame]!;
      fn = fns && fns.parsed && f.lineNumber >= 0 ? fns.findByPosition(f.lineNumber, f.columnNumber) : -1;
      frameFunctionCache[frame] = fn;
    }
    return fn;
  };
  const frameFor = (script: number, fn: number): number => {
    const f = ctx.scripts[script]!.functions!.functions[fn]!;
    const before = table.frames.length;
    const index = table.intern({ functionName: f.name, url: ctx.scripts[script]!.url, scriptId: '', lineNumber: f.v8Line, columnNumber: f.v8Column });
    if (index === before) {
      frameScript.push(script);
      frameFunctionCache.push(fn);
    }
    return index;
  };

  const profileScripts = [...new Set(frameScript.filter((s) => s >= 0))];
  const tree = model.tree ?? indexTree(model.nodeParent);
  const elsewhere = new Map<string, number>();

  /** Innermost non-top-level function of `script` with own code on `line`, excluding `except`; -1 if none. */
  const innermostOwner = (script: number, line: number, except: number): number => {
    const fns = ctx.scripts[script]?.functions;
    if (!fns || !fns.parsed) return -1;
    let best = -1;
    for (const o of fns.ownersOf(line)) {
      if (o === 0 || o === except) continue;
      if (best < 0 || fns.functions[o]!.start > fns.functions[best]!.start) best = o;
    }
    return best;
  };
  /** Rule 3/4: the single script among `scripts` (other than `self`) with a function on `line`. */
  const uniqueAmong = (scripts: readonly number[], self: number, line: number): number => {
    let found = -1;
    for (const s of scripts) {
      if (s === self) continue;
      const fn = innermostOwner(s, line, -1);
      if (fn < 0) continue;
      if (found >= 0) return -2;
      found = frameFor(s, fn);
    }
    return found;
  };
  const outsideTarget = (script: number, fn: number, line: number): number => {
    const key = `${script}:${fn}:${line}`;
    let target = elsewhere.get(key);
    if (target === undefined) {
      const own = innermostOwner(script, line, fn);
      target = own >= 0 ? frameFor(script, own) : -1;
      if (target < 0) {
        const imported = uniqueAmong(ctx.scripts[script]!.imports, script, line);
        target = imported >= 0 ? imported : imported === -2 ? -1 : uniqueAmong(profileScripts, script, line);
        if (target < 0) target = -1;
      }
      elsewhere.set(key, target);
    }
    return target;
  };
  const descendantTarget = (node: number, script: number, fn: number, line: number): number => {
    // Breadth first, level by level; the smallest matching function of the nearest level wins.
    let level = [node];
    let visited = 0;
    for (let depth = 1; depth <= MAX_DESCENDANT_DEPTH && level.length > 0 && visited < MAX_DESCENDANTS; depth++) {
      const next: number[] = [];
      let best = -1;
      let bestSize = Infinity;
      for (const parent of level) {
        for (let c = tree.childStart[parent]!; c < tree.childStart[parent + 1]! && visited < MAX_DESCENDANTS; c++) {
          const child = tree.children[c]!;
          visited++;
          next.push(child);
          const f = model.nodeFrame[child]!;
          const s2 = frameScript[f]!;
          if (s2 < 0) continue;
          const fn2 = frameFunction(f);
          if (fn2 <= 0 || (s2 === script && fn2 === fn)) continue;
          const fns = ctx.scripts[s2]!.functions!;
          if (!fns.ownsLine(fn2, line)) continue;
          const size = fns.functions[fn2]!.end - fns.functions[fn2]!.start;
          if (size < bestSize) {
            best = f;
            bestSize = size;
          }
        }
      }
      if (best >= 0) return best;
      level = next;
    }
    return -1;
  };

  // Find the moves.
  const moveTarget = new Int32Array(model.tickLine.length).fill(-1);
  let moves = 0;
  for (let node = 0; node < model.nodeCount; node++) {
    const from = model.tickStart[node]!;
    const to = model.tickStart[node + 1]!;
    if (from === to) continue;
    const frame = model.nodeFrame[node]!;
    const script = frameScript[frame]!;
    const fns = script >= 0 ? ctx.scripts[script]!.functions : null;
    if (!fns) continue;
    const fn = frameFunction(frame);
    for (let k = from; k < to; k++) {
      const line = model.tickLine[k]!;
      const foreign = line > fns.lineCount || (fns.parsed && fn >= 0 && !fns.ownsLine(fn, line));
      if (!foreign) continue;
      let target = descendantTarget(node, script, fn, line);
      if (target < 0) target = outsideTarget(script, fn, line);
      if (target < 0) {
        stats.unplacedTicks += model.tickCount[k]!;
        continue;
      }
      moveTarget[k] = target;
      stats.movedTicks += model.tickCount[k]!;
      moves++;
    }
  }
  if (moves === 0) return { model, stats };
  return { model: applyMoves(model, table.frames, moveTarget), stats };
}

/** Rebuilds the model with each moved tick on a synthetic child node (one per caller node and callee frame). */
function applyMoves(model: CpuProfileModel, frames: CallFrame[], moveTarget: Int32Array): CpuProfileModel {
  const n = model.nodeCount;
  const synthetic = new Map<number, number>(); // node * frames + target → synthetic index
  const synthParent: number[] = [];
  const synthFrame: number[] = [];
  const tickOwner = new Int32Array(model.tickLine.length);
  for (let node = 0; node < n; node++) {
    for (let k = model.tickStart[node]!; k < model.tickStart[node + 1]!; k++) {
      const target = moveTarget[k]!;
      if (target < 0) {
        tickOwner[k] = node;
        continue;
      }
      const key = node * frames.length + target;
      let s = synthetic.get(key);
      if (s === undefined) {
        s = n + synthParent.length;
        synthetic.set(key, s);
        synthParent.push(node);
        synthFrame.push(target);
      }
      tickOwner[k] = s;
    }
  }
  const total = n + synthParent.length;
  const nodeFrame = new Int32Array(total);
  nodeFrame.set(model.nodeFrame);
  nodeFrame.set(synthFrame, n);
  const nodeParent = new Int32Array(total);
  nodeParent.set(model.nodeParent);
  nodeParent.set(synthParent, n);
  const nodeSelfUs = new Float64Array(total);
  const nodeSamples = new Float64Array(total);
  // Each tick entry carries its share of its original node's time and samples.
  const tickStart = new Int32Array(total + 1);
  for (let k = 0; k < tickOwner.length; k++) tickStart[tickOwner[k]! + 1]!++;
  for (let i = 0; i < total; i++) tickStart[i + 1]! += tickStart[i]!;
  const fill = tickStart.slice(0, total);
  const tickLine = new Int32Array(model.tickLine.length);
  const tickCount = new Float64Array(model.tickLine.length);
  for (let node = 0; node < n; node++) {
    const from = model.tickStart[node]!;
    const to = model.tickStart[node + 1]!;
    let sum = 0;
    for (let k = from; k < to; k++) sum += model.tickCount[k]!;
    let keptShare = 1;
    for (let k = from; k < to; k++) {
      const owner = tickOwner[k]!;
      const at = fill[owner]!++;
      tickLine[at] = model.tickLine[k]!;
      tickCount[at] = model.tickCount[k]!;
      if (owner !== node) {
        const share = model.tickCount[k]! / sum;
        keptShare -= share;
        nodeSelfUs[owner]! += model.nodeSelfUs[node]! * share;
        nodeSamples[owner]! += model.nodeSamples[node]! * share;
      }
    }
    const kept = Math.max(0, keptShare);
    nodeSelfUs[node] = model.nodeSelfUs[node]! * kept;
    nodeSamples[node] = model.nodeSamples[node]! * kept;
  }
  return { ...model, frames, tree: undefined, nodeCount: total, nodeFrame, nodeParent, nodeSelfUs, nodeSamples, tickStart, tickLine, tickCount };
}
