/** Small, dependency-free statistics used by the benchmark analysis. */
import { ScratchBuffer } from './scratch';

/** Seeded PRNG (mulberry32): deterministic bootstrap and synthetic data. */
export function seededRandom(seed: number): () => number {
  // The state is kept as a signed 32-bit integer (`| 0`), which stays a small integer in V8; as an
  // unsigned one (`>>> 0`) every other state above 2³¹ was a boxed number, allocated per draw. The
  // bits, and so the numbers drawn, are the same.
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal deviate (Box–Muller) from a uniform source. */
export function normalDeviate(random: () => number): number {
  const u = Math.max(random(), 1e-300);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Quantile (linear interpolation, type 7) of already sorted values. */
export function quantileSorted(s: ArrayLike<number>, q: number): number {
  const n = s.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/**
 * k-th smallest (0-based) of `a[lo..hi]`, which it reorders so that `a[lo..k-1] ≤ a[k] ≤ a[k+1..hi]`:
 * Floyd–Rivest selection (as in d3-array's quickselect), which on ranges of more than 600 values
 * first narrows the range around k by selecting within a small sample, then Hoare-partitions.
 */
export function selectInPlace(a: Float64Array, k: number, lo = 0, hi = a.length - 1): number {
  let left = lo;
  let right = hi;
  while (right > left) {
    if (right - left > 600) {
      const n = right - left + 1;
      const m = k - left + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (m - n / 2 < 0 ? -1 : 1);
      selectInPlace(a, k, Math.max(left, Math.floor(k - (m * s) / n + sd)), Math.min(right, Math.floor(k + ((n - m) * s) / n + sd)));
    }
    const pivot = a[k]!;
    let i = left;
    let j = right;
    swap(a, left, k);
    if (a[right]! > pivot) swap(a, left, right);
    while (i < j) {
      swap(a, i, j);
      i++;
      j--;
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
    }
    if (a[left] === pivot) swap(a, left, j);
    else swap(a, ++j, right);
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
  return a[k]!;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** Median of `a`, reordering it (no copy). */
export function medianInPlace(a: Float64Array): number {
  const n = a.length;
  if (n === 0) return NaN;
  const upper = selectInPlace(a, n >> 1);
  if (n % 2 === 1) return upper;
  let lower = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (a[i]! > lower) lower = a[i]!;
  return (lower + upper) / 2;
}

export function median(xs: ArrayLike<number>): number {
  return medianInPlace(Float64Array.from(xs as ArrayLike<number>));
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

/** Median absolute deviation, scaled to estimate σ of normal data (×1.4826). */
export function mad(xs: ArrayLike<number>, center = median(xs)): number {
  const dev = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) dev[i] = Math.abs(xs[i]! - center);
  return 1.4826 * medianInPlace(dev);
}

/** Standard normal cumulative distribution (Abramowitz–Stegun 7.1.26 on erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

export interface MannWhitneyResult {
  /** U of the first sample. */
  u: number;
  /** Two-sided p-value (normal approximation with tie and continuity correction). */
  pValue: number;
  /** Common-language effect size P(a > b) + ½P(a = b), in [0, 1]; 0.5 means no effect. */
  probabilityOfSuperiority: number;
  /** Rank-biserial correlation 2·PS − 1, in [−1, 1]. */
  rankBiserial: number;
}

/** Two-sided Mann–Whitney U test of `a` against `b`. */
export function mannWhitneyU(a: ArrayLike<number>, b: ArrayLike<number>): MannWhitneyResult {
  const n1 = a.length;
  const n2 = b.length;
  const n = n1 + n2;
  const idx = new Uint32Array(n);
  const vals = new Float64Array(n);
  for (let i = 0; i < n1; i++) vals[i] = a[i]!;
  for (let i = 0; i < n2; i++) vals[n1 + i] = b[i]!;
  for (let i = 0; i < n; i++) idx[i] = i;
  // A comparator returning -1/0/1 (small integers) rather than a difference (a boxed double).
  idx.sort((x, y) => (vals[x]! < vals[y]! ? -1 : vals[x]! > vals[y]! ? 1 : 0));
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && vals[idx[j + 1]!] === vals[idx[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    const t = j - i + 1;
    if (t > 1) tieTerm += t * t * t - t;
    for (let k = i; k <= j; k++) if (idx[k]! < n1) rankSumA += rank;
    i = j + 1;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const z = sigma > 0 ? (Math.abs(u - mu) - 0.5) / sigma : 0;
  const pValue = sigma > 0 ? Math.min(1, 2 * (1 - normalCdf(Math.max(z, 0)))) : 1;
  const ps = n1 * n2 > 0 ? u / (n1 * n2) : 0.5;
  return { u, pValue, probabilityOfSuperiority: ps, rankBiserial: 2 * ps - 1 };
}

/**
 * Medians of resamples of `source`, each given as the indices drawn. When the source is not much
 * larger than a resample, draws are counted per rank of the sorted source and the median read off
 * the counts; otherwise the drawn values are selected from. Both give exactly the median of the
 * drawn values.
 */
class ResampledMedian {
  private readonly drawn: Float64Array;
  private readonly sorted: Float64Array | null = null;
  private readonly rank: Int32Array | null = null;
  private readonly counts: Int32Array | null = null;

  constructor(private readonly source: Float64Array, size: number) {
    this.drawn = new Float64Array(size);
    const n = source.length;
    if (n <= 4 * size) {
      const order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((p, q) => (source[p]! < source[q]! ? -1 : source[p]! > source[q]! ? 1 : 0));
      this.sorted = new Float64Array(n);
      this.rank = new Int32Array(n);
      for (let k = 0; k < n; k++) { this.sorted[k] = source[order[k]!]!; this.rank[order[k]!] = k; }
      this.counts = new Int32Array(n);
    }
  }

  of(draws: Int32Array): number {
    const size = draws.length;
    if (size === 0) return NaN;
    if (!this.counts || !this.rank || !this.sorted) {
      for (let i = 0; i < size; i++) this.drawn[i] = this.source[draws[i]!]!;
      return medianInPlace(this.drawn);
    }
    const counts = this.counts.fill(0);
    for (let i = 0; i < size; i++) counts[this.rank[draws[i]!]!]!++;
    // The (size − 1) >> 1 and size >> 1 smallest drawn values (the same one when size is odd).
    const lowRank = (size - 1) >> 1;
    let k = 0;
    let below = counts[0]!;
    while (below <= lowRank) below += counts[++k]!;
    const low = this.sorted[k]!;
    if (size % 2 === 1 || below > lowRank + 1) return low;
    do k++; while (counts[k] === 0);
    return (low + this.sorted[k]!) / 2;
  }
}

/**
 * Percentile bootstrap CI of the relative change median(b)/median(a) − 1 (as a fraction), with a
 * seeded generator so a report is reproducible. Large inputs are resampled at most `cap` values.
 */
export function bootstrapChangeCi(a: ArrayLike<number>, b: ArrayLike<number>, resamples = 400, level = 0.95, seed = 1, cap = 200): [number, number] {
  const random = seededRandom(seed);
  const na = a.length;
  const nb = b.length;
  const medianA = new ResampledMedian(Float64Array.from(a), Math.min(na, cap));
  const medianB = new ResampledMedian(Float64Array.from(b), Math.min(nb, cap));
  const drawsA = new Int32Array(Math.min(na, cap));
  const drawsB = new Int32Array(Math.min(nb, cap));
  const out = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    // `| 0` is Math.floor here: the product is non-negative and below 2³¹.
    for (let i = 0; i < drawsA.length; i++) drawsA[i] = (random() * na) | 0;
    for (let i = 0; i < drawsB.length; i++) drawsB[i] = (random() * nb) | 0;
    out[r] = medianB.of(drawsB) / medianA.of(drawsA) - 1;
  }
  out.sort();
  const alpha = (1 - level) / 2;
  return [quantileSorted(out, alpha), quantileSorted(out, 1 - alpha)];
}

const theilSenX = new ScratchBuffer(Float64Array);
const theilSenY = new ScratchBuffer(Float64Array);
const theilSenSlopes = new ScratchBuffer(Float64Array);
const theilSenResiduals = new ScratchBuffer(Float64Array);

/**
 * Theil–Sen slope: the median of pairwise slopes. Above `maxPoints` points the pairs are taken on
 * an even subsample, keeping it O(maxPoints²).
 */
export function theilSenSlope(xs: ArrayLike<number>, ys: ArrayLike<number>, maxPoints = 80): number {
  const n = xs.length;
  if (n < 2) return 0;
  const step = n > maxPoints ? n / maxPoints : 1;
  const px = theilSenX.get(Math.min(n, maxPoints + 1));
  const py = theilSenY.get(px.length);
  let m = 0;
  for (let k = 0; m < px.length; k++) {
    const i = Math.floor(k * step);
    if (i >= n) break;
    px[m] = xs[i]!;
    py[m] = ys[i]!;
    m++;
  }
  const slopes = theilSenSlopes.get((m * (m - 1)) / 2);
  let ns = 0;
  for (let i = 0; i < m; i++) {
    const xi = px[i]!;
    const yi = py[i]!;
    for (let j = i + 1; j < m; j++) {
      const dx = px[j]! - xi;
      if (dx !== 0) slopes[ns++] = (py[j]! - yi) / dx;
    }
  }
  return ns > 0 ? medianInPlace(slopes.subarray(0, ns)) : 0;
}

/** Theil–Sen slope (see theilSenSlope) and intercept (median of y − slope·x over all points). */
export function theilSen(xs: ArrayLike<number>, ys: ArrayLike<number>, maxPoints = 80): { slope: number; intercept: number } {
  const n = xs.length;
  if (n < 2) return { slope: 0, intercept: n === 1 ? ys[0]! : NaN };
  const slope = theilSenSlope(xs, ys, maxPoints);
  const resid = theilSenResiduals.get(n);
  for (let i = 0; i < n; i++) resid[i] = ys[i]! - slope * xs[i]!;
  return { slope, intercept: medianInPlace(resid) };
}
