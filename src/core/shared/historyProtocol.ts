/**
 * The benchmark-history webview: its data (a view model built by src/core/bench/historyView.ts)
 * and every message between the extension and the webview, as one discriminated union each way.
 * Imported by both sides; nothing here may depend on Node or the DOM.
 */

export type SeriesVerdict = 'ok' | 'regressed' | 'improved' | 'insufficient-data';

/** One run of the history (shared by every series measured in it). */
export interface RunView {
  run: string;
  /** Milliseconds since the epoch (NaN when the record's timestamp was unreadable). */
  time: number;
  commit: string | null;
  branch: string | null;
  dirty: boolean;
}

export interface SeriesView {
  /** Unique within one HistoryView: `suite \u0000 name \u0000 machine`. */
  id: string;
  suite: string;
  name: string;
  machine: string;
  machineLabel: string;
  unit: string;
  better: 'lower' | 'higher';
  /** One entry per record: index into HistoryView.runs. */
  runIndex: number[];
  values: number[];
  /** Sample spread per record (min and max of the raw samples; null without samples). */
  low: (number | null)[] | null;
  high: (number | null)[] | null;
  changePoints: number[];
  outliers: number[];
  status: SeriesVerdict;
  /** The latest run alone jumped like this series' earlier spikes: `ok` until a rerun confirms it. */
  latestOutlier: boolean;
  deltaPercent: number | null;
  pValue: number | null;
  ciPercent: [number, number] | null;
  noisePercent: number;
  /** Index (into this series' records) of the latest change point, or null. */
  latestChange: number | null;
  budget: { max?: number; min?: number; violated: boolean; violations: string[]; forecast: string | null } | null;
  /** Branches seen in this series, for the branch filter. */
  branches: string[];
}

export interface HistoryView {
  file: string;
  runs: RunView[];
  series: SeriesView[];
  /** Problems met reading the history (skipped lines, newer versions). */
  warnings: string[];
  /** Whether the commit can be opened (a trusted workspace with git). */
  canOpenCommits: boolean;
}

/** Extension → webview. */
export type ToWebview =
  | { type: 'history'; view: HistoryView }
  | { type: 'error'; message: string }
  | { type: 'focus'; seriesIds: string[] };

/** Webview → extension. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'rendered'; series: number; charts: number; ms: number }
  | { type: 'openCommit'; commit: string }
  | { type: 'refresh' };

/** A full or abbreviated git object id: only these reach `git show`. */
export function isCommitId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{7,64}$/i.test(value);
}

export interface SeriesFilter {
  text: string;
  suite: string;
  branch: string;
  machine: string;
  /** Only series whose latest verdict is not ok. */
  changedOnly: boolean;
}

export const NO_FILTER: SeriesFilter = { text: '', suite: '', branch: '', machine: '', changedOnly: false };

/** The series the filter keeps; the search text matches suite, name and machine, case-insensitively, all words. */
export function filterSeries(series: readonly SeriesView[], filter: SeriesFilter): SeriesView[] {
  const words = filter.text.toLowerCase().split(/\s+/).filter(Boolean);
  return series.filter((s) => {
    if (filter.suite && s.suite !== filter.suite) return false;
    if (filter.machine && s.machine !== filter.machine) return false;
    if (filter.branch && !s.branches.includes(filter.branch)) return false;
    if (filter.changedOnly && s.status === 'ok') return false;
    if (words.length === 0) return true;
    const hay = `${s.suite} ${s.name} ${s.machineLabel}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** Regressions first, then improvements, then the rest; larger changes first within each. */
export function verdictOrder(a: SeriesView, b: SeriesView): number {
  const rank = (s: SeriesView): number => (s.status === 'regressed' || s.budget?.violated ? 0 : s.status === 'improved' ? 1 : s.status === 'ok' ? 2 : 3);
  return rank(a) - rank(b) || Math.abs(b.deltaPercent ?? 0) - Math.abs(a.deltaPercent ?? 0);
}

export function formatValue(value: number, unit: string): string {
  const abs = Math.abs(value);
  const text = abs >= 1000 || abs === 0 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : abs >= 1 ? value.toFixed(2) : value.toPrecision(3);
  return unit ? `${text} ${unit}` : text;
}

export function formatDelta(deltaPercent: number | null): string {
  if (deltaPercent === null) return '—';
  return `${deltaPercent > 0 ? '+' : ''}${deltaPercent.toFixed(1)}%`;
}

export function formatPValue(p: number | null): string {
  if (p === null) return '—';
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`;
}
