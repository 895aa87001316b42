import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BenchImportError, importBenchOutput, type BenchFormat } from '../../../src/core/bench';

const FIX = path.resolve(__dirname, '..', '..', 'fixtures', 'bench');
const read = (rel: string): string => readFileSync(path.join(FIX, rel), 'utf8');
const load = (format: BenchFormat, rel: string) => importBenchOutput(format, read(rel), { fileName: rel, readSibling: (r) => { try { return readFileSync(path.join(FIX, path.dirname(rel), r), 'utf8'); } catch { return undefined; } } });
const byName = <T extends { name: string }>(list: T[], name: string): T => {
  const found = list.find((r) => r.name === name);
  if (!found) throw new Error(`no ${name} in ${list.map((r) => r.name).join(', ')}`);
  return found;
};

describe('importers on real tool output (test/fixtures/bench/<tool>/<version>)', () => {
  it('vitest 4.1.12 --outputJson: groups become suites, median in ms', () => {
    const r = load('vitest', 'vitest/4.1.12/bench.json');
    expect(r.map((x) => `${x.suite} › ${x.name}`).sort()).toEqual(['sort.bench.ts > sorting › Array.prototype.sort', 'sort.bench.ts > sorting › Float64Array sort', 'sort.bench.ts › join strings']);
    const join = byName(r, 'join strings');
    expect(join).toMatchObject({ unit: 'ms', better: 'lower', tool: 'vitest-bench@4' });
    expect(join.value).toBeCloseTo(0.0763795, 6);
    expect(join.stats?.n).toBe(2494);
  });

  it('vitest 5.1.1 JSON report: inline benchmarks with latency statistics', () => {
    const r = load('vitest', 'vitest/5.1.1/bench.json');
    expect(r).toHaveLength(3);
    const f64 = byName(r, 'Float64Array sort');
    expect(f64.suite).toBe('sorting > sort implementations');
    expect(f64.value).toBeCloseTo(0.0986325, 6);
    expect(f64.stats?.n).toBe(1922);
    expect(f64.tool).toBe('vitest-bench@5');
  });

  it('tinybench 6.2.4 tasks JSON keeps every latency sample', () => {
    const r = load('tinybench', 'tinybench/6.2.4/tasks.json');
    const sort = byName(r, 'Array.prototype.sort');
    expect(sort.samples).toHaveLength(371);
    expect(sort.value).toBeCloseTo(0.268128, 5);
    expect(sort.unit).toBe('ms');
  });

  it('mitata 1.0.34 JSON: ns, groups from the layout, samples', () => {
    const r = load('mitata', 'mitata/1.0.34/mitata.json');
    expect(r.map((x) => x.suite ?? '')).toEqual(['sorting', 'sorting', '']);
    const s = byName(r, 'Float64Array sort');
    expect(s.unit).toBe('ns');
    expect(s.samples!.length).toBeGreaterThan(50);
    expect(s.value).toBeGreaterThan(1e5);
  });

  it('benchmark.js 2.1.4 text lines: ops/s, higher is better', () => {
    const r = load('benchmarkjs', 'benchmarkjs/2.1.4/output.txt');
    expect(r.map((x) => x.name)).toEqual(['Array.prototype.sort', 'join strings', 'RegExp#test']);
    expect(byName(r, 'RegExp#test')).toMatchObject({ unit: 'ops/s', better: 'higher', value: 60016404 });
  });

  it('hyperfine 1.15.0 --export-json: seconds, times as samples', () => {
    const r = load('hyperfine', 'hyperfine/1.15.0/hyperfine.json');
    expect(r.map((x) => x.name)).toEqual(['sleep 20ms', 'sort 20k lines']);
    expect(r[0]!.samples).toHaveLength(10);
    expect(r[0]!.value).toBeGreaterThan(0.02);
    expect(r[0]!.unit).toBe('s');
  });

  it.each(['3.2.2', '5.2.3'])('pytest-benchmark %s JSON: rounds as samples', (version) => {
    const r = load('pytest-benchmark', `pytest-benchmark/${version}/benchmark.json`);
    const s = byName(r, 'test_sorting.py::test_sorted');
    expect(s.samples!.length).toBe(s.stats!.n);
    expect(s.unit).toBe('s');
    expect(s.tool).toBe(`pytest-benchmark@${version}`);
  });

  it('go 1.19.8 text and -json give the same series, -count repetitions as samples', () => {
    const text = load('go', 'go/1.19.8/bench.txt');
    const json = load('go', 'go/1.19.8/bench.json');
    const names = (l: typeof text) => l.map((x) => `${x.suite} › ${x.name}`).sort();
    expect(names(json)).toEqual(names(text));
    expect(names(text)).toContain('example.com/sorting › BenchmarkSizes/n=1000');
    const sort = byName(text, 'BenchmarkSortInts');
    expect(sort).toMatchObject({ unit: 'ns', value: 142636, samples: [142636, 174194, 137170, 155863, 140947] });
    expect(byName(text, 'BenchmarkSortInts (allocs/op)')).toMatchObject({ unit: 'count', value: 2 });
    expect(byName(json, 'BenchmarkSortInts').samples).toHaveLength(3);
  });

  it('Google Benchmark 1.7.1 JSON: repetitions as samples, aggregates as stats', () => {
    const r = load('google-benchmark', 'google-benchmark/1.7.1/benchmark.json');
    expect(r.map((x) => x.name)).toEqual(['BM_Sort/100', 'BM_Sort/2000', 'BM_Join']);
    expect(r[0]!.samples).toHaveLength(5);
    expect(r[0]!.value).toBeCloseTo(r[0]!.stats!.median!, 6);
    expect(byName(r, 'BM_Join').unit).toBe('us');
  });

  it('criterion estimates.json (schema-based fixture): named by benchmark.json, samples from sample.json', () => {
    const r = load('criterion', 'criterion/0.5/target/criterion/sorting/sort_unstable/new/estimates.json');
    expect(r).toEqual([expect.objectContaining({ suite: 'sorting', name: 'sort_unstable', unit: 'ns', value: 11932.8 })]);
    expect(r[0]!.samples).toHaveLength(20);
    const bare = importBenchOutput('criterion', read('criterion/0.5/target/criterion/sorting/sort_unstable/new/estimates.json'), { fileName: 'target/criterion/parse/big_file/new/estimates.json' });
    expect(bare[0]).toMatchObject({ suite: 'parse', name: 'big_file' });
  });

  it('custom lists: smaller- and bigger-is-better', () => {
    const text = JSON.stringify([{ name: 'bundle size', unit: 'B', value: 1024 }, { name: 'req/s', unit: 'ops/s', value: 900, range: '±3%' }]);
    expect(importBenchOutput('custom-smaller', text).map((r) => r.better)).toEqual(['lower', 'lower']);
    expect(importBenchOutput('custom-bigger', text)[1]).toMatchObject({ name: 'req/s', better: 'higher', value: 900 });
  });
});

