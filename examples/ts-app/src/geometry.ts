export interface Point {
  x: number;
  y: number;
}

export function distance(a: Point, b: Point): number {
  const dx = a.x - b.x;
  const dy = a.y - b.y;
  return Math.sqrt(dx * dx + dy * dy);
}

/** The brute-force closest pair: O(n²), the hot spot of this example. */
export function closestPair(points: readonly Point[]): [Point, Point, number] {
  let best: [Point, Point, number] = [points[0]!, points[1]!, Infinity];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const d = distance(points[i]!, points[j]!);
      if (d < best[2]) best = [points[i]!, points[j]!, d];
    }
  }
  return best;
}
