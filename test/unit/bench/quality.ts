/**
 * Detection quality on synthetic histories: the figure of issue 4's "Done when", shared by the
 * test (test/unit/bench/analysis.test.ts) and the benchmark (bench/analysis.ts).
 */
import { analyzeSeries, type AnalysisOptions, type SeriesAnalysis } from '../../../src/core/bench/analysis';
import { seededRandom } from '../../../src/core/bench/stats';
import type { HistoryRecord } from '../../../src/core/bench/types';
import { syntheticSeries, type SyntheticOptions, type SyntheticSeries } from './synthetic';

export function toHistory(s: SyntheticSeries, name = 'bench', machine = 'm1'): HistoryRecord[] {
  return s.values.map((value, i) => {
    const r: HistoryRecord = {
      v: 1, run: `r${i}`, ts: new Date(Date.UTC(2026, 0, 1) + i * 86_400_000).toISOString(), commit: null, branch: 'main', dirty: false,
      machine: { id: machine, os: 'linux', arch: 'x64', cpu: 'cpu', cores: 2, memGB: 8, runtime: 'node' },
      suite: 'synthetic', name, unit: 'ns', better: 'lower', value,
    };
    if (s.samples) r.samples = s.samples[i];
    return r;
  });
}

/** A detector under test: change indices for a series, and whether it flags it at all. */
export type Detector = (s: SyntheticSeries) => { changePoints: number[]; flagged: boolean };

export const perflensDetector = (options: AnalysisOptions = {}): Detector => (s) => {
  const a: SeriesAnalysis = analyzeSeries({ suite: 'synthetic', name: 'bench', machine: 'm1', records: toHistory(s) }, options);
  return { changePoints: a.changePoints, flagged: a.changePoints.length > 0 || a.status === 'regressed' || a.status === 'improved' };
};

export interface QualityFigures {
  /** Steps of ≥10% found within two records. */
  recall: number;
  steps: number;
  /** Share of no-change series (log-normal, bimodal, outliers, drift) flagged at all. */
  falseAlarms: number;
  noChangeSeries: number;
  falseAlarmsByKind: Record<string, number>;
}

/**
 * Runs a detector over `stepSeries` series with 1–2 steps and `quietSeries` without; `noise`
 * changes the generator's mix (noise range, spike rate, kind, length).
 */
export function measureQuality(
  detect: Detector, seed: number, stepSeries = 400, quietSeries = 800, samplesPerRun = 0,
  noise: Omit<SyntheticOptions, 'steps' | 'samplesPerRun'> = {},
): QualityFigures {
  const random = seededRandom(seed);
  let found = 0;
  let steps = 0;
  for (let i = 0; i < stepSeries; i++) {
    const s = syntheticSeries(random, { ...noise, steps: 1 + Math.floor(random() * 2), samplesPerRun });
    const r = detect(s);
    s.steps.forEach((at, k) => {
      if (Math.abs(s.stepSizes[k]!) < 0.1) return;
      steps++;
      if (r.changePoints.some((c) => Math.abs(c - at) <= 2)) found++;
    });
  }
  let alarms = 0;
  const byKind: Record<string, number> = {};
  for (let i = 0; i < quietSeries; i++) {
    const s = syntheticSeries(random, { ...noise, steps: 0, samplesPerRun });
    if (detect(s).flagged) {
      alarms++;
      byKind[s.kind] = (byKind[s.kind] ?? 0) + 1;
    }
  }
  return { recall: found / steps, steps, falseAlarms: alarms / quietSeries, noChangeSeries: quietSeries, falseAlarmsByKind: byKind };
}
