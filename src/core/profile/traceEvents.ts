/**
 * CPU profiles inside Chrome trace files (DevTools Performance panel, `chrome://tracing`, and Node
 * with `--cpu-prof --trace-event-categories disabled-by-default-v8.cpu_profiler`).
 *
 * V8 streams a profile as one `Profile` event (`ph: "P"`, an `id`, `args.data.startTime`) and many
 * `ProfileChunk` events with the same `id`, each carrying new nodes (with `parent`, not `children`),
 * samples, `timeDeltas` and — instead of positionTicks — the 1-based source line of every sample in
 * `args.data.lines` (0 = unknown). Chunks may come from another thread than the profiled one, so
 * they are matched to their profile by pid + id, and the thread is the `Profile` event's `tid`.
 * Older traces hold a whole profile in one `CpuProfile` event.
 *
 * A thread can have two profiles at once (Node's --cpu-prof and the tracing profiler both run): the
 * one with more samples is kept and the other is reported.
 */
import type { RawCpuProfile } from './cpuProfile';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isTraceFile(json: unknown): boolean {
  if (Array.isArray(json)) return json.length > 0 && isObject(json[0]) && ('ph' in json[0] || 'traceEvents' in json[0]);
  return isObject(json) && Array.isArray(json['traceEvents']);
}

interface Pending {
  pid: number | undefined;
  tid: number | undefined;
  startTime: number | undefined;
  endTime: number | undefined;
  chunks: { ts: number; data: Json }[];
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function concatInto(target: unknown[], source: unknown): void {
  if (!Array.isArray(source)) return;
  for (const v of source) target.push(v);
}

export function profilesFromTrace(json: unknown, fail: (what: string) => never): { profiles: RawCpuProfile[]; warnings: string[] } {
  const events = (Array.isArray(json) ? json : (json as Json)['traceEvents']) as unknown[];
  const pending = new Map<string, Pending>();
  const whole: RawCpuProfile[] = [];
  const get = (e: Json): Pending => {
    const key = `${String(e['pid'])}:${String(e['id'])}`;
    let p = pending.get(key);
    if (!p) {
      p = { pid: num(e['pid']), tid: undefined, startTime: undefined, endTime: undefined, chunks: [] };
      pending.set(key, p);
    }
    return p;
  };
  for (const e of events) {
    if (!isObject(e)) continue;
    const name = e['name'];
    const data = isObject(e['args']) ? (e['args'] as Json)['data'] : undefined;
    if (!isObject(data)) continue;
    if (name === 'Profile') {
      const p = get(e);
      p.tid = num(e['tid']);
      p.startTime = num(data['startTime']) ?? num(e['ts']);
    } else if (name === 'ProfileChunk') {
      const p = get(e);
      p.chunks.push({ ts: num(e['ts']) ?? 0, data });
      p.tid ??= num(e['tid']);
    } else if (name === 'CpuProfile' && isObject(data['cpuProfile']) && Array.isArray((data['cpuProfile'] as Json)['nodes'])) {
      const cp = data['cpuProfile'] as Json;
      whole.push({ ...(cp as unknown as RawCpuProfile), pid: num(e['pid']), threadId: num(e['tid']) } as RawCpuProfile);
    }
  }

  const profiles: RawCpuProfile[] = [...whole];
  for (const p of pending.values()) {
    if (p.chunks.length === 0) continue;
    p.chunks.sort((a, b) => a.ts - b.ts);
    const nodes: unknown[] = [];
    const samples: unknown[] = [];
    const timeDeltas: unknown[] = [];
    const lines: unknown[] = [];
    for (const { data } of p.chunks) {
      const cp = isObject(data['cpuProfile']) ? (data['cpuProfile'] as Json) : {};
      concatInto(nodes, cp['nodes']);
      concatInto(samples, cp['samples']);
      concatInto(timeDeltas, data['timeDeltas']);
      if (Array.isArray(data['lines'])) concatInto(lines, data['lines']);
      for (let i = lines.length; i < samples.length; i++) lines.push(0);
      p.endTime = num(data['endTime']) ?? p.endTime;
    }
    if (nodes.length === 0) continue;
    const startTime = p.startTime ?? p.chunks[0]!.ts;
    profiles.push({
      nodes,
      samples,
      timeDeltas,
      sampleLines: lines,
      startTime,
      ...(p.endTime !== undefined ? { endTime: p.endTime } : {}),
      ...(p.pid !== undefined ? { pid: p.pid } : {}),
      ...(p.tid !== undefined ? { threadId: p.tid } : {}),
    });
  }
  if (profiles.length === 0) fail('a trace file without CPU profile events (record it with the "disabled-by-default-v8.cpu_profiler" category)');

  // One profile per thread: keep the richest.
  const warnings: string[] = [];
  const byThread = new Map<string, RawCpuProfile>();
  const sampleCount = (r: RawCpuProfile): number => (Array.isArray(r.samples) ? r.samples.length : 0);
  for (const r of profiles) {
    const key = `${r.pid ?? '?'}:${r.threadId ?? '?'}`;
    const other = byThread.get(key);
    if (!other) {
      byThread.set(key, r);
      continue;
    }
    const [keep, drop] = sampleCount(r) > sampleCount(other) ? [r, other] : [other, r];
    byThread.set(key, keep);
    warnings.push(`two CPU profiles of process ${r.pid ?? '?'} thread ${r.threadId ?? '?'}; kept the one with ${sampleCount(keep)} samples, ignored the one with ${sampleCount(drop)}`);
  }
  return { profiles: [...byThread.values()], warnings };
}
