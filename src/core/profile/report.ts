/**
 * The analysed result of one profiling session (one or more processes), in original source
 * coordinates. This is what the editor decorates, what the Hotspots view lists and what the CLI
 * prints; it is produced by `analyzeProfiles` (./analyze.ts) and nothing else.
 *
 * Conventions: `file` is an absolute path for files on disk, otherwise the URL or pseudo-name the
 * runtime gave (`node:internal/...`, `(garbage collector)`); `line` is 1-based; times in
 * microseconds (`…Us`) with millisecond copies (`…Ms`) for display; percentages are of all
 * sampled time of all processes (idle, GC and program included), 0–100.
 */

/** Where a location's code comes from; the editor shows `user` first. */
export type CodeKind = 'user' | 'dependency' | 'node' | 'system';

export interface GeneratedLocation {
  /** The file V8 ran (compiled JavaScript) when `file` was reached through a source map. */
  file: string;
  line: number;
}

export interface LineHotspot {
  file: string;
  line: number;
  selfUs: number;
  selfMs: number;
  selfPercent: number;
  /** Number of samples whose leaf was this line. */
  samples: number;
  /** The function the line belongs to (innermost), as the profile names it. */
  functionName: string;
  kind: CodeKind;
  generated?: GeneratedLocation;
  /** The line's text when it was analysed, trimmed, at most 200 characters: lets the editor tell whether the file changed since. */
  text?: string;
  /** Heap bytes allocated on this line (sampling heap profiler), when a heap profile was captured. */
  allocBytes?: number;
}

export interface CallEdge {
  id: string;
  name: string;
  file: string;
  line: number;
  /** Time spent in this edge (callee's total time under that caller). */
  us: number;
}

export interface FunctionHotspot {
  /** Stable within a report: file + line + column + name. */
  id: string;
  name: string;
  file: string;
  line: number;
  column: number;
  /** Last line of the function in `file` when known (from parsing the source), else undefined. */
  endLine?: number;
  selfUs: number;
  totalUs: number;
  selfMs: number;
  totalMs: number;
  selfPercent: number;
  totalPercent: number;
  samples: number;
  kind: CodeKind;
  /** Sorted by `us` descending. */
  callers: CallEdge[];
  callees: CallEdge[];
  allocBytes: number;
  generated?: GeneratedLocation;
}

export interface AllocationSite {
  file: string;
  line: number;
  functionName: string;
  bytes: number;
  /** Percent of all sampled allocation bytes of all processes. */
  percent: number;
  kind: CodeKind;
}

export interface ProcessSummary {
  pid: number;
  threadId: number;
  /** Short label: the script (or command) the process ran. */
  title: string;
  argv: string[];
  cpuMs: number;
  samples: number;
  wallMs: number | null;
  peakRssBytes: number | null;
  cpuProfilePath?: string;
  heapProfilePath?: string;
}

export interface InliningCorrection {
  /** Ticks of all line samples considered. */
  totalTicks: number;
  /** Ticks that lay outside their node's function and were moved to the inlined callee. */
  movedTicks: number;
  /** Ticks outside their node's function that no callee could be found for (left where V8 put them). */
  unplacedTicks: number;
  unplacedPercent: number;
}

export interface ProfileReport {
  version: 1;
  createdAt: string;
  /** Wall-clock time of the whole run, when it came from a run (not for imported profiles). */
  wallMs: number | null;
  /** Sampled time of all processes, idle excluded. */
  cpuMs: number;
  /** All sampled time, idle included: the denominator of every percentage. */
  sampledMs: number;
  peakRssBytes: number | null;
  processes: ProcessSummary[];
  /** Sorted by selfUs descending; every line with at least one sample. */
  lines: LineHotspot[];
  /** Sorted by selfUs descending. */
  functions: FunctionHotspot[];
  /** Sorted by bytes descending. */
  allocations: AllocationSite[];
  totalAllocBytes: number;
  inlining: InliningCorrection;
  /** Problems met while analysing (a broken source map, an unreadable file…), each naming the file. */
  warnings: string[];
}
