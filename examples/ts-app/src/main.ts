import { closestPair, type Point } from './geometry';

function randomPoints(count: number, seed: number): Point[] {
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  return Array.from({ length: count }, () => ({ x: next() * 1000, y: next() * 1000 }));
}

const points = randomPoints(4000, 42);
const started = Date.now();
let rounds = 0;
let closest = closestPair(points);
while (Date.now() - started < 1500) {
  closest = closestPair(points);
  rounds++;
}
console.log(`closest pair at distance ${closest[2].toFixed(4)} after ${rounds + 1} rounds`);
