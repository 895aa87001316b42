/**
 * Benchmark-history analysis (issue 4):
 *
 * 1. speed — parse and analyse a history of 100 series × 1,000 runs (5 raw samples per run):
 *    target ≤ 100 ms, reported as a ratio to that budget; the same run also times a bare
 *    `JSON.parse` of every line, as a same-machine yardstick;
 * 2. detection quality — on the same synthetic series (log-normal, bimodal, outliers and slow
 *    drift, steps of 5–50%), PerfLens next to two baselines implemented only here (and PerfLens
 *    alone on two harsher mixes: 5% of runs spikes, or 2–8% run-to-run noise):
 *    - github-action-benchmark's rule: alert when latest / previous > 2.0 (its default 200%
 *      threshold; applied in both directions here, its most generous reading);
 *    - a Bencher-style t-test threshold: alert when a run lies outside the two-sided 99% interval
 *      of a Student-t fitted to the previous (up to 64) runs.
 *
 * Run: `npm run bench -- analysis`.
 */
import { analyzeHistory } from '../src/core/bench/analysis';
import { parseHistory } from '../src/core/bench/history';
import { seededRandom } from '../src/core/bench/stats';
import type { HistoryRecord } from '../src/core/bench/types';
import { measureQuality, perflensDetector, toHistory, type Detector, type QualityFigures } from '../test/unit/bench/quality';
import { syntheticSeries } from '../test/unit/bench/synthetic';

interface Row { name: string; ratio: number; target: number; higherIsBetter?: boolean; detail?: string }

const BUDGET_MS = 100;

/** github-action-benchmark: alert when the ratio to the previous run exceeds 2.0. */
export const ratioRuleDetector: Detector = (s) => {
  const cps: number[] = [];
  for (let i = 1; i < s.values.length; i++) {
    const r = s.values[i]! / s.values[i - 1]!;
    if (r > 2 || r < 0.5) cps.push(i);
  }
  return { changePoints: cps, flagged: cps.length > 0 };
};

/** Two-sided Student-t quantile for 99% (df ≥ 1), by a Cornish–Fisher expansion of the normal one. */
function t995(df: number): number {
  const z = 2.5758293035489;
  const g1 = (z ** 3 + z) / 4;
  const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
  const g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3;
}

/** Bencher-style t-test threshold over the previous ≤ 64 runs (at least 5). */
export const tTestDetector: Detector = (s) => {
  const cps: number[] = [];
  for (let i = 5; i < s.values.length; i++) {
    const from = Math.max(0, i - 64);
    const n = i - from;
    let sum = 0;
    for (let k = from; k < i; k++) sum += s.values[k]!;
    const mean = sum / n;
    let sq = 0;
    for (let k = from; k < i; k++) sq += (s.values[k]! - mean) ** 2;
    const sd = Math.sqrt(sq / (n - 1));
    if (Math.abs(s.values[i]! - mean) > t995(n - 1) * sd) cps.push(i);
  }
  return { changePoints: cps, flagged: cps.length > 0 };
};

function bigHistoryText(): string {
  const random = seededRandom(2026);
  const lines: string[] = [];
  const all: HistoryRecord[][] = [];
  for (let k = 0; k < 100; k++) all.push(toHistory(syntheticSeries(random, { length: [1000, 1000], steps: 2, samplesPerRun: 5 }), `bench ${k}`));
  for (let i = 0; i < 1000; i++) for (const s of all) lines.push(JSON.stringify({ ...s[i]!, run: `r${i}` }));
  return `${lines.join('\n')}\n`;
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function benchAnalysis(ctx: { root: string; log: (line: string) => void }): Promise<Row[]> {
  const text = bigHistoryText();
  const lines = text.trimEnd().split('\n');
  ctx.log(`history: ${lines.length} records, ${(text.length / 1e6).toFixed(1)} MB`);
  const parseMs: number[] = [];
  const analyseMs: number[] = [];
  const ourParseMs: number[] = [];
  let regressions = 0;
  for (let rep = 0; rep < 6; rep++) {
    let t = performance.now();
    for (const l of lines) JSON.parse(l);
    const bare = performance.now() - t;
    t = performance.now();
    const h = parseHistory(text, 'big.jsonl');
    const parsed = performance.now() - t;
    t = performance.now();
    const a = analyzeHistory(h.records);
    const analysed = performance.now() - t;
    regressions = a.series.filter((s) => s.status === 'regressed').length;
    if (rep === 0) continue; // warm-up
    parseMs.push(bare);
    ourParseMs.push(parsed);
    analyseMs.push(analysed);
  }
  const bare = medianOf(parseMs);
  const ours = medianOf(analyseMs);
  const read = medianOf(ourParseMs);
  ctx.log(`JSON.parse of every line: ${bare.toFixed(1)} ms · parseHistory: ${read.toFixed(1)} ms · analyzeHistory: ${ours.toFixed(1)} ms (median of 5) · ${regressions} series regressed in the latest run`);

  const seed = 31337;
  const figures: [string, QualityFigures][] = [
    ['PerfLens', measureQuality(perflensDetector(), seed)],
    ['ratio > 2.0 (github-action-benchmark)', measureQuality(ratioRuleDetector, seed)],
    ['t-test 99% (Bencher-style)', measureQuality(tTestDetector, seed)],
  ];
  const rows: Row[] = [
    { name: 'analysis: 100 series × 1,000 runs vs 100 ms', ratio: ours / BUDGET_MS, target: 1, detail: `${ours.toFixed(1)} ms; ${(ours / bare).toFixed(2)}× a bare JSON.parse of the history (${bare.toFixed(1)} ms)` },
  ];
  figures.push(
    ['PerfLens, 5% spikes', measureQuality(perflensDetector(), seed, 400, 800, 0, { outlierRate: 0.05 })],
    ['PerfLens, 2–8% noise', measureQuality(perflensDetector(), seed, 400, 800, 0, { noise: [0.02, 0.08] })],
  );
  for (const [who, q] of figures) {
    ctx.log(`${who}: recall ${(q.recall * 100).toFixed(1)}% of ${q.steps} steps ≥10% (±2 runs), false alarms ${(q.falseAlarms * 100).toFixed(2)}% of ${q.noChangeSeries} no-change series ${JSON.stringify(q.falseAlarmsByKind)}`);
    rows.push({ name: `detection recall, steps ≥10%: ${who}`, ratio: q.recall, target: 0.9, higherIsBetter: true, detail: `${q.steps} steps` });
    rows.push({ name: `false alarms, no-change series: ${who}`, ratio: q.falseAlarms, target: 0.01, detail: JSON.stringify(q.falseAlarmsByKind) });
  }
  return rows;
}
