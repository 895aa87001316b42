import { describe, expect, it } from 'vitest';
import {
  analyzeHistory, analyzeSeries, bootstrapChangeCi, checkMarkdown, detectChangePoints, globToRegExp, mad, mannWhitneyU,
  median, normalCdf, normalDeviate, parseBudgets, seededRandom, theilSen, type HistoryRecord,
} from '../../../src/core/bench';
import { measureQuality, perflensDetector, toHistory } from './quality';
import { syntheticSeries, type SyntheticSeries } from './synthetic';

const series = (values: number[], samples?: number[][]): SyntheticSeries => ({ kind: 'lognormal', values, samples, steps: [], stepSizes: [], noise: 0 });
const logNormal = (random: () => number, n: number, base: number, sigma: number): number[] => Array.from({ length: n }, () => base * Math.exp(sigma * normalDeviate(random)));
const analyze = (values: number[], options = {}, samples?: number[][]) => analyzeSeries({ suite: 's', name: 'b', machine: 'm1', records: toHistory(series(values, samples)) }, options);

describe('statistics with known answers', () => {
  it('median, MAD, normal CDF', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(mad([1, 2, 3, 4, 100])).toBeCloseTo(1.4826, 4);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 5);
    expect(normalCdf(-3)).toBeCloseTo(0.0013499, 6);
  });

  it('Mann–Whitney U: complete separation, identical samples, ties', () => {
    const a = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
    const b = [1, 2, 3, 4, 5, 6, 7, 8, 9, 9.5];
    const sep = mannWhitneyU(a, b);
    expect(sep.u).toBe(100);
    expect(sep.rankBiserial).toBe(1);
    // Exact two-sided p for 10 vs 10 complete separation is 2/C(20,10) ≈ 1.08e-5; the normal
    // approximation gives ≈ 1.8e-4.
    expect(sep.pValue).toBeLessThan(3e-4);
    expect(mannWhitneyU(a, a).pValue).toBeCloseTo(1, 5);
    const tied = mannWhitneyU([1, 1, 1, 2], [1, 1, 2, 2]);
    expect(tied.u).toBe(6);
    expect(tied.pValue).toBeGreaterThan(0.3);
  });

  it('Theil–Sen recovers a line despite 20% gross outliers', () => {
    const xs = Array.from({ length: 50 }, (_, i) => i);
    const ys = xs.map((x, i) => (i % 5 === 0 ? 1000 : 3 + 0.5 * x));
    const fit = theilSen(xs, ys);
    expect(fit.slope).toBeCloseTo(0.5, 6);
    expect(fit.intercept).toBeCloseTo(3, 6);
  });

  it('bootstrap CI of a 20% change covers 20% and excludes 0', () => {
    const random = seededRandom(3);
    const a = logNormal(random, 60, 100, 0.05);
    const b = logNormal(random, 60, 120, 0.05);
    const [lo, hi] = bootstrapChangeCi(a, b);
    expect(lo).toBeLessThan(0.2);
    expect(hi).toBeGreaterThan(0.2);
    expect(lo).toBeGreaterThan(0.1);
  });
});

describe('change points on synthetic series with known answers', () => {
  const random = seededRandom(101);
  const withStep = (n: number, at: number, size: number, sigma = 0.03): number[] => logNormal(random, n, 1000, sigma).map((v, i) => (i >= at ? v * (1 + size) : v));

  it.each([0.05, 0.1, 0.25, 0.5, -0.2])('finds a %s step at index 60 of 120 within two records', (size) => {
    const cps = detectChangePoints(withStep(120, 60, size, 0.01).map(Math.log)).changePoints;
    expect(cps).toHaveLength(1);
    expect(Math.abs(cps[0]! - 60)).toBeLessThanOrEqual(2);
  });

  it('two steps, up then down', () => {
    const v = withStep(150, 50, 0.3).map((x, i) => (i >= 100 ? x / 1.3 / 1.2 : x));
    const cps = detectChangePoints(v.map(Math.log)).changePoints;
    expect(cps.length).toBe(2);
    expect(Math.abs(cps[0]! - 50)).toBeLessThanOrEqual(2);
    expect(Math.abs(cps[1]! - 100)).toBeLessThanOrEqual(2);
  });

  it('a slow drift is a trend, not steps (binary segmentation would cut it)', () => {
    const n = 200;
    const v = logNormal(random, n, 1000, 0.02).map((x, i) => x * Math.exp((0.4 * i) / n));
    const a = analyze(v);
    expect(a.changePoints).toEqual([]);
    expect(a.status).toBe('ok');
    expect(a.trend!.percentPerRun).toBeCloseTo((Math.exp(0.4 / n) - 1) * 100, 1);
    expect(a.trend!.percentOverSegment).toBeGreaterThan(40);
  });

  it('outliers are marked, not segmented', () => {
    const v = logNormal(random, 100, 1000, 0.02);
    v[30] = v[30]! * 3;
    v[31] = v[31]! * 2.5;
    v[70] = v[70]! * 0.4;
    const a = analyze(v);
    expect(a.changePoints).toEqual([]);
    expect(a.outliers).toEqual([30, 31, 70]);
  });

  it('bimodal noise (30% of runs 6% slower) is not a change', () => {
    const v = logNormal(random, 150, 1000, 0.005).map((x) => (random() < 0.3 ? x * 1.06 : x));
    expect(analyze(v).changePoints).toEqual([]);
  });
});

