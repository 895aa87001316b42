/**
 * Change-point detection on one series (docs/change-detection.md):
 *
 * 1. work on log(value), so a step is a ratio and noise is roughly symmetric (log-normal → normal);
 * 2. estimate the run-to-run noise σ from first differences (robust: MAD, and a 90%-trimmed RMS that
 *    also sees bimodal noise), which neither steps nor a slow drift disturb;
 * 3. clip single-run outliers to ±2σ around a running median of 7 runs (they are reported, not
 *    segmented);
 * 4. fit a piecewise-constant model by PELT (optimal partitioning with pruning) with an L2 cost and
 *    a penalty of `penalty`·σ²·ln n per change (above 250 runs on block means, each step then
 *    refined run by run within a block either side);
 * 5. drop blips: a level that lasts at most two runs and comes back is outliers, not two steps;
 * 6. prune: every change must still pay its penalty against merging its two neighbours, must beat
 *    a straight line through both neighbours (a drift is a trend, not a step), and must move the
 *    level by at least `minEffect`. The weakest offender is removed first, until all pass.
 */

import { ScratchBuffer } from './scratch';
import { medianInPlace, selectInPlace } from './stats';

export interface ChangePointOptions {
  /** Penalty per change point, in units of σ²·ln n. */
  penalty?: number;
  /** A step must beat a line through both neighbouring segments by this many σ²·ln(m). */
  linePenalty?: number;
  /** Smallest level change (relative) reported as a step. */
  minEffect?: number;
  /** Shortest segment, in runs. */
  minSegment?: number;
  /** Single-run deviations from the running median are clipped to this many σ. */
  clip?: number;
}

export interface ChangePointResult {
  /** Index of the first point after each step, ascending. */
  changePoints: number[];
  /** Robust run-to-run noise on the log scale (≈ relative σ). */
  sigma: number;
}

const DEFAULTS: Required<ChangePointOptions> = { penalty: 4, linePenalty: 3, minEffect: 0.01, minSegment: 2, clip: 2 };

const differences = new ScratchBuffer(Float64Array);
const deviations = new ScratchBuffer(Float64Array);

/** Robust σ of the noise from first differences. */
export function noiseSigma(x: ArrayLike<number>): number {
  const n = x.length;
  if (n < 3) return 0;
  const m = n - 1;
  const d = differences.get(m);
  for (let i = 1; i < n; i++) d[i - 1] = x[i]! - x[i - 1]!;
  const med = medianInPlace(d);
  const abs = deviations.get(m);
  for (let i = 0; i < m; i++) abs[i] = Math.abs(d[i]! - med);
  const madSigma = (1.4826 * medianInPlace(abs)) / Math.SQRT2;
  // RMS of the central 90% of differences, corrected for the trimming of a normal distribution.
  // medianInPlace left `abs` partitioned around its middle: the 90% cut is selected in the upper half.
  const keep = Math.max(1, Math.floor(m * 0.9));
  selectInPlace(abs, keep - 1, Math.min(m >> 1, keep - 1), m - 1);
  let sq = 0;
  for (let i = 0; i < keep; i++) sq += abs[i]! * abs[i]!;
  const trimmedSigma = Math.sqrt(sq / keep / 0.6232) / Math.SQRT2;
  return Math.max(madSigma, trimmedSigma);
}

/** Runs in the running median that clipping is measured from. */
const CLIP_WINDOW = 7;

/**
 * Values clipped to the running median of CLIP_WINDOW runs ± limit. The window stays whole at
 * both ends (the first and last runs share the first and last window), so that two spikes among
 * the first or last few runs cannot become the median and pull their normal neighbours along. A
 * step in the last three runs is therefore clipped too, until a fourth run follows: the latest-run
 * verdict (analysis.ts) judges those runs meanwhile.
 */
export function clipOutliers(x: ArrayLike<number>, limit: number): Float64Array {
  return clipInto(x, limit, new Float64Array(x.length));
}

function clipInto(x: ArrayLike<number>, limit: number, out: Float64Array): Float64Array {
  const n = x.length;
  const half = (CLIP_WINDOW - 1) / 2;
  const w = new Float64Array(CLIP_WINDOW);
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    // The window: centred, or the first or last whole one near the ends (centred and cut short
    // when x is shorter than a window).
    const lo = n < CLIP_WINDOW ? Math.max(0, i - half) : Math.min(Math.max(0, i - half), n - CLIP_WINDOW);
    const hi = n < CLIP_WINDOW ? Math.min(n - 1, i + half) : lo + CLIP_WINDOW - 1;
    const m = hi - lo + 1;
    // When more than half of the window lies within ±limit of x[i], so does its median, and x[i]
    // stays as it is: the usual case, decided without sorting.
    let near = 0;
    for (let k = lo; k <= hi; k++) if (Math.abs(x[k]! - xi) <= limit) near++;
    if (2 * near > m) { out[i] = xi; continue; }
    for (let k = 0; k < m; k++) {
      const v = x[lo + k]!;
      let j = k;
      while (j > 0 && w[j - 1]! > v) { w[j] = w[j - 1]!; j--; }
      w[j] = v;
    }
    const med = m % 2 === 1 ? w[(m - 1) / 2]! : (w[m / 2 - 1]! + w[m / 2]!) / 2;
    const r = xi - med;
    out[i] = r > limit ? med + limit : r < -limit ? med - limit : xi;
  }
  return out;
}

