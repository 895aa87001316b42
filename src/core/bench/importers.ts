/**
 * Importers of benchmark tool outputs into BenchResult lists. Each keeps the raw samples where the
 * tool gives them; malformed output throws a BenchImportError naming the format and the place
 * where it broke (a JSON path or a line number).
 */
import { median } from './stats';
import type { BenchResult, RecordStats } from './types';

export const BENCH_FORMATS = [
  'vitest', 'tinybench', 'mitata', 'benchmarkjs', 'hyperfine', 'pytest-benchmark', 'go',
  'google-benchmark', 'criterion', 'custom-smaller', 'custom-bigger',
] as const;
export type BenchFormat = (typeof BENCH_FORMATS)[number];

export function isBenchFormat(x: string): x is BenchFormat {
  return (BENCH_FORMATS as readonly string[]).includes(x);
}

export class BenchImportError extends Error {
  constructor(readonly format: BenchFormat, readonly where: string, problem: string, readonly file?: string) {
    super(`${format}${file ? ` output ${file}` : ' output'}: ${where}: ${problem}`);
    this.name = 'BenchImportError';
  }
}

export interface ImportOptions {
  /** File name, for messages (and criterion's benchmark name when no benchmark.json is beside it). */
  fileName?: string;
  /** Reads a file next to the imported one (criterion's benchmark.json and sample.json). */
  readSibling?: (relativePath: string) => string | undefined;
}

type Json = unknown;

class Reader {
  constructor(readonly format: BenchFormat, readonly file?: string) {}
  fail(where: string, problem: string): never {
    throw new BenchImportError(this.format, where, problem, this.file);
  }
  parse(text: string): Json {
    try {
      return JSON.parse(text);
    } catch (err) {
      const m = /position (\d+)/.exec((err as Error).message);
      if (m) {
        const pos = Number(m[1]);
        const before = text.slice(0, pos);
        const line = before.split('\n').length;
        return this.fail(`line ${line}, column ${pos - before.lastIndexOf('\n')}`, `not valid JSON (${(err as Error).message})`);
      }
      return this.fail('JSON', `not valid JSON (${(err as Error).message})`);
    }
  }
  object(x: Json, where: string): Record<string, Json> {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) this.fail(where, 'expected an object');
    return x as Record<string, Json>;
  }
  array(x: Json, where: string): Json[] {
    if (!Array.isArray(x)) this.fail(where, 'expected an array');
    return x;
  }
  string(x: Json, where: string): string {
    if (typeof x !== 'string') this.fail(where, 'expected a string');
    return x;
  }
  number(x: Json, where: string): number {
    if (typeof x !== 'number' || !Number.isFinite(x)) this.fail(where, 'expected a finite number');
    return x;
  }
  optNumber(x: Json, where: string): number | undefined {
    return x === undefined || x === null ? undefined : this.number(x, where);
  }
  samples(x: Json, where: string, scale = 1): number[] | undefined {
    if (x === undefined || x === null) return undefined;
    const arr = this.array(x, where);
    return arr.length === 0 ? undefined : arr.map((v, i) => this.number(v, `${where}[${i}]`) * scale);
  }
}

function cleanStats(stats: RecordStats): RecordStats | undefined {
  const out: RecordStats = {};
  for (const [k, v] of Object.entries(stats) as [keyof RecordStats, number | undefined][]) if (v !== undefined && Number.isFinite(v)) out[k] = v;
  return Object.keys(out).length > 0 ? out : undefined;
}

function result(r: BenchResult): BenchResult {
  const out: BenchResult = { name: r.name, unit: r.unit, better: r.better, value: r.value };
  if (r.suite !== undefined) out.suite = r.suite;
  if (r.samples && r.samples.length > 0) out.samples = r.samples;
  const stats = r.stats ? cleanStats(r.stats) : undefined;
  if (stats) out.stats = stats;
  if (r.tool) out.tool = r.tool;
  return out;
}

