// A CPU-bound program that times its own work (not node's start-up or the profile writing) and
// prints {"ms": …, "cpuMs": …}. Mixes recursion, sorting, string building and short-lived objects.
'use strict';
const { performance } = require('node:perf_hooks');

function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

function sortNumbers(count, seed) {
  let x = seed + 1;
  const values = new Array(count);
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    values[i] = x;
  }
  values.sort((a, b) => a - b);
  return values[count >> 1] % 7;
}

function buildStrings(count) {
  const parts = [];
  for (let i = 0; i < count; i++) parts.push(`key${i}:${(i * 7) % 13}`);
  return parts.join(',').length % 11;
}

function churnObjects(count) {
  const byKey = new Map();
  for (let i = 0; i < count; i++) byKey.set(`k${i % 1000}`, { index: i, doubled: i * 2, tags: [i & 1, i & 2] });
  return byKey.size;
}

const rounds = Number(process.argv[2] || 12);
const start = performance.now();
const cpuStart = process.cpuUsage();
let sink = 0;
for (let round = 0; round < rounds; round++) {
  sink += fib(25);
  sink += sortNumbers(60000, round);
  sink += buildStrings(60000);
  sink += churnObjects(120000);
}
const ms = performance.now() - start;
// CPU time of the whole process (profiler threads included) over the same span: less sensitive
// than wall time to other load on the machine.
const cpu = process.cpuUsage(cpuStart);
const cpuMs = (cpu.user + cpu.system) / 1000;
process.stdout.write(`${JSON.stringify({ ms, cpuMs, sink: sink % 1000 })}\n`);