// Working storage of detectChangePoints, reused from series to series (it is never re-entered).
const clipped = new ScratchBuffer(Float64Array);
const prefixSum = new ScratchBuffer(Float64Array);
const prefixSquares = new ScratchBuffer(Float64Array);
const prefixIndexed = new ScratchBuffer(Float64Array);
const blockMeans = new ScratchBuffer(Float64Array);
const blockSum = new ScratchBuffer(Float64Array);
const blockSquares = new ScratchBuffer(Float64Array);
const peltBest = new ScratchBuffer(Float64Array);
const peltCost = new ScratchBuffer(Float64Array);
const peltInverse = new ScratchBuffer(Float64Array);
const peltLast = new ScratchBuffer(Int32Array);
const peltCandidates = new ScratchBuffer(Int32Array);

/** Prefix sums of x, x² and i·x: segment means and costs in O(1). */
class PrefixSums {
  readonly s: Float64Array;
  readonly s2: Float64Array;
  readonly si: Float64Array;
  constructor(x: ArrayLike<number>) {
    const n = x.length;
    this.s = prefixSum.get(n + 1);
    this.s2 = prefixSquares.get(n + 1);
    this.si = prefixIndexed.get(n + 1);
    this.s[0] = 0;
    this.s2[0] = 0;
    this.si[0] = 0;
    for (let i = 0; i < n; i++) {
      this.s[i + 1] = this.s[i]! + x[i]!;
      this.s2[i + 1] = this.s2[i]! + x[i]! * x[i]!;
      this.si[i + 1] = this.si[i]! + i * x[i]!;
    }
  }
  /** Sum of squared deviations from the mean of x[a..b). */
  sseConst(a: number, b: number): number {
    const m = b - a;
    if (m <= 0) return 0;
    const sum = this.s[b]! - this.s[a]!;
    return Math.max(0, this.s2[b]! - this.s2[a]! - (sum * sum) / m);
  }
  mean(a: number, b: number): number {
    return (this.s[b]! - this.s[a]!) / (b - a);
  }
  /** Sum of squared residuals of the least-squares line through x[a..b) against the index. */
  sseLine(a: number, b: number): number {
    const m = b - a;
    if (m <= 2) return 0;
    const sy = this.s[b]! - this.s[a]!;
    const syy = this.s2[b]! - this.s2[a]!;
    // Indices a..b-1, centred: sum of i and i² in closed form.
    const si = ((a + b - 1) * m) / 2;
    const sii = ((b - 1) * b * (2 * b - 1) - (a - 1) * a * (2 * a - 1)) / 6;
    const sxy = this.si[b]! - this.si[a]!;
    const vx = sii - (si * si) / m;
    const cxy = sxy - (si * sy) / m;
    const vy = syy - (sy * sy) / m;
    return Math.max(0, vx > 0 ? vy - (cxy * cxy) / vx : vy);
  }
}

/**
 * PELT for the L2 cost on `m` points with weight `w` each (the mean of `w` runs) and a minimum
 * segment length, from the prefix sums `s1` of the points and `s2` of their squares; returns change
 * indices in point units. Candidates live in one typed array, compacted in place, and segment
 * lengths are divided by a table of reciprocals, so the inner loop allocates and divides nothing.
 */
function pelt(s1: Float64Array, s2: Float64Array, m: number, w: number, beta: number, minSeg: number): number[] {
  const f = peltBest.get(m + 1);
  const last = peltLast.get(m + 1).fill(0);
  const cand = peltCandidates.get(m + 1);
  // f[s] + the cost of segment s..t for each candidate s, kept from the minimisation for the pruning.
  const cost = peltCost.get(m + 1);
  const inverse = peltInverse.get(m + 1);
  for (let len = 1; len <= m; len++) inverse[len] = 1 / len;
  let nc = 1;
  cand[0] = 0;
  f[0] = -beta;
  for (let t = minSeg; t <= m; t++) {
    let best = Infinity;
    let bestS = 0;
    const st1 = s1[t]!;
    const st2 = s2[t]!;
    // Candidates ascend, so those closer than minSeg to t are the last few.
    let usable = nc;
    while (usable > 0 && t - cand[usable - 1]! < minSeg) usable--;
    for (let c = 0; c < usable; c++) {
      const s = cand[c]!;
      const sum = st1 - s1[s]!;
      const u = f[s]! + w * (st2 - s2[s]! - sum * sum * inverse[t - s]!);
      cost[c] = u;
      if (u + beta < best) { best = u + beta; bestS = s; }
    }
    f[t] = best;
    last[t] = bestS;
    let k = 0;
    for (let c = 0; c < usable; c++) if (cost[c]! <= best) cand[k++] = cand[c]!;
    for (let c = usable; c < nc; c++) cand[k++] = cand[c]!;
    cand[k++] = t;
    nc = k;
  }
  const cps: number[] = [];
  for (let t = m; t > 0; t = last[t]!) if (last[t]! > 0) cps.push(last[t]!);
  return cps.reverse();
}

