/** Builds the benchmark-history webview's view model from history records (pure). */
import type { HistoryView, RunView, SeriesView } from '../shared/historyProtocol';
import { analyzeSeries, groupSeries, type AnalysisOptions, type SeriesAnalysis } from './analysis';
import type { HistoryRecord } from './types';

export interface HistoryViewInput {
  file: string;
  records: HistoryRecord[];
  warnings?: string[];
  options?: AnalysisOptions;
  canOpenCommits?: boolean;
}

function budgetView(a: SeriesAnalysis): SeriesView['budget'] {
  if (!a.budget) return null;
  const out: NonNullable<SeriesView['budget']> = { violated: a.budget.violated, violations: a.budget.violations, forecast: null };
  if (a.budget.max !== undefined) out.max = a.budget.max;
  if (a.budget.min !== undefined) out.min = a.budget.min;
  const f = a.budget.forecast;
  if (f) out.forecast = `reaches ${f.limit} ${a.unit} in about ${f.runs} run(s)${f.date ? `, around ${f.date.slice(0, 10)}` : ''}`;
  return out;
}

/** Every series with its analysis; runs are shared, so each record refers to its run by index. */
export function buildHistoryView(input: HistoryViewInput): { view: HistoryView; analyses: SeriesAnalysis[] } {
  const runs: RunView[] = [];
  const runIndexById = new Map<string, number>();
  const series: SeriesView[] = [];
  const analyses: SeriesAnalysis[] = [];
  for (const s of groupSeries(input.records)) {
    const a = analyzeSeries(s, input.options);
    analyses.push(a);
    const runIndex: number[] = [];
    const values: number[] = [];
    let low: (number | null)[] | null = null;
    let high: (number | null)[] | null = null;
    const branches = new Set<string>();
    s.records.forEach((r, i) => {
      let idx = runIndexById.get(r.run);
      if (idx === undefined) {
        idx = runs.length;
        runIndexById.set(r.run, idx);
        runs.push({ run: r.run, time: Date.parse(r.ts), commit: r.commit, branch: r.branch, dirty: r.dirty });
      }
      runIndex.push(idx);
      values.push(r.value);
      if (r.branch) branches.add(r.branch);
      if (r.samples && r.samples.length > 1) {
        if (!low || !high) {
          low = new Array<number | null>(i).fill(null);
          high = new Array<number | null>(i).fill(null);
        }
        let lo = Infinity;
        let hi = -Infinity;
        for (const x of r.samples) { if (x < lo) lo = x; if (x > hi) hi = x; }
        low.push(lo);
        high.push(hi);
      } else if (low && high) {
        low.push(null);
        high.push(null);
      }
    });
    const last = s.records[s.records.length - 1]!;
    series.push({
      id: `${s.suite}\u0000${s.name}\u0000${s.machine}`,
      suite: s.suite, name: s.name, machine: s.machine,
      machineLabel: `${last.machine.os} · ${last.machine.cpu} (${s.machine})`,
      unit: a.unit, better: a.better, runIndex, values, low, high,
      changePoints: a.changePoints, outliers: a.outliers, status: a.status, latestOutlier: a.verdictBasis === 'outlier',
      deltaPercent: a.deltaPercent, pValue: a.pValue, ciPercent: a.ciPercent, noisePercent: a.noisePercent,
      latestChange: a.changePoints.length > 0 ? a.changePoints[a.changePoints.length - 1]! : null,
      budget: budgetView(a),
      branches: [...branches],
    });
  }
  return {
    view: { file: input.file, runs, series, warnings: input.warnings ?? [], canOpenCommits: input.canOpenCommits ?? false },
    analyses,
  };
}

/** "2 regressions" / "1 regression, 1 over budget" / "benchmarks ok", and the names of the failing series. */
export function summarizeVerdicts(analyses: SeriesAnalysis[], runId?: string): { text: string; failing: SeriesAnalysis[] } {
  const relevant = runId ? analyses.filter((a) => a.latestRun.run === runId) : analyses;
  const regressed = relevant.filter((a) => a.status === 'regressed');
  const overBudget = relevant.filter((a) => a.status !== 'regressed' && a.budget?.violated);
  const parts: string[] = [];
  if (regressed.length > 0) parts.push(`${regressed.length} regression${regressed.length === 1 ? '' : 's'}`);
  if (overBudget.length > 0) parts.push(`${overBudget.length} over budget`);
  return { text: parts.length > 0 ? parts.join(', ') : 'benchmarks ok', failing: [...regressed, ...overBudget] };
}