/** vitest bench: the 4.x `--outputJson` file, or the 5.x JSON reporter output with inline benchmarks. */
function importVitest(rd: Reader, data: Json): BenchResult[] {
  const root = rd.object(data, '$');
  const out: BenchResult[] = [];
  if (Array.isArray(root.files)) {
    root.files.forEach((f, fi) => {
      const file = rd.object(f, `$.files[${fi}]`);
      rd.array(file.groups, `$.files[${fi}].groups`).forEach((g, gi) => {
        const where = `$.files[${fi}].groups[${gi}]`;
        const group = rd.object(g, where);
        const suite = rd.string(group.fullName, `${where}.fullName`);
        rd.array(group.benchmarks, `${where}.benchmarks`).forEach((b, bi) => {
          const w = `${where}.benchmarks[${bi}]`;
          const bench = rd.object(b, w);
          const samples = rd.samples(bench.samples, `${w}.samples`);
          const med = rd.optNumber(bench.median, `${w}.median`);
          const mean = rd.number(bench.mean, `${w}.mean`);
          out.push(result({
            suite, name: rd.string(bench.name, `${w}.name`), unit: 'ms', better: 'lower',
            value: med ?? (samples ? median(samples) : mean), samples,
            stats: { mean, median: med, stddev: rd.optNumber(bench.sd, `${w}.sd`), min: rd.optNumber(bench.min, `${w}.min`), max: rd.optNumber(bench.max, `${w}.max`), p75: rd.optNumber(bench.p75, `${w}.p75`), p99: rd.optNumber(bench.p99, `${w}.p99`), n: rd.optNumber(bench.sampleCount, `${w}.sampleCount`) },
            tool: 'vitest-bench@4',
          }));
        });
      });
    });
    return out;
  }
  if (Array.isArray(root.testResults)) {
    root.testResults.forEach((t, ti) => {
      const tr = rd.object(t, `$.testResults[${ti}]`);
      rd.array(tr.assertionResults, `$.testResults[${ti}].assertionResults`).forEach((a, ai) => {
        const where = `$.testResults[${ti}].assertionResults[${ai}]`;
        const assertion = rd.object(a, where);
        if (assertion.benchmarks === undefined) return;
        rd.array(assertion.benchmarks, `${where}.benchmarks`).forEach((b, bi) => {
          const bw = `${where}.benchmarks[${bi}]`;
          const bench = rd.object(b, bw);
          const suite = rd.string(bench.name, `${bw}.name`);
          rd.array(bench.tasks, `${bw}.tasks`).forEach((k, ki) => {
            const w = `${bw}.tasks[${ki}]`;
            const task = rd.object(k, w);
            const lat = rd.object(task.latency, `${w}.latency`);
            out.push(latencyResult(rd, suite, rd.string(task.name, `${w}.name`), lat, `${w}.latency`, 'vitest-bench@5'));
          });
        });
      });
    });
    return out;
  }
  return rd.fail('$', 'neither a vitest 4 --outputJson file ("files") nor a vitest 5 JSON report ("testResults")');
}

/** A tinybench-style latency statistics object (ms). */
function latencyResult(rd: Reader, suite: string | undefined, name: string, lat: Record<string, Json>, w: string, tool: string): BenchResult {
  const samples = rd.samples(lat.samples, `${w}.samples`);
  const p50 = rd.optNumber(lat.p50, `${w}.p50`) ?? rd.optNumber(lat.median, `${w}.median`);
  const mean = rd.number(lat.mean, `${w}.mean`);
  return result({
    suite, name, unit: 'ms', better: 'lower', value: samples ? median(samples) : (p50 ?? mean), samples,
    stats: { mean, median: p50, stddev: rd.optNumber(lat.sd, `${w}.sd`), min: rd.optNumber(lat.min, `${w}.min`), max: rd.optNumber(lat.max, `${w}.max`), p75: rd.optNumber(lat.p75, `${w}.p75`), p99: rd.optNumber(lat.p99, `${w}.p99`), n: rd.optNumber(lat.samplesCount, `${w}.samplesCount`) ?? samples?.length },
    tool,
  });
}