describe('verdict of the latest run', () => {
  const random = seededRandom(202);

  it('a fresh 20% regression in the latest run alone, confirmed by its samples (Mann–Whitney)', () => {
    const values = logNormal(random, 40, 100, 0.02);
    values.push(values[0]! * 1.2);
    const samples = values.map((v) => logNormal(random, 30, v, 0.03));
    const a = analyze(values, {}, samples);
    expect(a.status).toBe('regressed');
    expect(a.verdictBasis).toBe('latest-run');
    expect(a.deltaPercent!).toBeGreaterThan(10);
    expect(a.pValue!).toBeLessThan(0.001);
    expect(a.effectSize!).toBeGreaterThan(0.8);
    expect(a.ciPercent![0]).toBeGreaterThan(5);
  });

  it('a step three runs ago is judged against the segment before it; improvements are improvements', () => {
    const values = logNormal(random, 60, 100, 0.02).map((v, i) => (i >= 57 ? v * 0.7 : v));
    const a = analyze(values);
    expect(a.changePoints).toEqual([57]);
    expect(a.status).toBe('improved');
    expect(a.verdictBasis).toBe('step');
    expect(a.deltaPercent!).toBeCloseTo(-30, -1);
  });

  it('higher-is-better series: a drop is a regression', () => {
    const recs = toHistory(series(logNormal(random, 30, 5000, 0.02).concat([3000]))).map((r) => ({ ...r, unit: 'ops/s', better: 'higher' as const }));
    expect(analyzeSeries({ suite: 's', name: 'b', machine: 'm1', records: recs }).status).toBe('regressed');
  });

  it('too few runs → insufficient-data; an old step is not the latest verdict', () => {
    expect(analyze([1, 1.1, 1.2]).status).toBe('insufficient-data');
    const old = logNormal(random, 80, 100, 0.02).map((v, i) => (i >= 20 ? v * 1.5 : v));
    const a = analyze(old);
    expect(a.changePoints).toEqual([20]);
    expect(a.status).toBe('ok');
  });

  it('a machine fingerprint change splits the series', () => {
    const recs: HistoryRecord[] = [
      ...toHistory(series(logNormal(random, 30, 100, 0.02)), 'b', 'fast-box'),
      ...toHistory(series(logNormal(random, 10, 200, 0.02)), 'b', 'slow-box'),
    ];
    const h = analyzeHistory(recs);
    expect(h.series.map((s) => [s.machine, s.runs, s.status])).toEqual([['fast-box', 30, 'ok'], ['slow-box', 10, 'ok']]);
    expect(h.failing).toBe(false);
  });
});

