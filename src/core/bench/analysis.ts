/**
 * Analysis of a benchmark history: series, change points, the latest run's verdict, outliers,
 * trend and budgets. Pure: records in, plain objects out (the CLI prints them as JSON, the editor
 * draws them). See docs/change-detection.md for the method and its measured accuracy.
 */
import { findBudget, type Budget } from './budgets';
import { detectChangePoints, type ChangePointOptions } from './changePoints';
import { ScratchBuffer } from './scratch';
import { bootstrapChangeCi, mannWhitneyU, median, medianInPlace, normalCdf, theilSen, theilSenSlope } from './stats';
import type { Better, HistoryRecord } from './types';

export type SeriesStatus = 'ok' | 'regressed' | 'improved' | 'insufficient-data';

export interface Series {
  suite: string;
  name: string;
  machine: string;
  records: HistoryRecord[];
  /**
   * The records' values, in the same order, when the grouping collected them on its way through
   * the history (reading them again record by record later costs a cache miss each).
   */
  values?: Float64Array;
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
  /**
   * "step" when a detected step is recent; "latest-run" when the latest run, or the last two or
   * three runs together, deviate from the current segment; "outlier" when the latest run alone
   * deviates the way this series' earlier single-run outliers did (status "ok" until the next run
   * confirms it: rerun the benchmark).
   */
  verdictBasis: 'step' | 'latest-run' | 'outlier' | null;
  /** Robust run-to-run noise, in percent. */
  noisePercent: number;
  /** Indices of single-run outliers (robust z on MAD within their segment > 5), and of the latest run when it is judged a spike. */
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
  // A history is written one run at a time, each run with the same benchmarks in the same order,
  // so a record's series is usually the one after the previous record's (or that one again):
  // checked first, by comparing three strings. Otherwise nested maps find it without building a
  // key string per record. A first pass finds each record's series and reads its value while the
  // record is at hand; the second fills arrays made at their final size (100,000 records in a
  // few ms, and no array grown record by record).
  const bySuite = new Map<string, Map<string, number[]>>();
  const order: Series[] = [];
  const counts: number[] = [];
  const seriesOf = new Int32Array(records.length);
  const valueOf = new Float64Array(records.length);
  const matches = (k: number, r: HistoryRecord): boolean => {
    const s = order[k]!;
    return s.name === r.name && s.suite === r.suite && s.machine === r.machine.id;
  };
  let previous = -1;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    let k = -1;
    if (previous >= 0) {
      const next = previous + 1 < order.length ? previous + 1 : 0;
      if (matches(next, r)) k = next;
      else if (matches(previous, r)) k = previous;
    }
    if (k < 0) {
      let byName = bySuite.get(r.suite);
      if (!byName) bySuite.set(r.suite, (byName = new Map()));
      let byMachine = byName.get(r.name);
      if (!byMachine) byName.set(r.name, (byMachine = []));
      const machine = r.machine.id;
      for (const candidate of byMachine) if (order[candidate]!.machine === machine) { k = candidate; break; }
      if (k < 0) {
        k = order.length;
        order.push({ suite: r.suite, name: r.name, machine, records: [] });
        counts.push(0);
        byMachine.push(k);
      }
    }
    seriesOf[i] = k;
    valueOf[i] = r.value;
    counts[k]!++;
    previous = k;
  }
  const values = order.map((s, k) => {
    s.records = new Array<HistoryRecord>(counts[k]!);
    return (s.values = new Float64Array(counts[k]!));
  });
  const filled = new Int32Array(order.length);
  for (let i = 0; i < records.length; i++) {
    const k = seriesOf[i]!;
    const j = filled[k]!++;
    order[k]!.records[j] = records[i]!;
    values[k]![j] = valueOf[i]!;
  }
  return order;
}

function pooledSamples(records: HistoryRecord[]): Float64Array {
  let count = 0;
  for (const r of records) if (r.samples) count += r.samples.length;
  const out = new Float64Array(count);
  let k = 0;
  for (const r of records) {
    if (r.samples) for (const s of r.samples) out[k++] = s;
  }
  return out;
}