/** tinybench: `bench.tasks.map((t) => ({ name: t.name, result: t.result }))` (v3+ latency object, or v2 flat result). */
function importTinybench(rd: Reader, data: Json): BenchResult[] {
  return rd.array(data, '$').flatMap((t, i) => {
    const w = `$[${i}]`;
    const task = rd.object(t, w);
    const name = rd.string(task.name, `${w}.name`);
    const res = rd.object(task.result, `${w}.result`);
    if (res.state !== undefined && res.state !== 'completed') return [];
    if (res.latency !== undefined) return [latencyResult(rd, undefined, name, rd.object(res.latency, `${w}.result.latency`), `${w}.result.latency`, 'tinybench')];
    return [latencyResult(rd, undefined, name, res, `${w}.result`, 'tinybench')];
  });
}

/** mitata `run({ format: 'json' })`: times in ns, samples kept. */
function importMitata(rd: Reader, data: Json): BenchResult[] {
  const root = rd.object(data, '$');
  const layout = Array.isArray(root.layout) ? root.layout : [];
  const out: BenchResult[] = [];
  rd.array(root.benchmarks, '$.benchmarks').forEach((b, bi) => {
    const w = `$.benchmarks[${bi}]`;
    const bench = rd.object(b, w);
    const group = typeof bench.group === 'number' ? (layout[bench.group] as { name?: unknown } | undefined)?.name : undefined;
    rd.array(bench.runs, `${w}.runs`).forEach((r, ri) => {
      const rw = `${w}.runs[${ri}]`;
      const run = rd.object(r, rw);
      if (run.error !== undefined) return;
      const stats = rd.object(run.stats, `${rw}.stats`);
      const samples = rd.samples(stats.samples, `${rw}.stats.samples`);
      const p50 = rd.optNumber(stats.p50, `${rw}.stats.p50`);
      out.push(result({
        suite: typeof group === 'string' ? group : undefined,
        name: typeof run.name === 'string' ? run.name : rd.string(bench.alias, `${w}.alias`),
        unit: 'ns', better: 'lower', value: samples ? median(samples) : (p50 ?? rd.number(stats.avg, `${rw}.stats.avg`)), samples,
        stats: { mean: rd.optNumber(stats.avg, `${rw}.stats.avg`), median: p50, min: rd.optNumber(stats.min, `${rw}.stats.min`), max: rd.optNumber(stats.max, `${rw}.stats.max`), p75: rd.optNumber(stats.p75, `${rw}.stats.p75`), p99: rd.optNumber(stats.p99, `${rw}.stats.p99`), n: samples?.length },
        tool: 'mitata',
      }));
    });
  });
  return out;
}

/** benchmark.js: the `String(benchmark)` lines, "name x 1,234 ops/sec ±0.50% (90 runs sampled)". */
function importBenchmarkJs(rd: Reader, text: string): BenchResult[] {
  const out: BenchResult[] = [];
  const re = /^(.*?) x ([\d,]+(?:\.\d+)?) ops\/sec (?:±|\+-|\\xb1)\s*([\d.]+)% \((\d+) runs? sampled\)\s*$/;
  text.split(/\r?\n/).forEach((line, i) => {
    if (!/ ops\/sec /.test(line)) return;
    const m = re.exec(line.trim());
    if (!m) rd.fail(`line ${i + 1}`, `not a benchmark.js result line: ${JSON.stringify(line.slice(0, 120))}`);
    const hz = Number(m[2]!.replace(/,/g, ''));
    out.push(result({ name: m[1]!, unit: 'ops/s', better: 'higher', value: hz, stats: { n: Number(m[4]) }, tool: 'benchmark.js' }));
  });
  if (out.length === 0) rd.fail('line 1', 'no "<name> x <n> ops/sec ±<r>% (<n> runs sampled)" line found');
  return out;
}

/** hyperfine `--export-json`: seconds, every run's time kept. */
function importHyperfine(rd: Reader, data: Json): BenchResult[] {
  const root = rd.object(data, '$');
  return rd.array(root.results, '$.results').map((r, i) => {
    const w = `$.results[${i}]`;
    const res = rd.object(r, w);
    const samples = rd.samples(res.times, `${w}.times`);
    const med = rd.optNumber(res.median, `${w}.median`);
    return result({
      name: rd.string(res.command, `${w}.command`), unit: 's', better: 'lower',
      value: samples ? median(samples) : (med ?? rd.number(res.mean, `${w}.mean`)), samples,
      stats: { mean: rd.optNumber(res.mean, `${w}.mean`), median: med, stddev: rd.optNumber(res.stddev, `${w}.stddev`), min: rd.optNumber(res.min, `${w}.min`), max: rd.optNumber(res.max, `${w}.max`), n: samples?.length },
      tool: 'hyperfine',
    });
  });
}

