/**
 * The entry point of src/core/profile: profiles of one session (one or more processes) in, one
 * ProfileReport out. See docs/profile-model.md for the whole pipeline.
 *
 *   import → (scripts, imports) → inlining correction → (source maps) → aggregation → line texts
 */
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute } from 'node:path';
import { Logger, UserFacingError } from '../log';
import type { CapturedProcess } from '../run/types';
import { ReportBuilder } from './aggregate';
import { importCpuProfile } from './cpuProfile';
import { importHeapProfile } from './heapProfile';
import { correctInlining, InliningStats } from './inlining';
import { Locator } from './locator';
import type { CallFrame, CpuProfileModel, HeapProfileModel } from './model';
import { displayName, parseProfileJson, readCpuProfileJson, readProfileText } from './profileJson';
import type { ProcessSummary, ProfileReport } from './report';

export interface ProfileSource {
  cpuProfilePath?: string;
  heapProfilePath?: string;
  /** The CPU profile's text, when it is not (or not only) on disk; `cpuProfilePath` then only names it. */
  cpuProfileText?: string;
  pid?: number;
  threadId?: number;
  argv?: string[];
  title?: string;
  wallMs?: number | null;
  peakRssBytes?: number | null;
}

export interface AnalyzeOptions {
  log: Logger;
  /** Helps resolve source map `sources` (bundler-relative paths). */
  workspaceRoot?: string;
  signal?: AbortSignal;
  /** Wall-clock time of the whole run; null/undefined for imported profiles. */
  wallMs?: number | null;
  /** Re-home ticks of inlined callees (default true); false shows V8's raw attribution. */
  correctInlining?: boolean;
}

interface LoadedSource {
  source: ProfileSource;
  cpu: CpuProfileModel[];
  heap: HeapProfileModel | null;
}

const MAX_LINE_TEXT = 200;

/** The profile sources of a run: one per captured process (or worker) that left a profile. */
export function processSourcesFromRun(processes: CapturedProcess[]): ProfileSource[] {
  return processes
    .filter((p) => p.cpuProfilePath !== undefined || p.heapProfilePath !== undefined)
    .map((p) => {
      const script = p.argv.length > 1 ? p.argv[1]! : (p.argv[0] ?? 'node');
      const title = `${basename(script)}${p.threadId > 0 ? ` (worker ${p.threadId})` : ''}`;
      return {
        ...(p.cpuProfilePath !== undefined ? { cpuProfilePath: p.cpuProfilePath } : {}),
        ...(p.heapProfilePath !== undefined ? { heapProfilePath: p.heapProfilePath } : {}),
        pid: p.pid,
        threadId: p.threadId,
        argv: p.argv,
        title,
        wallMs: p.endedAt >= p.startedAt ? p.endedAt - p.startedAt : null,
        peakRssBytes: p.maxRssBytes ?? null,
      };
    });
}

async function loadSource(source: ProfileSource): Promise<LoadedSource> {
  let cpu: CpuProfileModel[] = [];
  if (source.cpuProfileText !== undefined || source.cpuProfilePath !== undefined) {
    const name = source.cpuProfilePath ?? source.title ?? 'profile.cpuprofile';
    const json = source.cpuProfileText !== undefined ? parseProfileJson(source.cpuProfileText, name) : await readCpuProfileJson(name);
    cpu = importCpuProfile(json, name);
  }
  let heap: HeapProfileModel | null = null;
  if (source.heapProfilePath !== undefined) {
    heap = importHeapProfile(parseProfileJson(await readProfileText(source.heapProfilePath), source.heapProfilePath), source.heapProfilePath);
  }
  return { source, cpu, heap };
}

function urlsOf(frames: readonly CallFrame[], into: Set<string>): Set<string> {
  for (const f of frames) if (f.url !== '') into.add(f.url);
  return into;
}

