/** Types of the benchmark history (format version 1, docs/history-format.md). */

export const HISTORY_FORMAT_VERSION = 1;

export type Better = 'lower' | 'higher';

export interface MachineInfo {
  /** Stable hash of the other fields: a change splits every series. */
  id: string;
  os: string;
  arch: string;
  cpu: string;
  cores: number;
  memGB: number;
  runtime: string;
  [extra: string]: unknown;
}

export interface RecordStats {
  mean?: number;
  median?: number;
  stddev?: number;
  min?: number;
  max?: number;
  p75?: number;
  p99?: number;
  n?: number;
}

/** One line of the history file: one result of one benchmark in one run. */
export interface HistoryRecord {
  v: number;
  run: string;
  ts: string;
  commit: string | null;
  branch: string | null;
  dirty: boolean;
  machine: MachineInfo;
  suite: string;
  name: string;
  unit: string;
  better: Better;
  value: number;
  samples?: number[];
  stats?: RecordStats;
  tool?: string;
  /** Unknown fields are kept as they were read. */
  [extra: string]: unknown;
}

/** What an importer produces: one benchmark result, before the run's metadata is attached. */
export interface BenchResult {
  suite?: string;
  name: string;
  unit: string;
  better: Better;
  value: number;
  samples?: number[];
  stats?: RecordStats;
  tool?: string;
}

export interface GitInfo {
  commit: string | null;
  branch: string | null;
  dirty: boolean;
}
