/** Small, dependency-free statistics used by the benchmark analysis. */

/** Seeded PRNG (mulberry32): deterministic bootstrap and synthetic data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
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

/** k-th smallest (0-based) of `a`, which it reorders (Hoare's selection, O(n) expected). */
export function selectInPlace(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!; a[i] = a[j]!; a[j] = t;
        i++; j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k]!;
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
  idx.sort((x, y) => vals[x]! - vals[y]!);
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
 * Percentile bootstrap CI of the relative change median(b)/median(a) − 1 (as a fraction), with a
 * seeded generator so a report is reproducible. Large inputs are resampled at most `cap` values.
 */
export function bootstrapChangeCi(a: ArrayLike<number>, b: ArrayLike<number>, resamples = 400, level = 0.95, seed = 1, cap = 200): [number, number] {
  const random = seededRandom(seed);
  const ma = Math.min(a.length, cap);
  const mb = Math.min(b.length, cap);
  const bufA = new Float64Array(ma);
  const bufB = new Float64Array(mb);
  const out = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < ma; i++) bufA[i] = a[Math.floor(random() * a.length)]!;
    for (let i = 0; i < mb; i++) bufB[i] = b[Math.floor(random() * b.length)]!;
    out[r] = medianInPlace(bufB) / medianInPlace(bufA) - 1;
  }
  out.sort();
  const alpha = (1 - level) / 2;
  return [quantileSorted(out, alpha), quantileSorted(out, 1 - alpha)];
}

/**
 * Theil–Sen slope (median of pairwise slopes) and intercept (median of y − slope·x). Above
 * `maxPoints` points the pairs are taken on an even subsample, keeping it O(maxPoints²).
 */
export function theilSen(xs: ArrayLike<number>, ys: ArrayLike<number>, maxPoints = 80): { slope: number; intercept: number } {
  const n = xs.length;
  if (n < 2) return { slope: 0, intercept: n === 1 ? ys[0]! : NaN };
  const step = n > maxPoints ? n / maxPoints : 1;
  const pick: number[] = [];
  for (let k = 0; Math.floor(k * step) < n; k++) pick.push(Math.floor(k * step));
  const slopes = new Float64Array((pick.length * (pick.length - 1)) / 2);
  let ns = 0;
  for (let i = 0; i < pick.length; i++) {
    for (let j = i + 1; j < pick.length; j++) {
      const dx = xs[pick[j]!]! - xs[pick[i]!]!;
      if (dx !== 0) slopes[ns++] = (ys[pick[j]!]! - ys[pick[i]!]!) / dx;
    }
  }
  const slope = ns > 0 ? medianInPlace(slopes.subarray(0, ns)) : 0;
  const resid = new Float64Array(n);
  for (let i = 0; i < n; i++) resid[i] = ys[i]! - slope * xs[i]!;
  return { slope, intercept: medianInPlace(resid) };
}