describe('budgets', () => {
  const random = seededRandom(303);
  it('globs on suite/name', () => {
    expect(globToRegExp('parser/*').test('parser/parse 1MB')).toBe(true);
    expect(globToRegExp('parser/*').test('lexer/x')).toBe(false);
    expect(globToRegExp('*/parse ?MB').test('a/b/parse 1MB')).toBe(true);
    expect(globToRegExp('a.b/(x)').test('a.b/(x)')).toBe(true);
    expect(globToRegExp('a.b/(x)').test('aXb/(x)')).toBe(false);
  });

  it('max, min and max change; violations fail the check', () => {
    const values = logNormal(random, 30, 100, 0.01);
    const budgets = parseBudgets({ budgets: [{ match: 's/bench', max: 90 }] });
    const h = analyzeHistory(toHistory(series(values)).map((r) => ({ ...r, suite: 's' })), { budgets });
    expect(h.series[0]!.budget).toMatchObject({ violated: true, max: 90 });
    expect(h.failing).toBe(true);
    const min = analyze(values, { budgets: parseBudgets([{ match: '*', min: 50 }]) });
    expect(min.budget!.violated).toBe(false);
    const jumped = values.concat([values[0]! * 1.08]);
    const change = analyze(jumped, { budgets: parseBudgets([{ match: '*', maxChangePercent: 5 }]) });
    expect(change.budget!.violations[0]).toMatch(/worse than the baseline \(budget 5%\)/);
  });

  it('forecasts when a drift crosses the budget', () => {
    // +0.5% per run from 100: crosses 130 after ln(1.3)/ln(1.005) ≈ 52.6 runs from the start.
    const values = Array.from({ length: 40 }, (_, i) => 100 * 1.005 ** i * Math.exp(0.002 * normalDeviate(random)));
    const a = analyze(values, { budgets: parseBudgets([{ match: '*', max: 130 }]) });
    expect(a.changePoints).toEqual([]);
    expect(a.budget!.violated).toBe(false);
    expect(a.budget!.forecast!.runs).toBeGreaterThanOrEqual(12);
    expect(a.budget!.forecast!.runs).toBeLessThanOrEqual(15);
    expect(Date.parse(a.budget!.forecast!.date!)).toBeGreaterThan(Date.parse(toHistory(series(values))[39]!.ts));
  });

  it('rejects a budget without a limit', () => {
    expect(() => parseBudgets({ budgets: [{ match: '*' }] })).toThrow(/sets none of/);
    expect(() => parseBudgets({ nope: 1 })).toThrow(/expected/);
  });
});

describe('Markdown report', () => {
  it('stays under 65,000 characters with the largest changes first, names escaped', () => {
    const random = seededRandom(404);
    const recs: HistoryRecord[] = [];
    for (let k = 0; k < 1500; k++) {
      const v = logNormal(random, 12, 100, 0.01);
      if (k === 7) v[11] = v[11]! * 1.8;
      if (k === 9) v[11] = v[11]! * 1.3;
      recs.push(...toHistory(series(v), `bench <b>${k}</b> | x`));
    }
    const md = checkMarkdown(analyzeHistory(recs));
    expect(md.length).toBeLessThan(65_000);
    expect(md).toMatch(/more series not shown/);
    const rows = md.split('\n').filter((l) => l.startsWith('| 🔴'));
    expect(rows[0]).toMatch(/bench \\<b\\>7\\<\/b\\> \\\| x/);
    expect(rows[1]).toMatch(/bench \\<b\\>9/);
  });
});

describe('quality target of issue 4 on series not used for tuning', () => {
  // The detector's constants were chosen on seed 7 (change points alone) and seeds 11–13 and 99
  // (whole verdict); this seed was run once, after they were fixed.
  it('finds ≥90% of steps ≥10% within two records and flags ≤1% of no-change series', () => {
    const q = measureQuality(perflensDetector(), 20261124, 400, 1000);
    expect(q.steps).toBeGreaterThan(400);
    expect(q.recall).toBeGreaterThanOrEqual(0.9);
    expect(q.falseAlarms).toBeLessThanOrEqual(0.01);
  });

  it('with raw samples per run as well', () => {
    const q = measureQuality(perflensDetector(), 777, 100, 150, 20);
    expect(q.recall).toBeGreaterThanOrEqual(0.9);
    expect(q.falseAlarms).toBeLessThanOrEqual(0.03);
  });

  it('the generator makes what it says (steps ≥ 8 runs from the ends, drift without steps)', () => {
    const random = seededRandom(1);
    for (let i = 0; i < 50; i++) {
      const s = syntheticSeries(random, { steps: 2 });
      for (const at of s.steps) expect(at >= 8 && at <= s.values.length - 8).toBe(true);
    }
    expect(syntheticSeries(random, { kind: 'drift', steps: 0 }).steps).toEqual([]);
  });
});
