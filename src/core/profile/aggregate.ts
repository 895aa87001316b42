/**
 * Aggregation of (inlining-corrected) profiles into the report's functions, lines and allocation
 * sites, across processes.
 *
 * - Self time of a function: the time of samples with one of its nodes on top.
 * - Total time: the time of samples with the function anywhere on the stack, counted once per
 *   sample even under recursion (a node adds its subtree only when no ancestor node has the same
 *   function).
 * - Line self time: a node's self time split over its tick lines in proportion to their ticks;
 *   a node without ticks puts its time on its function's line.
 * - Caller → callee edge time: the subtree time of each outermost callee node, per caller function.
 * - Allocations: a heap node's bytes go to its function (at the function's line); nodes without a
 *   script (builtins such as `Array.prototype.join`) give theirs to the nearest caller that has one.
 */
import type { FunctionLocation, Locator } from './locator';
import { CpuProfileModel, HeapProfileModel, indexTree } from './model';
import type { AllocationSite, CallEdge, CodeKind, FunctionHotspot, GeneratedLocation, LineHotspot } from './report';

interface FunctionAgg {
  id: string;
  loc: FunctionLocation;
  selfUs: number;
  totalUs: number;
  samples: number;
  allocBytes: number;
  callers: Map<number, number>;
  callees: Map<number, number>;
}

interface LineAgg {
  file: string;
  line: number;
  selfUs: number;
  samples: number;
  generated?: GeneratedLocation;
  /** Time per function on this line, to name the line's function. */
  byFunction: Map<number, number>;
}

interface SiteAgg {
  fn: number;
  bytes: number;
}

export interface ProcessTotals {
  sampledUs: number;
  cpuUs: number;
  samples: number;
}

function lineKey(file: string, line: number): string {
  return `${line}\u0000${file}`;
}

export class ReportBuilder {
  private readonly functions: FunctionAgg[] = [];
  private readonly functionIndex = new Map<string, number>();
  private readonly lines = new Map<string, LineAgg>();
  private readonly sites = new Map<number, SiteAgg>();
  sampledUs = 0;
  cpuUs = 0;
  allocBytes = 0;

  constructor(private readonly locator: Locator) {}

  private functionOf(loc: FunctionLocation): number {
    const id = `${loc.file}:${loc.line}:${loc.column}:${loc.name}`;
    let i = this.functionIndex.get(id);
    if (i === undefined) {
      i = this.functions.length;
      this.functions.push({ id, loc, selfUs: 0, totalUs: 0, samples: 0, allocBytes: 0, callers: new Map(), callees: new Map() });
      this.functionIndex.set(id, i);
    }
    return i;
  }

  private lineOf(file: string, line: number, generated: GeneratedLocation | undefined): LineAgg {
    const key = lineKey(file, line);
    let agg = this.lines.get(key);
    if (!agg) {
      agg = { file, line, selfUs: 0, samples: 0, ...(generated ? { generated } : {}), byFunction: new Map() };
      this.lines.set(key, agg);
    }
    return agg;
  }

  addCpuProfile(model: CpuProfileModel): ProcessTotals {
    const frames = model.frames;
    const frameFunction = new Int32Array(frames.length);
    for (let f = 0; f < frames.length; f++) frameFunction[f] = this.functionOf(this.locator.locateFunction(frames[f]!));
    const n = model.nodeCount;
    const nodeFunction = new Int32Array(n);
    let sampled = 0;
    let idle = 0;
    // Lines are cached per frame and generated line for this profile.
    const lineCache: (Map<number, LineAgg | null> | undefined)[] = new Array<Map<number, LineAgg | null> | undefined>(frames.length);
    for (let node = 0; node < n; node++) {
      const f = model.nodeFrame[node]!;
      const fn = frameFunction[f]!;
      nodeFunction[node] = fn;
      const self = model.nodeSelfUs[node]!;
      const agg = this.functions[fn]!;
      agg.selfUs += self;
      agg.samples += model.nodeSamples[node]!;
      sampled += self;
      if (agg.loc.kind === 'system' && agg.loc.name === '(idle)') idle += self;
      // Frames without a script (V8 builtins) have no lines to show.
      if (self <= 0 || frames[f]!.url === '') continue;
      const from = model.tickStart[node]!;
      const to = model.tickStart[node + 1]!;
      let ticks = 0;
      for (let k = from; k < to; k++) ticks += model.tickCount[k]!;
      if (ticks === 0) {
        if (agg.loc.line >= 1) this.addLine(this.lineOf(agg.loc.file, agg.loc.line, agg.loc.generated), fn, self, model.nodeSamples[node]!);
        continue;
      }
      const cache = (lineCache[f] ??= new Map());
      for (let k = from; k < to; k++) {
        const genLine = model.tickLine[k]!;
        let line = cache.get(genLine);
        if (line === undefined) {
          const loc = this.locator.locateLine(frames[f]!, genLine);
          line = loc.line >= 1 ? this.lineOf(loc.file, loc.line, loc.generated) : null;
          cache.set(genLine, line);
        }
        if (line) this.addLine(line, fn, (self * model.tickCount[k]!) / ticks, model.tickCount[k]!);
      }
    }
    this.addTotals(model, nodeFunction);
    this.sampledUs += sampled;
    this.cpuUs += sampled - idle;
    return { sampledUs: sampled, cpuUs: sampled - idle, samples: model.sampleCount };
  }

