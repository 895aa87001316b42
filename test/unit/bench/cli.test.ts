import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, repoRoot, runCli } from '../integration/cliHarness';

const FIX = path.join(repoRoot, 'test', 'fixtures', 'bench');
const tmp = (): string => mkdtempSync(path.join(os.tmpdir(), 'perflens-bench-cli-'));

function writeHistory(file: string, seriesValues: Record<string, number[]>): void {
  const lines: string[] = [];
  const n = Math.max(...Object.values(seriesValues).map((v) => v.length));
  for (let i = 0; i < n; i++) {
    for (const [name, values] of Object.entries(seriesValues)) {
      if (i >= values.length) continue;
      lines.push(JSON.stringify({ v: 1, run: `r${i}`, ts: new Date(Date.UTC(2026, 10, 1) + i * 3_600_000).toISOString(), commit: null, branch: 'main', dirty: false, machine: { id: 'm1', os: 'linux', arch: 'x64', cpu: 'c', cores: 2, memGB: 8, runtime: 'node 20' }, suite: 'cli', name, unit: 'ms', better: 'lower', value: values[i] }));
    }
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${lines.join('\n')}\n`);
}

// Deterministic ±1% wobble.
const flat = (n: number, base: number): number[] => Array.from({ length: n }, (_, i) => base * (1 + 0.01 * Math.sin(i * 2.3)));

describe('perflens bench (built CLI)', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('import appends one run per call to .perflens/history.jsonl with git and machine metadata', async () => {
    const dir = tmp();
    const a = await runCli(['bench', 'import', '--format', 'hyperfine', path.join(FIX, 'hyperfine/1.15.0/hyperfine.json'), '--suite', 'shell'], { cwd: dir });
    expect(a.code, a.stderr).toBe(0);
    const b = await runCli(['bench', 'import', '--format', 'go', path.join(FIX, 'go/1.19.8/bench.json')], { cwd: dir });
    expect(b.code, b.stderr).toBe(0);
    const lines = readFileSync(path.join(dir, '.perflens', 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2 + 6);
    expect(lines[0]).toMatchObject({ v: 1, suite: 'shell', name: 'sleep 20ms', unit: 's', commit: null, branch: null, dirty: false });
    expect(new Set(lines.map((l) => l.run)).size).toBe(2);
    expect((lines[0]!.machine as { id: string }).id).toMatch(/^[0-9a-f]{12}$/);
  });

  it('import of malformed output exits 2 naming the format and the place', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'bad.json'), '{"results":[{"command":"x","mean":"slow"}]}');
    const r = await runCli(['bench', 'import', '--format', 'hyperfine', 'bad.json'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/hyperfine output bad\.json: \$\.results\[0\]\.mean: expected a finite number/);
    const u = await runCli(['bench', 'import', '--format', 'jmh', 'bad.json'], { cwd: dir });
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/unknown format "jmh"/);
  });

  it('check --json: the documented shape; exit 1 on a regression in the latest run', async () => {
    const dir = tmp();
    const hist = path.join(dir, 'h.jsonl');
    writeHistory(hist, { steady: flat(30, 10), slower: [...flat(29, 10), 14], stepped: flat(40, 10).map((v, i) => (i >= 20 ? v * 0.5 : v)) });
    const r = await runCli(['bench', 'check', '--history', hist, '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout) as { series: Record<string, unknown>[] };
    const by = Object.fromEntries(out.series.map((s) => [s.name, s]));
    expect(Object.keys(by).sort()).toEqual(['slower', 'steady', 'stepped']);
    for (const s of out.series) {
      for (const key of ['suite', 'name', 'machine', 'unit', 'status', 'changePoints', 'latest', 'baseline', 'deltaPercent', 'pValue', 'budget']) expect(s).toHaveProperty(key);
    }
    expect(by.steady).toMatchObject({ status: 'ok', changePoints: [], machine: 'm1', unit: 'ms' });
    expect(by.slower).toMatchObject({ status: 'regressed', latest: 14 });
    expect(by.slower!.deltaPercent as number).toBeGreaterThan(35);
    expect(by.stepped).toMatchObject({ status: 'ok', changePoints: [20] });
  });

  it('check exits 0 without regressions, 1 on a budget violation, and prints Markdown', async () => {
    const dir = tmp();
    const hist = path.join(dir, '.perflens', 'history.jsonl');
    writeHistory(hist, { parse: flat(20, 10), render: flat(20, 50) });
    const ok = await runCli(['bench', 'check', '--format', 'markdown'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^## PerfLens benchmark check/);
    expect(ok.stdout).toMatch(/\| ok \| cli › render/);
    writeFileSync(path.join(dir, '.perflens', 'budgets.json'), JSON.stringify({ budgets: [{ match: 'cli/render', max: 40 }] }));
    const over = await runCli(['bench', 'check', '--json'], { cwd: dir });
    expect(over.code).toBe(1);
    const render = (JSON.parse(over.stdout) as { series: { name: string; budget: { violated: boolean } | null }[] }).series.find((s) => s.name === 'render')!;
    expect(render.budget!.violated).toBe(true);
  });

  it('check on unusable input exits 2; corrupt lines and newer versions are reported, not fatal', async () => {
    const dir = tmp();
    expect((await runCli(['bench', 'check', '--history', 'missing.jsonl'], { cwd: dir })).code).toBe(2);
    writeFileSync(path.join(dir, 'junk.jsonl'), 'garbage\n{"v":1}\n');
    const junk = await runCli(['bench', 'check', '--history', 'junk.jsonl'], { cwd: dir });
    expect(junk.code).toBe(2);
    expect(junk.stderr).toMatch(/junk\.jsonl:1: not valid JSON/);
    const hist = path.join(dir, 'h.jsonl');
    writeHistory(hist, { a: flat(10, 5) });
    writeFileSync(hist, `${readFileSync(hist, 'utf8')}{"v":2,"run":"future"}\n{"v":1,"run":"tr`);
    const mixed = await runCli(['bench', 'check', '--history', hist, '--json'], { cwd: dir });
    expect(mixed.code).toBe(0);
    expect(mixed.stderr).toMatch(/h\.jsonl:12: truncated last line/);
    expect(mixed.stderr).toMatch(/written by a newer PerfLens \(history format v2/);
    writeFileSync(path.join(dir, 'budgets.json'), '{ nope');
    expect((await runCli(['bench', 'check', '--history', hist, '--budgets', 'budgets.json'], { cwd: dir })).code).toBe(2);
  });

  it('run: configured benchmarks (no shell), repeat, one appended run per call', async () => {
    const dir = tmp();
    mkdirSync(path.join(dir, '.perflens'));
    const script = path.join(dir, 'emit.js');
    writeFileSync(script, 'process.stdout.write(JSON.stringify([{ name: "answer", unit: "ms", value: 40 + Math.random() }, { name: process.argv[2], unit: "B", value: 7 }]))');
    writeFileSync(path.join(dir, '.perflens', 'config.json'), JSON.stringify({ benchmarks: [
      { name: 'emit', command: [process.execPath, script, 'a $HOME; b'], format: 'custom-smaller', repeat: 3 },
      { name: 'go', command: `"${process.execPath}" -e "process.stdout.write(require('fs').readFileSync(process.argv[1], 'utf8'))" "${path.join(FIX, 'go/1.19.8/bench.txt')}"`, format: 'go' },
    ] }));
    const r = await runCli(['bench', 'run'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const lines = readFileSync(path.join(dir, '.perflens', 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { run: string; suite: string; name: string; samples?: number[] });
    expect(new Set(lines.map((l) => l.run)).size).toBe(1);
    expect(lines.find((l) => l.name === 'answer')).toMatchObject({ suite: 'emit' });
    expect(lines.find((l) => l.name === 'answer')!.samples).toHaveLength(3);
    // The argument reached the program as one word: no shell expanded it.
    expect(lines.some((l) => l.name === 'a $HOME; b')).toBe(true);
    expect(lines.find((l) => l.name === 'BenchmarkJoin')).toMatchObject({ suite: 'go/example.com/sorting' });
    writeFileSync(path.join(dir, '.perflens', 'config.json'), JSON.stringify({ benchmarks: [{ name: 'x', command: [process.execPath, '-e', 'process.exit(3)'], format: 'go' }] }));
    const failed = await runCli(['bench', 'run'], { cwd: dir });
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/exited with 3/);
  });
});
