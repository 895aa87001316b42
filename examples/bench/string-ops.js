// A tiny benchmark for PerfLens: times two ways of building a string and prints the custom
// JSON format ([{ "name", "unit", "value", "samples" }], smaller is better).
// Run it through PerfLens: Run benchmarks (configured in ../.perflens/config.json).
'use strict';

function timeIt(fn, rounds = 7) {
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { value: samples[Math.floor(samples.length / 2)], samples };
}

const N = 20000;
const concat = timeIt(() => { let s = ''; for (let i = 0; i < N; i++) s += `item ${i},`; return s.length; });
const join = timeIt(() => { const parts = []; for (let i = 0; i < N; i++) parts.push(`item ${i}`); return parts.join(',').length; });

process.stdout.write(`${JSON.stringify([
  { name: 'concatenate 20k strings', unit: 'ms', ...concat },
  { name: 'join 20k strings', unit: 'ms', ...join },
])}\n`);