  private addLine(line: LineAgg, fn: number, us: number, samples: number): void {
    line.selfUs += us;
    line.samples += samples;
    line.byFunction.set(fn, (line.byFunction.get(fn) ?? 0) + us);
  }

  private addTotals(model: CpuProfileModel, nodeFunction: Int32Array): void {
    const n = model.nodeCount;
    const tree = model.tree ?? indexTree(model.nodeParent);
    const subtree = Float64Array.from(model.nodeSelfUs);
    for (let k = tree.order.length - 1; k >= 0; k--) {
      const node = tree.order[k]!;
      const p = model.nodeParent[node]!;
      if (p >= 0) subtree[p]! += subtree[node]!;
    }
    const fnCount = this.functions.length;
    const active = new Int32Array(fnCount);
    // Caller → callee time for this profile, keyed caller * fnCount + callee; merged at the end.
    const edges = new Map<number, number>();
    // Depth-first with explicit enter (node) / leave (~node) entries.
    const stack = new Int32Array(2 * n + 1);
    let top = 0;
    for (let i = 0; i < n; i++) if (model.nodeParent[i]! < 0) stack[top++] = i;
    while (top > 0) {
      const entry = stack[--top]!;
      if (entry < 0) {
        active[nodeFunction[~entry]!]!--;
        continue;
      }
      const fn = nodeFunction[entry]!;
      if (active[fn]! === 0) {
        const time = subtree[entry]!;
        const agg = this.functions[fn]!;
        agg.totalUs += time;
        const p = model.nodeParent[entry]!;
        if (p >= 0 && time > 0) {
          const caller = nodeFunction[p]!;
          if (caller !== fn) {
            const key = caller * fnCount + fn;
            edges.set(key, (edges.get(key) ?? 0) + time);
          }
        }
      }
      active[fn]!++;
      stack[top++] = ~entry;
      for (let c = tree.childStart[entry]!; c < tree.childStart[entry + 1]!; c++) stack[top++] = tree.children[c]!;
    }
    for (const [key, time] of edges) {
      const caller = Math.floor(key / fnCount);
      const callee = key - caller * fnCount;
      const calleeAgg = this.functions[callee]!;
      const callerAgg = this.functions[caller]!;
      calleeAgg.callers.set(caller, (calleeAgg.callers.get(caller) ?? 0) + time);
      callerAgg.callees.set(callee, (callerAgg.callees.get(callee) ?? 0) + time);
    }
  }

  addHeapProfile(model: HeapProfileModel): void {
    const frameFunction = model.frames.map((f) => this.functionOf(this.locator.locateFunction(f)));
    // Builtins have no script (id 0); a frame with a script id but no url is user code whose
    // script V8 lost (see heapProfile.ts) and keeps its bytes.
    const hasScript = model.frames.map((f) => f.url !== '' || (f.scriptId !== '' && f.scriptId !== '0'));
    for (let node = 0; node < model.nodeCount; node++) {
      const bytes = model.nodeSelfBytes[node]!;
      if (bytes <= 0) continue;
      let owner = node;
      while (!hasScript[model.nodeFrame[owner]!] && model.nodeParent[owner]! >= 0) owner = model.nodeParent[owner]!;
      if (!hasScript[model.nodeFrame[owner]!]) owner = node;
      const fn = frameFunction[model.nodeFrame[owner]!]!;
      this.functions[fn]!.allocBytes += bytes;
      const site = this.sites.get(fn) ?? { fn, bytes: 0 };
      site.bytes += bytes;
      this.sites.set(fn, site);
    }
    this.allocBytes += model.totalBytes;
  }