/** pytest-benchmark `--benchmark-json`: seconds; stats.data holds the rounds when saved. */
function importPytestBenchmark(rd: Reader, data: Json): BenchResult[] {
  const root = rd.object(data, '$');
  const version = typeof root.version === 'string' ? `@${root.version}` : '';
  return rd.array(root.benchmarks, '$.benchmarks').map((b, i) => {
    const w = `$.benchmarks[${i}]`;
    const bench = rd.object(b, w);
    const stats = rd.object(bench.stats, `${w}.stats`);
    const samples = rd.samples(stats.data, `${w}.stats.data`);
    const med = rd.optNumber(stats.median, `${w}.stats.median`);
    return result({
      suite: typeof bench.group === 'string' ? bench.group : undefined,
      name: typeof bench.fullname === 'string' ? bench.fullname : rd.string(bench.name, `${w}.name`),
      unit: 's', better: 'lower', value: samples ? median(samples) : (med ?? rd.number(stats.mean, `${w}.stats.mean`)), samples,
      stats: { mean: rd.optNumber(stats.mean, `${w}.stats.mean`), median: med, stddev: rd.optNumber(stats.stddev, `${w}.stats.stddev`), min: rd.optNumber(stats.min, `${w}.stats.min`), max: rd.optNumber(stats.max, `${w}.stats.max`), p75: rd.optNumber(stats.q3, `${w}.stats.q3`), n: rd.optNumber(stats.rounds, `${w}.stats.rounds`) },
      tool: `pytest-benchmark${version}`,
    });
  });
}

/** `go test -bench` text (or the text re-assembled from `-json`): one series per benchmark and metric. */
function importGoText(rd: Reader, text: string, lineOf: (i: number) => string): BenchResult[] {
  const byKey = new Map<string, { pkg: string | undefined; name: string; unit: string; values: number[] }>();
  let pkg: string | undefined;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const p = /^pkg: (\S+)/.exec(line);
    if (p) { pkg = p[1]; return; }
    if (!/^Benchmark\S*\s+\d+\s/.test(line)) return;
    const fields = line.trim().split(/\s+/);
    const name = fields[0]!.replace(/-\d+$/, '');
    if ((fields.length - 2) % 2 !== 0 || fields.length < 4) rd.fail(lineOf(i), `a benchmark line needs "<iterations> <value> <unit>…": ${JSON.stringify(line.slice(0, 120))}`);
    for (let f = 2; f + 1 < fields.length; f += 2) {
      const value = Number(fields[f]);
      const unit = fields[f + 1]!;
      if (!Number.isFinite(value)) rd.fail(lineOf(i), `${JSON.stringify(fields[f])} is not a number`);
      const key = JSON.stringify([pkg, name, unit]);
      let entry = byKey.get(key);
      if (!entry) byKey.set(key, (entry = { pkg, name, unit, values: [] }));
      entry.values.push(value);
    }
  });
  if (byKey.size === 0) rd.fail('line 1', 'no "Benchmark… <iterations> <value> ns/op" line found');
  return [...byKey.values()].map((e) => {
    const metric = e.unit === 'ns/op' ? '' : ` (${e.unit})`;
    const unit = e.unit === 'ns/op' ? 'ns' : e.unit === 'B/op' ? 'B' : e.unit === 'allocs/op' ? 'count' : e.unit === 'MB/s' ? 'MB/s' : e.unit;
    return result({
      suite: e.pkg, name: `${e.name}${metric}`, unit, better: e.unit === 'MB/s' ? 'higher' : 'lower', value: median(e.values),
      samples: e.values.length > 1 ? e.values : undefined,
      stats: e.values.length > 1 ? { mean: e.values.reduce((a, b) => a + b, 0) / e.values.length, min: Math.min(...e.values), max: Math.max(...e.values), n: e.values.length } : undefined,
      tool: 'go-test',
    });
  });
}

