/**
 * Synthetic benchmark series with known answers: realistic noise (log-normal, bimodal, outliers,
 * slow drift) and injected steps. Shared by the statistics tests and bench/analysis.ts.
 */
import { normalDeviate } from '../../../src/core/bench/stats';

export type NoiseKind = 'lognormal' | 'bimodal' | 'outliers' | 'drift';

export interface SyntheticSeries {
  kind: NoiseKind;
  values: number[];
  samples?: number[][];
  /** Index of the first run after each injected step. */
  steps: number[];
  /** Relative size of each step (+0.2 = 20% slower). */
  stepSizes: number[];
  noise: number;
}

export interface SyntheticOptions {
  length?: [number, number];
  /** Number of steps: 0 for a no-change series. */
  steps?: number;
  /** Smallest and largest |relative step|. */
  stepRange?: [number, number];
  /** Raw samples per run (0: none). */
  samplesPerRun?: number;
  kind?: NoiseKind;
  /** Range of the run-to-run noise σ (relative; default 1–5%). */
  noise?: [number, number];
  /** Share of runs that are spikes in "outliers" series (default 0.02). */
  outlierRate?: number;
}

const KINDS: NoiseKind[] = ['lognormal', 'bimodal', 'outliers', 'drift'];

export function syntheticSeries(random: () => number, options: SyntheticOptions = {}): SyntheticSeries {
  const [minLen, maxLen] = options.length ?? [40, 200];
  const n = minLen + Math.floor(random() * (maxLen - minLen + 1));
  const kind = options.kind ?? KINDS[Math.floor(random() * KINDS.length)]!;
  const base = Math.exp(Math.log(1e3) + random() * Math.log(1e6));
  const [noiseLo, noiseHi] = options.noise ?? [0.01, 0.05];
  const noise = noiseLo + random() * (noiseHi - noiseLo);
  const outlierRate = options.outlierRate ?? 0.02;
  const stepCount = options.steps ?? 0;
  const [lo, hi] = options.stepRange ?? [0.05, 0.5];
  // Steps at least 10 runs apart and at least 8 runs from either end.
  const steps: number[] = [];
  for (let tries = 0; steps.length < stepCount && tries < 1000; tries++) {
    const at = 8 + Math.floor(random() * (n - 16));
    if (steps.every((s) => Math.abs(s - at) >= 10)) steps.push(at);
  }
  steps.sort((a, b) => a - b);
  const stepSizes = steps.map(() => (random() < 0.5 ? -1 : 1) * (lo + random() * (hi - lo)));
  const driftTotal = kind === 'drift' ? (random() < 0.5 ? -1 : 1) * (0.1 + random() * 0.3) : 0;
  const slowMode = 0.03 + random() * 0.05;
  const values: number[] = [];
  const samples: number[][] = [];
  let level = Math.log(base);
  for (let i = 0; i < n; i++) {
    const k = steps.indexOf(i);
    if (k >= 0) level += Math.log1p(stepSizes[k]!);
    let runLevel = level + (driftTotal * i) / n;
    let sigma = noise;
    if (kind === 'bimodal') {
      sigma = noise / 3;
      if (random() < 0.3) runLevel += slowMode;
    }
    runLevel += sigma * normalDeviate(random);
    if (kind === 'outliers' && random() < outlierRate) runLevel += Math.log(1.3 + random() * 1.7);
    values.push(Math.exp(runLevel));
    if (options.samplesPerRun) {
      const s: number[] = [];
      for (let j = 0; j < options.samplesPerRun; j++) s.push(Math.exp(runLevel + 0.03 * normalDeviate(random)));
      samples.push(s);
    }
  }
  return { kind, values, samples: options.samplesPerRun ? samples : undefined, steps, stepSizes, noise };
}