  build(): { lines: LineHotspot[]; functions: FunctionHotspot[]; allocations: AllocationSite[] } {
    const total = this.sampledUs;
    const percent = (us: number): number => (total > 0 ? round((us / total) * 100, 4) : 0);
    const fns = this.functions;
    const edges = (map: Map<number, number>): CallEdge[] =>
      [...map]
        .filter(([fn]) => fns[fn]!.loc.name !== '(root)' || fns[fn]!.loc.kind !== 'system')
        .sort((a, b) => b[1] - a[1])
        .map(([fn, us]) => ({ id: fns[fn]!.id, name: fns[fn]!.loc.name, file: fns[fn]!.loc.file, line: fns[fn]!.loc.line, us: round(us, 1) }));

    const allocByLine = new Map<string, number>();
    const allocations: AllocationSite[] = [...this.sites.values()]
      .sort((a, b) => b.bytes - a.bytes)
      .map(({ fn, bytes }) => {
        const loc = fns[fn]!.loc;
        const key = lineKey(loc.file, loc.line);
        allocByLine.set(key, (allocByLine.get(key) ?? 0) + bytes);
        return { file: loc.file, line: loc.line, functionName: loc.name, bytes, percent: this.allocBytes > 0 ? round((bytes / this.allocBytes) * 100, 4) : 0, kind: loc.kind };
      });

    const lines: LineHotspot[] = [...this.lines.entries()]
      .filter(([, l]) => l.samples > 0 || l.selfUs > 0)
      .sort((a, b) => b[1].selfUs - a[1].selfUs)
      .map(([key, l]) => {
        let top = -1;
        let topUs = -1;
        for (const [fn, us] of l.byFunction) if (us > topUs) [top, topUs] = [fn, us];
        const fn = fns[top]!;
        const alloc = allocByLine.get(key);
        return {
          file: l.file,
          line: l.line,
          selfUs: round(l.selfUs, 1),
          selfMs: round(l.selfUs / 1000, 3),
          selfPercent: percent(l.selfUs),
          samples: Math.round(l.samples),
          functionName: fn.loc.name,
          kind: lineKind(fn.loc.kind, l.file),
          ...(l.generated ? { generated: l.generated } : {}),
          ...(alloc !== undefined ? { allocBytes: alloc } : {}),
        };
      });

    const functions: FunctionHotspot[] = fns
      .filter((f) => !(f.loc.kind === 'system' && f.loc.name === '(root)') && (f.totalUs > 0 || f.selfUs > 0 || f.allocBytes > 0))
      .sort((a, b) => b.selfUs - a.selfUs || b.totalUs - a.totalUs || b.allocBytes - a.allocBytes)
      .map((f) => ({
        id: f.id,
        name: f.loc.name,
        file: f.loc.file,
        line: f.loc.line,
        column: f.loc.column,
        ...(f.loc.endLine !== undefined ? { endLine: f.loc.endLine } : {}),
        selfUs: round(f.selfUs, 1),
        totalUs: round(f.totalUs, 1),
        selfMs: round(f.selfUs / 1000, 3),
        totalMs: round(f.totalUs / 1000, 3),
        selfPercent: percent(f.selfUs),
        totalPercent: percent(f.totalUs),
        samples: Math.round(f.samples),
        kind: f.loc.kind,
        callers: edges(f.callers),
        callees: edges(f.callees),
        allocBytes: f.allocBytes,
        ...(f.loc.generated ? { generated: f.loc.generated } : {}),
      }));
    return { lines, functions, allocations };
  }
}

/** A line takes its function's kind, unless the line's own file is a dependency's. */
function lineKind(functionKind: CodeKind, file: string): CodeKind {
  return functionKind === 'user' && /[\\/]node_modules[\\/]/.test(file) ? 'dependency' : functionKind;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
