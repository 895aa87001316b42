/** Types of the benchmark history (format version 1, docs/history-format.md). */

export const HISTORY_FORMAT_VERSION = 1;

export type Better = 'lower' | 'higher';

/** What identifies a machine; its hash is the machine id. */
export interface MachineFacts {
  os: string;
  arch: string;
  cpu: string;
  cores: number;
  memGB: number;
  runtime: string;
}

export interface MachineInfo extends MachineFacts {
  /** Stable hash of the other fields: a change splits every series. */
  id: string;
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

/** One line of the history file: one result of one benchmark in one run. */
export interface HistoryRecord extends BenchResult {
  v: number;
  run: string;
  ts: string;
  commit: string | null;
  branch: string | null;
  dirty: boolean;
  machine: MachineInfo;
  suite: string;
  /** Unknown fields are kept as they were read. */
  [extra: string]: unknown;
}

export interface GitInfo {
  commit: string | null;
  branch: string | null;
  dirty: boolean;
}
