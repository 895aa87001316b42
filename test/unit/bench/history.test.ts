import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { appendRecords, currentMachine, gitInfo, machineFromFacts, parseHistory, readHistory, toRecords, type HistoryRecord } from '../../../src/core/bench';

const machine = machineFromFacts({ os: 'linux 6.1', arch: 'x64', cpu: 'Xeon', cores: 2, memGB: 24, runtime: 'node 20.20.2' });
const git = { commit: 'a'.repeat(40), branch: 'main', dirty: false };

function recs(run: string, names: string[], value = 1): HistoryRecord[] {
  return toRecords(names.map((name) => ({ name, unit: 'ms', better: 'lower' as const, value, samples: [value, value * 1.1] })), { run, ts: '2026-11-24T10:00:00.000Z', git, machine }, 'suite');
}

const tmp = (): string => mkdtempSync(path.join(os.tmpdir(), 'perflens-hist-'));

describe('history format v1: reader', () => {
  it('reads what the writer wrote, keeping unknown fields', async () => {
    const file = path.join(tmp(), '.perflens', 'history.jsonl');
    await appendRecords(file, recs('r1', ['a', 'b']));
    const text = readFileSync(file, 'utf8').replace('"tool"', '"future":{"x":1},"tool"').replace('"value":1,', '"value":1,"future":{"x":1},');
    writeFileSync(file, text);
    const h = await readHistory(file);
    expect(h.warnings).toEqual([]);
    expect(h.records.map((r) => r.name)).toEqual(['a', 'b']);
    expect(h.records[0]!.future).toEqual({ x: 1 });
    expect(h.records[0]).toMatchObject({ v: 1, run: 'r1', commit: git.commit, branch: 'main', dirty: false, suite: 'suite', samples: [1, 1.1] });
    expect(h.records[0]!.machine.id).toBe(machine.id);
  });

  it('skips corrupt and truncated lines with a warning naming file and line, losing nothing else', () => {
    const good = JSON.stringify(recs('r1', ['a'])[0]);
    const text = [good, '{"v":1,"run":', 'not json', JSON.stringify({ ...recs('r2', ['a'])[0], value: 'x' }), '[1,2]', '', good, good.slice(0, 40)].join('\n');
    const h = parseHistory(text, 'h.jsonl');
    expect(h.records).toHaveLength(2);
    expect(h.warnings.map((w) => `${w.file}:${w.line}`)).toEqual(['h.jsonl:2', 'h.jsonl:3', 'h.jsonl:4', 'h.jsonl:5', 'h.jsonl:8']);
    expect(h.warnings[2]!.message).toMatch(/"value" must be a finite number/);
    expect(h.warnings[4]!.message).toMatch(/truncated last line/);
  });

  it('reports records of a newer format version instead of guessing', () => {
    const good = recs('r1', ['a'])[0]!;
    const text = [JSON.stringify(good), JSON.stringify({ ...good, v: 2, value: { median: 3 } }), JSON.stringify({ ...good, v: 3 })].join('\n') + '\n';
    const h = parseHistory(text, 'h.jsonl');
    expect(h.records).toHaveLength(1);
    expect(h.newerVersionLines).toBe(2);
    expect(h.newestVersion).toBe(3);
    expect(h.warnings.at(-1)!.message).toMatch(/2 line\(s\) were written by a newer PerfLens \(history format v3; this version reads v1\)/);
  });

  it('a missing file is an empty history', async () => {
    expect((await readHistory(path.join(tmp(), 'none.jsonl'))).records).toEqual([]);
  });
});