/** Longest series segmented run by run; longer ones are segmented on block means, then refined. */
const MAX_POINTS = 250;

function segment(n: number, sums: PrefixSums, beta: number, minSeg: number): number[] {
  if (n <= MAX_POINTS) return pelt(sums.s, sums.s2, n, 1, beta, minSeg);
  const b = Math.ceil(n / MAX_POINTS);
  const m = Math.floor(n / b);
  const blocks = blockMeans.get(m);
  for (let k = 0; k < m; k++) blocks[k] = sums.mean(k * b, k === m - 1 ? n : (k + 1) * b);
  const s1 = blockSum.get(m + 1);
  const s2 = blockSquares.get(m + 1);
  s1[0] = 0;
  s2[0] = 0;
  for (let i = 0; i < m; i++) { s1[i + 1] = s1[i]! + blocks[i]!; s2[i + 1] = s2[i]! + blocks[i]! * blocks[i]!; }
  const coarse = pelt(s1, s2, m, b, beta, 1).map((k) => k * b);
  // Refine each step to the best split within a block either side, between its neighbours.
  const cps: number[] = [];
  for (let i = 0; i < coarse.length; i++) {
    const a = i === 0 ? 0 : cps[i - 1]!;
    const c = i + 1 < coarse.length ? coarse[i + 1]! : n;
    let best = coarse[i]!;
    let bestCost = Infinity;
    for (let k = Math.max(a + minSeg, coarse[i]! - b); k <= Math.min(c - minSeg, coarse[i]! + b); k++) {
      const cost = sums.sseConst(a, k) + sums.sseConst(k, c);
      if (cost < bestCost) { bestCost = cost; best = k; }
    }
    cps.push(best);
  }
  return cps.filter((c, i) => i === 0 || c > cps[i - 1]!);
}

/** Change points of a series of log-values (see the file comment). */
export function detectChangePoints(logValues: ArrayLike<number>, options: ChangePointOptions = {}): ChangePointResult {
  const o = { ...DEFAULTS, ...options };
  const n = logValues.length;
  const sigma = Math.max(noiseSigma(logValues), 1e-4);
  if (n < 2 * o.minSegment + 2) return { changePoints: [], sigma };
  const sums = new PrefixSums(clipInto(logValues, o.clip * sigma, clipped.get(n)));
  const beta = o.penalty * sigma * sigma * Math.log(n);
  const cps = segment(n, sums, beta, o.minSegment);
  const minLogEffect = Math.log1p(o.minEffect);
  // A level that holds for at most two runs between two steps and then returns is a pair of
  // outliers, not two changes: drop both steps when merging the blip away leaves no step.
  for (let i = 0; i + 1 < cps.length;) {
    const k1 = cps[i]!;
    const k2 = cps[i + 1]!;
    const a = i === 0 ? 0 : cps[i - 1]!;
    const b = i + 2 < cps.length ? cps[i + 2]! : n;
    if (k2 - k1 <= 2 && Math.abs(sums.mean(k2, b) - sums.mean(a, k1)) < Math.max(minLogEffect, 2 * sigma)) cps.splice(i, 2);
    else i++;
  }
  for (;;) {
    let worst = -1;
    let worstMargin = Infinity;
    for (let i = 0; i < cps.length; i++) {
      const a = i === 0 ? 0 : cps[i - 1]!;
      const k = cps[i]!;
      const b = i === cps.length - 1 ? n : cps[i + 1]!;
      const split = sums.sseConst(a, k) + sums.sseConst(k, b);
      const gainStep = (sums.sseConst(a, b) - split) / beta;
      const gainLine = (sums.sseLine(a, b) - split) / (o.linePenalty * sigma * sigma * Math.log(b - a));
      const effect = Math.abs(sums.mean(k, b) - sums.mean(a, k)) / minLogEffect;
      const margin = Math.min(gainStep, gainLine, effect);
      if (margin < 1 && margin < worstMargin) { worstMargin = margin; worst = i; }
    }
    if (worst < 0) break;
    cps.splice(worst, 1);
  }
  return { changePoints: cps, sigma };
}
