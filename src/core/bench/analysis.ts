/**
 * Analysis of a benchmark history: series, change points, the latest run's verdict, outliers,
 * trend and budgets. Pure: records in, plain objects out (the CLI prints them as JSON, the editor
 * draws them). See docs/change-detection.md for the method and its measured accuracy.
 */
import { findBudget, type Budget } from './budgets';
import { detectChangePoints, type ChangePointOptions } from './changePoints';
import { bootstrapChangeCi, mad, mannWhitneyU, median, normalCdf, theilSen } from './stats';
import type { Better, HistoryRecord } from './types';

export type SeriesStatus = 'ok' | 'regressed' | 'improved' | 'insufficient-data';

export interface Series {
  suite: string;
  name: string;
  machine: string;
  records: HistoryRecord[];
}

export interface BudgetForecast {
  /** The limit the trend heads for. */
  limit: number;
  /** Runs until the fitted trend crosses it. */
  runs: number;
  /** Estimated date (ISO) at the series' usual run interval; null without usable timestamps. */
  date: string | null;
}

export interface BudgetResult extends Budget {
  violated: boolean;
  violations: string[];
  forecast: BudgetForecast | null;
}

export interface Trend {
  /** Theil–Sen slope over the current segment, in percent per run. */
  percentPerRun: number;
  /** The fitted change over the current segment, in percent. */
  percentOverSegment: number;
  runs: number;
}

export interface SeriesAnalysis {
  suite: string;
  name: string;
  machine: string;
  unit: string;
  better: Better;
  status: SeriesStatus;
  /** 0-based index within the series of the first record after each step. */
  changePoints: number[];
  runs: number;
  latest: number;
  /** Median of the baseline the latest run was judged against; null with too little data. */
  baseline: number | null;
  deltaPercent: number | null;
  pValue: number | null;
  /** Rank-biserial correlation of the comparison (−1…1); null when the latest run is within noise. */
  effectSize: number | null;
  /** 95% bootstrap confidence interval of deltaPercent; computed for a detected step or a deviating latest run, else null. */
  ciPercent: [number, number] | null;
  /** "step" when a detected step is recent; "latest-run" when only the latest run deviates. */
  verdictBasis: 'step' | 'latest-run' | null;
  /** Robust run-to-run noise, in percent. */
  noisePercent: number;
  /** Indices of single-run outliers (robust z on MAD within their segment > 5). */
  outliers: number[];
  trend: Trend | null;
  budget: BudgetResult | null;
  latestRun: { run: string; ts: string; commit: string | null; branch: string | null };
}

export interface AnalysisOptions {
  budgets?: Budget[];
  changePoints?: ChangePointOptions;
  /** A step this many runs old or newer is the latest run's verdict (default 5). */
  recentRuns?: number;
  /** Robust z of the latest run alone that makes a verdict (default 5). */
  latestZ?: number;
  /** Smallest relative change that is reported (default 0.01). */
  minEffect?: number;
}

/** Records grouped by suite + name + machine id, in file order; series in first-seen order. */
export function groupSeries(records: HistoryRecord[]): Series[] {
  // Nested maps: no key string is built per record (100,000 records in a few ms).
  const bySuite = new Map<string, Map<string, Map<string, Series>>>();
  const order: Series[] = [];
  for (const r of records) {
    let byName = bySuite.get(r.suite);
    if (!byName) bySuite.set(r.suite, (byName = new Map()));
    let byMachine = byName.get(r.name);
    if (!byMachine) byName.set(r.name, (byMachine = new Map()));
    let s = byMachine.get(r.machine.id);
    if (!s) {
      s = { suite: r.suite, name: r.name, machine: r.machine.id, records: [] };
      byMachine.set(r.machine.id, s);
      order.push(s);
    }
    s.records.push(r);
  }
  return order;
}

function pooledSamples(records: HistoryRecord[]): number[] {
  const out: number[] = [];
  for (const r of records) {
    if (r.samples) for (const s of r.samples) out.push(s);
  }
  return out;
}

/** The series on the scale the detector works on: log when positive, relative otherwise. */
function detectionScale(values: number[]): Float64Array {
  const x = new Float64Array(values.length);
  if (values.every((v) => v > 0)) {
    for (let i = 0; i < values.length; i++) x[i] = Math.log(values[i]!);
  } else {
    const scale = Math.max(Math.abs(median(values)), 1e-12);
    for (let i = 0; i < values.length; i++) x[i] = values[i]! / scale;
  }
  return x;
}