function importGo(rd: Reader, text: string): BenchResult[] {
  const first = text.trimStart();
  if (!first.startsWith('{')) return importGoText(rd, text, (i) => `line ${i + 1}`);
  // test2json: concatenate the "output" events per package (a result line may be split in two).
  const perPackage = new Map<string, { text: string; lineNos: number[] }>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let ev: Json;
    try { ev = JSON.parse(line); } catch { rd.fail(`line ${i + 1}`, 'not a JSON event (go test -json prints one per line)'); }
    const e = rd.object(ev, `line ${i + 1}`);
    if (e.Action !== 'output' || typeof e.Output !== 'string') return;
    const pkgName = typeof e.Package === 'string' ? e.Package : '';
    let p = perPackage.get(pkgName);
    if (!p) perPackage.set(pkgName, (p = { text: '', lineNos: [] }));
    p.text += e.Output;
    const added = (e.Output.match(/\n/g) ?? []).length;
    for (let k = 0; k < added; k++) p.lineNos.push(i + 1);
  });
  const all: BenchResult[] = [];
  for (const [, p] of perPackage) {
    if (!/^Benchmark\S*\s+\d+\s/m.test(p.text)) continue;
    all.push(...importGoText(rd, p.text, (k) => `line ${p.lineNos[k] ?? '?'}`));
  }
  if (all.length === 0) rd.fail('line 1', 'no benchmark results in the go test -json events');
  return all;
}

const TIME_UNITS: Record<string, string> = { ns: 'ns', us: 'us', ms: 'ms', s: 's' };

/** Google Benchmark `--benchmark_format=json`: real time; repetitions are the samples. */
function importGoogleBenchmark(rd: Reader, data: Json): BenchResult[] {
  const root = rd.object(data, '$');
  const groups = new Map<string, { unit: string; values: number[]; median?: number; mean?: number; stddev?: number; bigger: boolean }>();
  rd.array(root.benchmarks, '$.benchmarks').forEach((b, i) => {
    const w = `$.benchmarks[${i}]`;
    const bench = rd.object(b, w);
    if (bench.error_occurred === true) return;
    const name = typeof bench.run_name === 'string' ? bench.run_name : rd.string(bench.name, `${w}.name`);
    const unitName = bench.time_unit === undefined ? 'ns' : rd.string(bench.time_unit, `${w}.time_unit`);
    const unit = TIME_UNITS[unitName] ?? rd.fail(`${w}.time_unit`, `unknown time unit ${JSON.stringify(unitName)}`);
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { unit, values: [], bigger: false }));
    const value = rd.number(bench.real_time, `${w}.real_time`);
    if (bench.run_type === 'aggregate') {
      if (bench.aggregate_name === 'median') g.median = value;
      else if (bench.aggregate_name === 'mean') g.mean = value;
      else if (bench.aggregate_name === 'stddev') g.stddev = value;
    } else {
      g.values.push(value);
    }
  });
  return [...groups.entries()].map(([name, g]) => result({
    name, unit: g.unit, better: 'lower', value: g.values.length > 0 ? median(g.values) : (g.median ?? g.mean ?? NaN),
    samples: g.values.length > 1 ? g.values : undefined,
    stats: { median: g.median, mean: g.mean, stddev: g.stddev, n: g.values.length || undefined },
    tool: 'google-benchmark',
  })).filter((r) => Number.isFinite(r.value));
}

