import { describe, expect, it } from 'vitest';
import {
  analyzeHistory, analyzeSeries, bootstrapChangeCi, checkMarkdown, detectChangePoints, globToRegExp, mad, mannWhitneyU,
  median, normalCdf, normalDeviate, parseBudgets, quantileSorted, seededRandom, selectInPlace, theilSen, type HistoryRecord,
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

  it('selection: the k-th smallest of a range, which is left partitioned around it', () => {
    const random = seededRandom(8);
    for (let t = 0; t < 300; t++) {
      const n = 1 + Math.floor(random() * (t % 3 === 0 ? 3000 : 40));
      const ties = t % 2 === 0;
      const a = Float64Array.from({ length: n }, () => (ties ? Math.floor(random() * 5) : random()));
      const lo = Math.floor(random() * n);
      const hi = lo + Math.floor(random() * (n - lo));
      const k = lo + Math.floor(random() * (hi - lo + 1));
      const outside = [...a.subarray(0, lo), ...a.subarray(hi + 1)];
      const expected = [...a.subarray(lo, hi + 1)].sort((x, y) => x - y)[k - lo];
      const v = selectInPlace(a, k, lo, hi);
      expect(v).toBe(expected);
      for (let i = lo; i <= hi; i++) expect(i < k ? a[i]! <= v : i > k ? a[i]! >= v : a[i] === v).toBe(true);
      expect([...a.subarray(0, lo), ...a.subarray(hi + 1)]).toEqual(outside);
    }
  });

  it('bootstrap CI: exactly the textbook resampling of medians with the same random draws', () => {
    // Reference: draw every resample value by value and sort it. The implementation reads the
    // median off counts per rank (sources up to 4× the resample) or selects it (larger ones).
    const reference = (a: number[], b: number[], resamples: number, seed: number, cap: number): [number, number] => {
      const random = seededRandom(seed);
      const med = (xs: number[]): number => {
        const s = [...xs].sort((x, y) => x - y);
        return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
      };
      const draw = (xs: number[]): number[] => Array.from({ length: Math.min(xs.length, cap) }, () => xs[Math.floor(random() * xs.length)]!);
      const out = Float64Array.from({ length: resamples }, () => {
        const ma = med(draw(a));
        return med(draw(b)) / ma - 1;
      }).sort();
      const alpha = (1 - 0.95) / 2;
      return [quantileSorted(out, alpha), quantileSorted(out, 1 - alpha)];
    };
    const random = seededRandom(12);
    const tied = (n: number, base: number): number[] => Array.from({ length: n }, () => base + Math.floor(random() * 8));
    const cases: [number[], number[], number][] = [
      [logNormal(random, 60, 100, 0.05), logNormal(random, 7, 120, 0.05), 200], // counted, odd and even sizes
      [tied(150, 100), tied(40, 104), 200], // many ties
      [logNormal(random, 1000, 100, 0.05), logNormal(random, 5, 110, 0.05), 200], // 1,000 values, 200 a resample: selected
      [logNormal(random, 500, 100, 0.05), logNormal(random, 500, 105, 0.05), 100], // capped, selected on both sides
    ];
    for (const [a, b, cap] of cases) expect(bootstrapChangeCi(a, b, 300, 0.95, 5, cap)).toEqual(reference(a, b, 300, 5, cap));
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

  it('spikes among the first or last runs do not drag their neighbours into a step', () => {
    // With a window cut short at the ends, two spikes among the last three runs became the
    // running median and pulled the normal last run up to them: a false step at the end.
    const v = logNormal(seededRandom(505), 60, 1000, 0.02);
    v[1] = v[1]! * 1.6;
    v[2] = v[2]! * 1.8;
    v[57] = v[57]! * 2;
    v[58] = v[58]! * 1.7;
    const a = analyze(v);
    expect(a.changePoints).toEqual([]);
    expect(a.status).toBe('ok');
    expect(a.outliers).toEqual([1, 2, 57, 58]);
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

  it('a step in the last runs is judged from those runs together until it can be placed', () => {
    // 12% on 2% noise: about 6σ a run. Two runs in: no change point yet (the clipping holds the
    // last runs to the level before them), the two runs together make the verdict.
    const values = logNormal(seededRandom(102), 60, 100, 0.02).map((v, i) => (i >= 58 ? v * 1.12 : v));
    const a = analyze(values);
    expect(a.changePoints).toEqual([]);
    expect(a.status).toBe('regressed');
    expect(a.verdictBasis).toBe('latest-run');
    expect(a.deltaPercent!).toBeCloseTo(12, -1);
    // Four runs in, it is placed.
    const placed = analyze([...values, 112, 111]);
    expect(placed.changePoints).toEqual([58]);
    expect(placed.verdictBasis).toBe('step');
  });

  describe('a jump in the latest run alone, in a series that spikes', () => {
    const spiky = logNormal(seededRandom(606), 80, 100, 0.02);
    spiky[20] = spiky[20]! * 1.8;
    spiky[50] = spiky[50]! * 1.6;

    it('is reported as one more outlier (rerun it), not as a regression', () => {
      const a = analyze([...spiky, 170]);
      expect(a.status).toBe('ok');
      expect(a.verdictBasis).toBe('outlier');
      expect(a.outliers).toEqual([20, 50, 80]);
      expect(a.deltaPercent!).toBeCloseTo(70, -1);
      const h = analyzeHistory(toHistory(series([...spiky, 170])));
      expect(h.failing).toBe(false);
      expect(checkMarkdown(h)).toMatch(/\| ⚠️ ok, latest run an outlier \(rerun\) \| synthetic › bench/);
    });

    it('is a regression once the next run confirms it', () => {
      const a = analyze([...spiky, 170, 168]);
      expect(a.status).toBe('regressed');
      expect(a.verdictBasis).toBe('latest-run');
    });

    it('is a regression at once in a series without spikes, or when far beyond its spikes', () => {
      const clean = logNormal(seededRandom(607), 80, 100, 0.02);
      expect(analyze([...clean, 170]).status).toBe('regressed');
      const small = [...clean];
      small[20] = small[20]! * 1.3;
      small[50] = small[50]! * 1.25;
      expect(analyze([...small, 150]).verdictBasis).toBe('outlier');
      expect(analyze([...small, 300]).status).toBe('regressed');
    });

    it('an improvement is not excused by spikes that were slowdowns', () => {
      expect(analyze([...spiky, 60]).status).toBe('improved');
    });
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
  // (whole verdict); this seed was run once, after they were fixed. The clip window, line penalty
  // and spike rule were later chosen on series of one noise kind at a time (seeds 424,242+) and
  // checked on seeds 1–6, 11–13, 99, 31337 and this one; the mixes below were run once, after.
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

  it.each([
    ['spikier (5% of the runs of "outliers" series are spikes)', 5150, { outlierRate: 0.05 }, 0.9],
    ['longer (200–600 runs)', 4242, { length: [200, 600] as [number, number] }, 0.9],
    // Beyond the realistic 1–5%: a 10% step is then often under 2σ (measured: 90–92%).
    ['noisier (2–8% run to run)', 8080, { noise: [0.02, 0.08] as [number, number] }, 0.88],
  ])('holds on other noise mixes: %s', (_, seed, noise, recall) => {
    const q = measureQuality(perflensDetector(), seed, 200, 600, 0, noise);
    expect(q.recall).toBeGreaterThanOrEqual(recall);
    expect(q.falseAlarms).toBeLessThanOrEqual(0.01);
  });

  it('a slow drift is not cut into steps', () => {
    const random = seededRandom(909);
    let cut = 0;
    for (let i = 0; i < 800; i++) if (analyze(syntheticSeries(random, { kind: 'drift', steps: 0 }).values).changePoints.length > 0) cut++;
    expect(cut).toBeLessThanOrEqual(2);
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