/** The series on the scale the detector works on (into `x`): log when positive, relative otherwise. */
function detectionScale(values: Float64Array, positive: boolean, x: Float64Array): Float64Array {
  if (positive) {
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
  const a = useSamples ? sa : Float64Array.from(base, (r) => r.value);
  const b = useSamples ? sb : Float64Array.from(current, (r) => r.value);
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

/**
 * How many of the latest runs make the verdict, from their z against the trend's expectation:
 * 2 or 3 when each of the last two or three runs deviates the same way by at least latestZ / 2 and
 * their mean by latestZ / √k — a step one or two runs old, which the segmentation cannot place yet
 * (its clipping keeps the last runs to the level of the runs before until a fourth one follows);
 * else 1 when the latest run alone deviates by latestZ; else 0. At least three runs stay as the
 * baseline.
 */
function latestRunsThatDeviate(z: (i: number) => number, n: number, before: number, latestZ: number): number {
  const latest = z(n - 1);
  for (let k = 3; k >= 2; k--) {
    if (before - (k - 1) < 3) continue;
    let sum = 0;
    let same = true;
    for (let i = n - k; i < n && same; i++) {
      const zi = z(i);
      same = Math.sign(zi) === Math.sign(latest) && Math.abs(zi) >= latestZ / 2;
      sum += zi;
    }
    if (same && Math.abs(sum) / Math.sqrt(k) >= latestZ) return k;
  }
  return Math.abs(latest) >= latestZ ? 1 : 0;
}

/**
 * Whether a deviation of the latest run alone (the run before it does not deviate with it) is
 * more likely one more of this series' single-run outliers than a step. With one run after it
 * nothing in the run itself tells a spike from a step (samples shift with the whole run), so the
 * series' own past decides: it is a spike when an earlier run was an outlier in the same direction
 * and at least half as large (on the log scale) — this series has shown such spikes without any
 * change. A clean history, or a jump far beyond its spikes, is reported at once.
 */
function looksLikeSpike(deviation: number, n: number, outliers: number[], outlierDeviation: number[]): boolean {
  for (let k = 0; k < outliers.length; k++) {
    if (outliers[k]! >= n - 1) continue;
    const d = outlierDeviation[k]!;
    if (Math.sign(d) === Math.sign(deviation) && 2 * Math.abs(d) >= Math.abs(deviation)) return true;
  }
  return false;
}

// Working storage of analyzeSeries, reused from series to series (it is never re-entered).
const valueScratch = new ScratchBuffer(Float64Array);
const scaledScratch = new ScratchBuffer(Float64Array);
const outlierScratch = new ScratchBuffer(Uint8Array);
const segmentScratch = new ScratchBuffer(Float64Array);
const trendX = new ScratchBuffer(Float64Array);
const trendY = new ScratchBuffer(Float64Array);

/** Median of x[from..to) and 1.4826 × the MAD around it, without copying into fresh arrays. */
function medianAndMad(x: Float64Array, from: number, to: number): [number, number] {
  const buf = segmentScratch.get(to - from);
  buf.set(x.subarray(from, to));
  const m = medianInPlace(buf);
  for (let i = 0; i < buf.length; i++) buf[i] = Math.abs(x[from + i]! - m);
  return [m, 1.4826 * medianInPlace(buf)];
}

/**
 * The runs in [from, to) not marked in `skip`, as (index, x) pairs in the trend scratch buffers;
 * valid until the next call.
 */
function trendPoints(x: Float64Array, from: number, to: number, skip: Uint8Array): [Float64Array, Float64Array] {
  const idx = trendX.get(to - from);
  const ys = trendY.get(to - from);
  let k = 0;
  for (let i = from; i < to; i++) if (!skip[i]) { idx[k] = i; ys[k] = x[i]!; k++; }
  return [idx.subarray(0, k), ys.subarray(0, k)];
}

/**
 * Theil–Sen fit of x against its index over [from, to), leaving out the runs marked in `skip`;
 * below `minPoints` runs, a flat line at their median.
 */
function trendFit(x: Float64Array, from: number, to: number, skip: Uint8Array, minPoints: number): { slope: number; intercept: number } {
  const [idx, ys] = trendPoints(x, from, to, skip);
  return idx.length >= minPoints ? theilSen(idx, ys) : { slope: 0, intercept: median(ys) };
}

/** Analyses one series (records in file order). */
export function analyzeSeries(series: Series, options: AnalysisOptions = {}): SeriesAnalysis {
  const recs = series.records;
  const n = recs.length;
  const last = recs[n - 1]!;
  const values = valueScratch.get(n);
  if (series.values?.length === n) values.set(series.values);
  else for (let i = 0; i < n; i++) values[i] = recs[i]!.value;
  let logScale = true;
  for (let i = 0; i < n; i++) if (!(values[i]! > 0)) logScale = false;
  const better = last.better;
  const worse = (delta: number): boolean => (better === 'lower' ? delta > 0 : delta < 0);
  const x = detectionScale(values, logScale, scaledScratch.get(n));
  const { changePoints, sigma } = detectChangePoints(x, options.changePoints);
  const result: SeriesAnalysis = {
    suite: series.suite, name: series.name, machine: series.machine, unit: last.unit, better,
    status: 'insufficient-data', changePoints, runs: n, latest: last.value, baseline: null,
    deltaPercent: null, pValue: null, effectSize: null, ciPercent: null, verdictBasis: null,
    noisePercent: logScale ? Math.expm1(sigma) * 100 : sigma * 100,
    outliers: [], trend: null, budget: null,
    latestRun: { run: last.run, ts: last.ts, commit: last.commit, branch: last.branch },
  };

  // Outliers: robust z within each segment. Their deviations are kept for the spike rule below.
  const isOutlier = outlierScratch.get(n).fill(0);
  const outlierDeviation: number[] = [];
  const bounds = [0, ...changePoints, n];
  for (let s = 0; s + 1 < bounds.length; s++) {
    const from = bounds[s]!;
    const to = bounds[s + 1]!;
    if (to - from < 5) continue;
    const [m, spread] = medianAndMad(x, from, to);
    const limit = 5 * Math.max(spread, sigma);
    for (let i = from; i < to; i++) {
      if (Math.abs(x[i]! - m) > limit) { result.outliers.push(i); outlierDeviation.push(x[i]! - m); isOutlier[i] = 1; }
    }
  }

  // Trend over the current segment.
  const segStart = changePoints.length > 0 ? changePoints[changePoints.length - 1]! : 0;
  // (Its intercept is only needed for a budget forecast: computed there.)
  let slope: number | null = null;
  if (n - segStart >= 6) {
    slope = theilSenSlope(...trendPoints(x, segStart, n, isOutlier));
    const span = n - 1 - segStart;
    result.trend = logScale
      ? { percentPerRun: Math.expm1(slope) * 100, percentOverSegment: Math.expm1(slope * span) * 100, runs: n - segStart }
      : { percentPerRun: slope * 100, percentOverSegment: slope * span * 100, runs: n - segStart };
  }

  const recent = options.recentRuns ?? 5;
  const minEffect = options.minEffect ?? 0.01;
  const latestZ = options.latestZ ?? 5;
  if (changePoints.length > 0 && n - segStart <= recent) {
    const prevStart = changePoints.length > 1 ? changePoints[changePoints.length - 2]! : 0;
    const base = recs.slice(prevStart, segStart);
    const cur = recs.slice(segStart);
    const baseline = median(values.subarray(prevStart, segStart));
    const delta = median(values.subarray(segStart)) / baseline - 1;
    const cmp = compare(base, cur, true);
    Object.assign(result, {
      baseline, deltaPercent: delta * 100, pValue: cmp.pValue, effectSize: cmp.effectSize, ciPercent: cmp.ci,
      verdictBasis: 'step', status: worse(delta) ? 'regressed' : 'improved',
    });
  } else if (n - 1 - segStart >= 3) {
    const baseStart = Math.max(segStart, n - 1 - BASELINE_WINDOW);
    // Judged against the expectation of the current segment's trend (Theil–Sen over the runs
    // before the latest), so a slow drift is not mistaken for a fresh step.
    const priorFit = trendFit(x, baseStart, n - 1, isOutlier, 6);
    const z = (i: number): number => (x[i]! - (priorFit.intercept + priorFit.slope * i)) / sigma;
    const k = latestRunsThatDeviate(z, n, n - 1 - baseStart, latestZ);
    const runs = Math.max(k, 1);
    const baseline = median(values.subarray(baseStart, n - runs));
    const delta = median(values.subarray(n - runs)) / baseline - 1;
    let zMean = 0;
    for (let i = n - runs; i < n; i++) zMean += z(i);
    zMean /= Math.sqrt(runs);
    const deviates = k > 0 && Math.abs(delta) >= minEffect;
    // Samples are compared only to confirm a run-level deviation (they cannot clear runs that
    // do not deviate); otherwise the p-value is the run-level z's.
    let flagged = false;
    let bySamples = false;
    let cmp: ReturnType<typeof compare> | null = null;
    if (deviates) {
      const base = recs.slice(baseStart, n - runs);
      const cur = recs.slice(n - runs);
      cmp = compare(base, cur, true);
      bySamples = cur.every((r) => r.samples && r.samples.length >= 10) && base.every((r) => r.samples);
      flagged = !bySamples || cmp.pValue < 0.01;
    }
    const spike = flagged && k === 1 && looksLikeSpike(z(n - 1) * sigma, n, result.outliers, outlierDeviation);
    if (spike && !isOutlier[n - 1]) result.outliers.push(n - 1);
    Object.assign(result, {
      baseline, deltaPercent: delta * 100,
      pValue: cmp && bySamples ? cmp.pValue : 2 * (1 - normalCdf(Math.abs(zMean))),
      effectSize: cmp ? cmp.effectSize : null, ciPercent: cmp ? cmp.ci : null,
      verdictBasis: spike ? 'outlier' : flagged ? 'latest-run' : null,
      status: flagged && !spike ? (worse(delta) ? 'regressed' : 'improved') : 'ok',
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
    result.budget = { ...budget, violated: violations.length > 0, violations, forecast: forecast(budget, better, slope === null ? null : trendFit(x, segStart, n, isOutlier, 0), n - 1, last.value, recs.slice(segStart), logScale) };
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