describe('history format v1: writer', () => {
  it('appends after a torn last line without gluing onto it', async () => {
    const file = path.join(tmp(), 'h.jsonl');
    writeFileSync(file, `${JSON.stringify(recs('r0', ['a'])[0])}\n{"v":1,"run":"r-torn`);
    await appendRecords(file, recs('r1', ['a', 'b']));
    const h = await readHistory(file);
    expect(h.records.map((r) => r.run)).toEqual(['r0', 'r1', 'r1']);
    expect(h.warnings.map((w) => w.line)).toEqual([2]);
  });

  it('two processes appending at once never interleave lines', async () => {
    const dir = tmp();
    const file = path.join(dir, 'h.jsonl');
    // Each writer appends 200 runs of 20 long lines through the real appendRecords (bundled).
    const script = path.join(dir, 'writer.cjs');
    buildSync({ entryPoints: [path.resolve(__dirname, '../../../src/core/bench/history.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: path.join(dir, 'history.cjs'), logLevel: 'error' });
    writeFileSync(script, `
      const { appendRecords } = require('./history.cjs');
      const [who] = process.argv.slice(2);
      (async () => {
        for (let run = 0; run < 200; run++) {
          const recs = Array.from({ length: 20 }, (_, i) => ({ v: 1, run: who + '-' + run, ts: 't', commit: null, branch: null, dirty: false, machine: { id: 'm' }, suite: who, name: 'b' + i, unit: 'ms', better: 'lower', value: run, samples: Array.from({ length: 50 }, () => Math.random()) }));
          await appendRecords(${JSON.stringify(file)}, recs);
        }
      })();`);
    const runWriter = (who: string) => new Promise<number | null>((resolve) => spawn(process.execPath, [script, who], { stdio: 'ignore' }).on('close', resolve));
    expect(await Promise.all([runWriter('A'), runWriter('B')])).toEqual([0, 0]);
    const h = await readHistory(file);
    expect(h.warnings).toEqual([]);
    expect(h.records).toHaveLength(2 * 200 * 20);
    // Each run's 20 lines are contiguous: one write per run.
    const runs = h.records.map((r) => r.run);
    for (let i = 0; i < runs.length; i += 20) expect(new Set(runs.slice(i, i + 20)).size).toBe(1);
  });
});

describe('git metadata and machine fingerprint', () => {
  it('outside a repository: nulls, not an error', async () => {
    expect(await gitInfo(tmp())).toEqual({ commit: null, branch: null, dirty: false });
  });

  it('without git installed: nulls, not an error', async () => {
    expect(await gitInfo(process.cwd(), '/nonexistent/bin/git')).toEqual({ commit: null, branch: null, dirty: false });
  });

  it('in a repository: commit, branch and dirty flag', async () => {
    const dir = tmp();
    const g = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, stdio: 'pipe' }).toString().trim();
    g('init', '-q', '-b', 'trunk');
    expect(await gitInfo(dir)).toEqual({ commit: null, branch: 'trunk', dirty: false });
    writeFileSync(path.join(dir, 'f.txt'), 'one');
    g('add', 'f.txt');
    g('commit', '-q', '-m', 'one');
    const head = g('rev-parse', 'HEAD');
    expect(await gitInfo(dir)).toEqual({ commit: head, branch: 'trunk', dirty: false });
    writeFileSync(path.join(dir, 'f.txt'), 'two');
    expect(await gitInfo(dir)).toEqual({ commit: head, branch: 'trunk', dirty: true });
    g('checkout', '-q', '--detach', 'HEAD');
    expect((await gitInfo(dir)).branch).toBeNull();
  });

  it('the machine id is a stable hash of its facts', () => {
    const facts = { os: 'linux 6.1', arch: 'x64', cpu: 'Xeon', cores: 2, memGB: 24, runtime: 'node 20.20.2' };
    expect(machineFromFacts(facts).id).toBe(machineFromFacts({ ...facts }).id);
    expect(machineFromFacts({ ...facts, cores: 4 }).id).not.toBe(machineFromFacts(facts).id);
    expect(currentMachine().id).toBe(currentMachine().id);
    expect(currentMachine().id).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('profiling runs as history series', () => {
  it('wall time, CPU time and peak memory become suite "profile" records', async () => {
    const { profileRunResults } = await import('../../../src/core/bench');
    const results = profileRunResults({ target: 'src/app.js', wallMs: 1200, cpuMs: 950, peakMemoryBytes: 64e6 });
    const records = toRecords(results, { run: 'p1', ts: '2026-11-24T10:00:00.000Z', git, machine }, 'ignored');
    expect(records.map((r) => [r.suite, r.name, r.unit, r.value])).toEqual([
      ['profile', 'src/app.js · wall time', 'ms', 1200],
      ['profile', 'src/app.js · CPU time', 'ms', 950],
      ['profile', 'src/app.js · peak memory', 'B', 64e6],
    ]);
    expect(profileRunResults({ target: 'x', wallMs: 5 })).toHaveLength(1);
  });
});