describe('malformed tool output names the format and where it broke', () => {
  const fails = (format: BenchFormat, text: string, where: RegExp) => {
    let error: unknown;
    try { importBenchOutput(format, text, { fileName: 'out.json' }); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(BenchImportError);
    expect((error as Error).message).toMatch(new RegExp(`^${format} output out\\.json: `));
    expect((error as Error).message).toMatch(where);
  };
  it('truncated JSON → line and column', () => fails('hyperfine', read('hyperfine/1.15.0/hyperfine.json').slice(0, 300), /line \d+, column \d+|JSON/));
  it('wrong field type → JSON path', () => fails('hyperfine', JSON.stringify({ results: [{ command: 'x', mean: 'fast' }] }), /\$\.results\[0\]\.mean: expected a finite number/));
  it('vitest file of another tool', () => fails('vitest', JSON.stringify({ results: [] }), /\$: neither a vitest 4/));
  it('vitest 5 task without latency', () => fails('vitest', JSON.stringify({ testResults: [{ assertionResults: [{ benchmarks: [{ name: 'g', tasks: [{ name: 't' }] }] }] }] }), /tasks\[0\]\.latency: expected an object/));
  it('mitata sample that is not a number', () => fails('mitata', JSON.stringify({ benchmarks: [{ alias: 'a', runs: [{ name: 'a', stats: { avg: 1, samples: [1, 'x'] } }] }] }), /samples\[1\]/));
  it('benchmark.js line that does not parse', () => fails('benchmarkjs', 'a x 12 ops/sec ±1.0% (3 runs sampled)\nb x lots ops/sec ±?% (runs)\n', /line 2/));
  it('go line with a missing unit', () => fails('go', 'pkg: x\nBenchmarkA-2 \t 100\t 12.5 ns/op\t 16\n', /line 2/));
  it('go -json event that is not JSON', () => fails('go', '{"Action":"output","Output":"x\\n"}\n{"Action":\n', /line 2/));
  it('Google Benchmark unknown time unit', () => fails('google-benchmark', JSON.stringify({ benchmarks: [{ name: 'a', real_time: 1, time_unit: 'fortnight' }] }), /time_unit/));
  it('custom entry without a value', () => fails('custom-smaller', JSON.stringify([{ name: 'a', unit: 'ms' }]), /\$\[0\]\.value/));
  it('empty output', () => fails('tinybench', '  \n', /empty/));
  it('pytest-benchmark without benchmarks', () => fails('pytest-benchmark', '{"version":"5.2.3"}', /\$\.benchmarks: expected an array/));
});