/** Runs of a baseline used for the comparison: the most recent ones, at most this many. */
const BASELINE_WINDOW = 200;

function compare(base: HistoryRecord[], current: HistoryRecord[], withCi: boolean): { pValue: number; effectSize: number; ci: [number, number] | null } {
  base = base.slice(-BASELINE_WINDOW);
  const sa = pooledSamples(base);
  const sb = pooledSamples(current);
  const useSamples = sa.length >= 10 && sb.length >= 10 && base.every((r) => r.samples) && current.every((r) => r.samples);
  const a = useSamples ? sa : base.map((r) => r.value);
  const b = useSamples ? sb : current.map((r) => r.value);
  const mw = mannWhitneyU(b, a);
  if (!withCi) return { pValue: mw.pValue, effectSize: mw.rankBiserial, ci: null };
  const ci = bootstrapChangeCi(a, b, 400, 0.95, 1, 200);
  return { pValue: mw.pValue, effectSize: mw.rankBiserial, ci: [ci[0] * 100, ci[1] * 100] };
}

function forecast(budget: Budget, better: Better, trendFit: { slope: number; intercept: number } | null, lastIndex: number, latest: number, records: HistoryRecord[], logScale: boolean): BudgetForecast | null {
  if (!trendFit || trendFit.slope === 0 || !logScale) return null;
  const limits: number[] = [];
  if (budget.max !== undefined && trendFit.slope > 0 && latest <= budget.max && budget.max > 0) limits.push(budget.max);
  if (budget.min !== undefined && trendFit.slope < 0 && latest >= budget.min && budget.min > 0) limits.push(budget.min);
  void better;
  let best: BudgetForecast | null = null;
  for (const limit of limits) {
    const at = (Math.log(limit) - trendFit.intercept) / trendFit.slope;
    const runs = Math.ceil(at - lastIndex);
    if (!(runs > 0) || runs > 100_000) continue;
    const times = records.map((r) => Date.parse(r.ts)).filter((t) => Number.isFinite(t));
    let date: string | null = null;
    if (times.length >= 2) {
      const gaps = times.slice(1).map((t, i) => t - times[i]!).filter((g) => g > 0);
      if (gaps.length > 0) date = new Date(times[times.length - 1]! + runs * median(gaps)).toISOString();
    }
    if (!best || runs < best.runs) best = { limit, runs, date };
  }
  return best;
}