/** criterion `estimates.json` (ns), named by its benchmark.json or its path; sample.json gives samples. */
function importCriterion(rd: Reader, data: Json, options: ImportOptions): BenchResult[] {
  const root = rd.object(data, '$');
  const point = (key: string): number | undefined => {
    if (root[key] === undefined || root[key] === null) return undefined;
    return rd.number(rd.object(root[key], `$.${key}`).point_estimate, `$.${key}.point_estimate`);
  };
  const med = point('median');
  const mean = point('mean');
  if (med === undefined && mean === undefined) rd.fail('$', 'neither "median" nor "mean" estimate');
  let name: string | undefined;
  let suite: string | undefined;
  const meta = options.readSibling?.('benchmark.json');
  if (meta) {
    try {
      const m = JSON.parse(meta) as { group_id?: unknown; function_id?: unknown; value_str?: unknown; full_id?: unknown };
      if (typeof m.group_id === 'string') suite = m.group_id;
      const parts = [m.function_id, m.value_str].filter((x): x is string => typeof x === 'string');
      name = parts.length > 0 ? parts.join('/') : typeof m.full_id === 'string' ? m.full_id : undefined;
    } catch { /* the name falls back to the path */ }
  }
  if (!name && options.fileName) {
    // target/criterion/<group>/<function>/new/estimates.json
    const parts = options.fileName.split(/[\\/]/).filter(Boolean);
    const dirs = parts.slice(0, -1).filter((p) => p !== 'new' && p !== 'base' && p !== 'change');
    const idx = dirs.lastIndexOf('criterion');
    const tail = idx >= 0 ? dirs.slice(idx + 1) : dirs.slice(-2);
    if (tail.length > 0) { name = tail[tail.length - 1]; if (tail.length > 1) suite = tail.slice(0, -1).join('/'); }
  }
  let samples: number[] | undefined;
  const sampleText = options.readSibling?.('sample.json');
  if (sampleText) {
    try {
      const s = JSON.parse(sampleText) as { iters?: unknown; times?: unknown };
      if (Array.isArray(s.iters) && Array.isArray(s.times) && s.iters.length === s.times.length) {
        samples = s.times.map((t, i) => Number(t) / Number((s.iters as unknown[])[i])).filter((v) => Number.isFinite(v));
      }
    } catch { /* no samples */ }
  }
  return [result({
    suite, name: name ?? 'criterion', unit: 'ns', better: 'lower', value: (med ?? mean)!, samples,
    stats: { median: med, mean, stddev: point('std_dev'), n: samples?.length },
    tool: 'criterion',
  })];
}

/** github-action-benchmark's custom lists: `[{ "name", "unit", "value", "range"?, "extra"? }]`. */
function importCustom(rd: Reader, data: Json, better: 'lower' | 'higher'): BenchResult[] {
  return rd.array(data, '$').map((e, i) => {
    const w = `$[${i}]`;
    const entry = rd.object(e, w);
    const samples = rd.samples(entry.samples, `${w}.samples`);
    return result({
      suite: typeof entry.suite === 'string' ? entry.suite : undefined,
      name: rd.string(entry.name, `${w}.name`), unit: rd.string(entry.unit, `${w}.unit`), better,
      value: rd.number(entry.value, `${w}.value`), samples, tool: 'custom',
    });
  });
}

/** Reads one tool output. Throws BenchImportError on malformed input. */
export function importBenchOutput(format: BenchFormat, text: string, options: ImportOptions = {}): BenchResult[] {
  const rd = new Reader(format, options.fileName);
  if (text.trim() === '') rd.fail('line 1', 'the output is empty');
  let results: BenchResult[];
  switch (format) {
    case 'vitest': results = importVitest(rd, rd.parse(text)); break;
    case 'tinybench': results = importTinybench(rd, rd.parse(text)); break;
    case 'mitata': results = importMitata(rd, rd.parse(text)); break;
    case 'benchmarkjs': results = importBenchmarkJs(rd, text); break;
    case 'hyperfine': results = importHyperfine(rd, rd.parse(text)); break;
    case 'pytest-benchmark': results = importPytestBenchmark(rd, rd.parse(text)); break;
    case 'go': results = importGo(rd, text); break;
    case 'google-benchmark': results = importGoogleBenchmark(rd, rd.parse(text)); break;
    case 'criterion': results = importCriterion(rd, rd.parse(text), options); break;
    case 'custom-smaller': results = importCustom(rd, rd.parse(text), 'lower'); break;
    case 'custom-bigger': results = importCustom(rd, rd.parse(text), 'higher'); break;
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
  if (results.length === 0) rd.fail('$', 'no benchmark results in the output');
  return results;
}