export async function analyzeProfiles(sources: ProfileSource[], options: AnalyzeOptions): Promise<ProfileReport> {
  const { log, signal } = options;
  const warnings: string[] = [];
  const warn = (message: string): void => {
    if (warnings.includes(message)) return;
    warnings.push(message);
    log.warn(message);
  };

  // 1. Import. A broken profile among several is skipped with a warning; alone, it is the error.
  const loaded: LoadedSource[] = [];
  const errors: UserFacingError[] = [];
  for (const source of sources) {
    signal?.throwIfAborted();
    try {
      const l = await loadSource(source);
      loaded.push(l);
      for (const m of l.cpu) m.warnings.forEach(warn);
      l.heap?.warnings.forEach(warn);
    } catch (err) {
      if (!(err instanceof UserFacingError)) throw err;
      errors.push(err);
    }
  }
  if (loaded.length === 0) {
    throw errors[0] ?? new UserFacingError('no profiles to analyse');
  }
  for (const err of errors) warn(`${err.message} — this process is left out`);

  // 2. Scripts the profiles name, and the scripts those import (inlined callees often have no node).
  const locator = new Locator({ ...(options.workspaceRoot !== undefined ? { workspaceRoot: options.workspaceRoot } : {}), warn });
  const urls = new Set<string>();
  for (const l of loaded) {
    for (const m of l.cpu) urlsOf(m.frames, urls);
    if (l.heap) urlsOf(l.heap.frames, urls);
  }
  await locator.addUrls(urls);
  signal?.throwIfAborted();
  const tickUrls = new Set<string>();
  for (const l of loaded) {
    for (const m of l.cpu) for (let node = 0; node < m.nodeCount; node++) if (m.tickStart[node + 1]! > m.tickStart[node]!) tickUrls.add(m.frames[m.nodeFrame[node]!]!.url);
  }
  await locator.addImportsOf(tickUrls);
  signal?.throwIfAborted();

  // 3. Inlining correction (synchronous; may add frames of functions that had no node).
  const inlining: InliningStats = { totalTicks: 0, movedTicks: 0, unplacedTicks: 0 };
  const context = locator.inliningContext();
  const corrected = loaded.map((l) =>
    l.cpu.map((m) => {
      const { model, stats } = correctInlining(m, context, options.correctInlining !== false);
      inlining.totalTicks += stats.totalTicks;
      inlining.movedTicks += stats.movedTicks;
      inlining.unplacedTicks += stats.unplacedTicks;
      return model;
    }),
  );
  signal?.throwIfAborted();

  // 4. Source maps of every script a frame now points into.
  const mapUrls = new Set<string>();
  for (const models of corrected) for (const m of models) urlsOf(m.frames, mapUrls);
  for (const l of loaded) if (l.heap) urlsOf(l.heap.frames, mapUrls);
  await locator.loadMaps(mapUrls);
  signal?.throwIfAborted();

  // 5. Aggregation.
  const builder = new ReportBuilder(locator);
  const processes: ProcessSummary[] = [];
  loaded.forEach((l, i) => {
    const models = corrected[i]!;
    const summaries = models.length > 0 ? models.map((m) => ({ model: m as CpuProfileModel | null })) : [{ model: null }];
    summaries.forEach(({ model }, k) => {
      const totals = model ? builder.addCpuProfile(model) : { cpuUs: 0, samples: 0 };
      processes.push(summarize(l.source, model, totals, k));
    });
    if (l.heap) builder.addHeapProfile(l.heap);
  });
  const { lines, functions, allocations } = builder.build();
  signal?.throwIfAborted();

  // 6. Line texts, from the files as they are now.
  const texts = new Map<string, string[] | null>();
  for (const line of lines) {
    if (!isAbsolute(line.file)) continue;
    let fileLines = texts.get(line.file);
    if (fileLines === undefined) {
      fileLines = await readFile(line.file, 'utf8').then((t) => t.split(/\r\n|\r|\n/), () => null);
      texts.set(line.file, fileLines);
    }
    const text = fileLines?.[line.line - 1];
    if (text !== undefined) line.text = text.trim().slice(0, MAX_LINE_TEXT);
  }

  const wallCandidates = sources.map((s) => s.wallMs).filter((w): w is number => typeof w === 'number');
  const rss = sources.map((s) => s.peakRssBytes).filter((r): r is number => typeof r === 'number');
  return {
    version: 1,
    createdAt: new Date().toISOString(),
    wallMs: options.wallMs ?? (wallCandidates.length > 0 ? Math.max(...wallCandidates) : null),
    cpuMs: round3(builder.cpuUs / 1000),
    sampledMs: round3(builder.sampledUs / 1000),
    peakRssBytes: rss.length > 0 ? Math.max(...rss) : null,
    processes,
    lines,
    functions,
    allocations,
    totalAllocBytes: builder.allocBytes,
    inlining: {
      ...inlining,
      unplacedPercent: inlining.totalTicks > 0 ? Math.round((inlining.unplacedTicks / inlining.totalTicks) * 10000) / 100 : 0,
    },
    warnings,
  };
}

function summarize(source: ProfileSource, model: CpuProfileModel | null, totals: { cpuUs: number; samples: number }, index: number): ProcessSummary {
  const file = source.cpuProfilePath ?? source.heapProfilePath;
  const title = source.title ?? (file ? displayName(file) : 'profile');
  return {
    pid: source.pid ?? model?.pid ?? 0,
    threadId: source.threadId ?? model?.threadId ?? 0,
    title: index > 0 ? `${title} #${index + 1}` : title,
    argv: source.argv ?? [],
    cpuMs: round3(totals.cpuUs / 1000),
    samples: totals.samples,
    wallMs: source.wallMs ?? null,
    peakRssBytes: source.peakRssBytes ?? null,
    ...(source.cpuProfilePath !== undefined ? { cpuProfilePath: source.cpuProfilePath } : {}),
    ...(source.heapProfilePath !== undefined ? { heapProfilePath: source.heapProfilePath } : {}),
  };
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