/** Analyses one series (records in file order). */
export function analyzeSeries(series: Series, options: AnalysisOptions = {}): SeriesAnalysis {
  const recs = series.records;
  const n = recs.length;
  const last = recs[n - 1]!;
  const values = recs.map((r) => r.value);
  const better = last.better;
  const worse = (delta: number): boolean => (better === 'lower' ? delta > 0 : delta < 0);
  const x = detectionScale(values);
  const logScale = values.every((v) => v > 0);
  const { changePoints, sigma } = detectChangePoints(x, options.changePoints);
  const result: SeriesAnalysis = {
    suite: series.suite, name: series.name, machine: series.machine, unit: last.unit, better,
    status: 'insufficient-data', changePoints, runs: n, latest: last.value, baseline: null,
    deltaPercent: null, pValue: null, effectSize: null, ciPercent: null, verdictBasis: null,
    noisePercent: logScale ? Math.expm1(sigma) * 100 : sigma * 100,
    outliers: [], trend: null, budget: null,
    latestRun: { run: last.run, ts: last.ts, commit: last.commit, branch: last.branch },
  };

  // Outliers: robust z within each segment.
  const bounds = [0, ...changePoints, n];
  for (let s = 0; s + 1 < bounds.length; s++) {
    const seg = x.subarray(bounds[s]!, bounds[s + 1]!);
    if (seg.length < 5) continue;
    const m = median(seg);
    const spread = Math.max(mad(seg, m), sigma);
    for (let i = 0; i < seg.length; i++) if (Math.abs(seg[i]! - m) / spread > 5) result.outliers.push(bounds[s]! + i);
  }

  const outlierSet = new Set(result.outliers);
  // Trend over the current segment.
  const segStart = changePoints.length > 0 ? changePoints[changePoints.length - 1]! : 0;
  let fit: { slope: number; intercept: number } | null = null;
  if (n - segStart >= 6) {
    const idx: number[] = [];
    const ys: number[] = [];
    for (let i = segStart; i < n; i++) if (!outlierSet.has(i)) { idx.push(i); ys.push(x[i]!); }
    fit = theilSen(idx, ys);
    const span = n - 1 - segStart;
    result.trend = logScale
      ? { percentPerRun: Math.expm1(fit.slope) * 100, percentOverSegment: Math.expm1(fit.slope * span) * 100, runs: n - segStart }
      : { percentPerRun: fit.slope * 100, percentOverSegment: fit.slope * span * 100, runs: n - segStart };
  }

  const recent = options.recentRuns ?? 5;
  const minEffect = options.minEffect ?? 0.01;
  if (changePoints.length > 0 && n - segStart <= recent) {
    const prevStart = changePoints.length > 1 ? changePoints[changePoints.length - 2]! : 0;
    const base = recs.slice(prevStart, segStart);
    const cur = recs.slice(segStart);
    const baseline = median(base.map((r) => r.value));
    const delta = median(cur.map((r) => r.value)) / baseline - 1;
    const cmp = compare(base, cur, true);
    Object.assign(result, {
      baseline, deltaPercent: delta * 100, pValue: cmp.pValue, effectSize: cmp.effectSize, ciPercent: cmp.ci,
      verdictBasis: 'step', status: worse(delta) ? 'regressed' : 'improved',
    });
  } else if (n - 1 - segStart >= 3) {
    const base = recs.slice(Math.max(segStart, n - 1 - BASELINE_WINDOW), n - 1);
    const baseline = median(base.map((r) => r.value));
    const delta = last.value / baseline - 1;
    // Judged against the expectation of the current segment's trend (Theil–Sen over the runs
    // before the latest), so a slow drift is not mistaken for a fresh step.
    const prior: number[] = [];
    const priorIdx: number[] = [];
    for (let i = Math.max(segStart, n - 1 - BASELINE_WINDOW); i < n - 1; i++) if (!outlierSet.has(i)) { priorIdx.push(i); prior.push(x[i]!); }
    const priorFit = prior.length >= 6 ? theilSen(priorIdx, prior) : { slope: 0, intercept: median(prior) };
    const expected = priorFit.intercept + priorFit.slope * (n - 1);
    const z = (x[n - 1]! - expected) / sigma;
    const deviates = Math.abs(z) >= (options.latestZ ?? 5) && Math.abs(delta) >= minEffect;
    // Samples are compared only to confirm a run-level deviation (they cannot clear a run that
    // does not deviate); otherwise the p-value is the run-level z's.
    const cmp = deviates ? compare(base, [last], true) : null;
    const samplesAgree = !cmp || !last.samples || last.samples.length < 10 || !base.every((r) => r.samples) || cmp.pValue < 0.01;
    const flagged = deviates && samplesAgree;
    Object.assign(result, {
      baseline, deltaPercent: delta * 100,
      pValue: cmp && last.samples && last.samples.length >= 10 ? cmp.pValue : 2 * (1 - normalCdf(Math.abs(z))),
      effectSize: cmp ? cmp.effectSize : null, ciPercent: cmp ? cmp.ci : null,
      verdictBasis: flagged ? 'latest-run' : null,
      status: flagged ? (worse(delta) ? 'regressed' : 'improved') : 'ok',
    });
  }

  const budget = options.budgets ? findBudget(options.budgets, series.suite, series.name) : undefined;
  if (budget) {
    const violations: string[] = [];
    if (budget.max !== undefined && last.value > budget.max) violations.push(`${last.value} ${last.unit} is above the maximum ${budget.max}`);
    if (budget.min !== undefined && last.value < budget.min) violations.push(`${last.value} ${last.unit} is below the minimum ${budget.min}`);
    if (budget.maxChangePercent !== undefined && result.deltaPercent !== null) {
      const worsePercent = better === 'lower' ? result.deltaPercent : -result.deltaPercent;
      if (worsePercent > budget.maxChangePercent) violations.push(`${worsePercent.toFixed(1)}% worse than the baseline (budget ${budget.maxChangePercent}%)`);
    }
    result.budget = { ...budget, violated: violations.length > 0, violations, forecast: forecast(budget, better, fit, n - 1, last.value, recs.slice(segStart), logScale) };
  }
  return result;
}

export interface HistoryAnalysis {
  series: SeriesAnalysis[];
  /** Regressions or budget violations in the latest run of some series. */
  failing: boolean;
}

export function analyzeHistory(records: HistoryRecord[], options: AnalysisOptions = {}): HistoryAnalysis {
  const series = groupSeries(records).map((s) => analyzeSeries(s, options));
  return { series, failing: series.some((s) => s.status === 'regressed' || s.budget?.violated === true) };
}
