import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserFacingError } from '../../../src/core/log';
import { analyzeProfiles, processSourcesFromRun } from '../../../src/core/profile';
import { analyze, fixtureJson, fixturesDir, fixtureSource, programsDir, RECORDED, recordCpuProfile, tempDir } from './fixtures';
import type { CapturedProcess } from '../../../src/core/run/types';

type RawNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] };
type RawProfile = { nodes: RawNode[]; samples: number[]; timeDeltas: number[] };

const recursionRel = `node-cpu-prof/${RECORDED}/recursion.cpuprofile`;
const inlineRel = `node-cpu-prof/${RECORDED}/inline-cross.cpuprofile`;

/** Brute force: time of the samples with `name` anywhere on their stack, each sample counted once. */
function stackTime(raw: RawProfile, name: string): number {
  const parent = new Map<number, number>();
  const byId = new Map(raw.nodes.map((n) => [n.id, n]));
  for (const n of raw.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let us = 0;
  raw.samples.forEach((id, i) => {
    if (i + 1 >= raw.samples.length) return;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      if (byId.get(at)!.callFrame.functionName === name) {
        us += raw.timeDeltas[i + 1]!;
        return;
      }
    }
  });
  return us;
}

describe('aggregation', () => {
  it('total time under recursion counts each sample once', async () => {
    const { report } = await analyze([fixtureSource(recursionRel)]);
    const raw = fixtureJson(recursionRel) as RawProfile;
    const fib = report.functions.find((f) => f.name === 'fib')!;
    const interval = raw.timeDeltas[raw.timeDeltas.length - 1]!;
    expect(raw.nodes.filter((n) => n.callFrame.functionName === 'fib').length).toBeGreaterThan(10); // deep recursion
    expect(Math.abs(fib.totalUs - stackTime(raw, 'fib'))).toBeLessThanOrEqual(3 * interval);
    expect(fib.totalPercent).toBeLessThanOrEqual(100);
    const run = report.functions.find((f) => f.name === 'run')!;
    expect(fib.totalUs).toBeLessThanOrEqual(run.totalUs);
    // Recursive calls are not edges of fib to itself; its callers (run) account for all of its time.
    expect(fib.callers.map((c) => c.name)).toContain('run');
    expect(fib.callers.map((c) => c.name)).not.toContain('fib');
    expect(fib.callers.reduce((s, c) => s + c.us, 0)).toBeCloseTo(fib.totalUs, 0);
    expect(fib.callees.some((c) => c.name === 'fib')).toBe(false);
  });

  it('self, total and percentages add up', async () => {
    const { report } = await analyze([fixtureSource(recursionRel)]);
    const selfSum = report.functions.reduce((s, f) => s + f.selfUs, 0);
    expect(selfSum / 1000).toBeCloseTo(report.sampledMs, 0);
    expect(report.functions.reduce((s, f) => s + f.selfPercent, 0)).toBeCloseTo(100, 0);
    for (const f of report.functions) expect(f.totalUs + 0.5).toBeGreaterThanOrEqual(f.selfUs);
    const lineSum = report.lines.reduce((s, l) => s + l.selfUs, 0);
    expect(lineSum).toBeLessThanOrEqual(selfSum + 1);
    expect(report.lines.map((l) => l.selfUs)).toEqual([...report.lines.map((l) => l.selfUs)].sort((a, b) => b - a));
    expect(report.cpuMs).toBeLessThanOrEqual(report.sampledMs);
    // Kinds: V8 pseudo-frames, Node's own code, the user's.
    const kindOf = (name: string): string | undefined => report.functions.find((f) => f.name === name)?.kind;
    expect(kindOf('(garbage collector)') ?? 'system').toBe('system');
    expect(kindOf('(program)')).toBe('system');
    expect(report.functions.find((f) => f.file.startsWith('node:'))!.kind).toBe('node');
    expect(kindOf('fib')).toBe('user');
    expect(report.functions.some((f) => f.name === '(root)')).toBe(false);
    // Line text of user lines, as in the file.
    const top = report.lines[0]!;
    expect(top.file).toBe(join(programsDir, 'recursion', 'fib.js'));
    expect(['function fib(n) {', 'return n < 2 ? n : fib(n - 1) + fib(n - 2);']).toContain(top.text);
  });

  it('percentages are of all processes together', async () => {
    const { report } = await analyze([
      { ...fixtureSource(recursionRel), pid: 11, title: 'fib' },
      { ...fixtureSource(inlineRel), pid: 12, title: 'inline' },
    ]);
    const { report: alone } = await analyze([fixtureSource(inlineRel)]);
    const { report: fibAlone } = await analyze([fixtureSource(recursionRel)]);
    expect(report.processes.map((p) => [p.pid, p.title])).toEqual([
      [11, 'fib'],
      [12, 'inline'],
    ]);
    expect(report.sampledMs).toBeCloseTo(alone.sampledMs + fibAlone.sampledMs, 2);
    const mix = report.functions.find((f) => f.name === 'mix')!;
    expect(mix.selfPercent).toBeCloseTo((mix.selfUs / (report.sampledMs * 1000)) * 100, 2);
    expect(mix.selfPercent).toBeLessThan(alone.functions.find((f) => f.name === 'mix')!.selfPercent);
  });

  it('user code under node_modules is a dependency', async () => {
    const { dir, cleanup } = tempDir('deps');
    try {
      mkdirSync(join(dir, 'node_modules', 'busy'), { recursive: true });
      writeFileSync(join(dir, 'node_modules', 'busy', 'index.js'), 'exports.spin = function spin(n) { let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i); return s; };\n');
      writeFileSync(join(dir, 'main.js'), "const { spin } = require('busy');\nlet t = 0;\nfor (let i = 0; i < 40; i++) t += spin(1e6);\nprocess.stdout.write(String(t));\n");
      const profile = recordCpuProfile(join(dir, 'main.js'), dir);
      const { report } = await analyze([{ cpuProfilePath: profile }]);
      expect(report.functions.find((f) => f.name === 'spin')).toMatchObject({ kind: 'dependency', file: join(dir, 'node_modules', 'busy', 'index.js') });
      expect(report.lines.find((l) => l.file.endsWith('index.js'))!.kind).toBe('dependency');
    } finally {
      cleanup();
    }
  });
});

describe('analyzeProfiles inputs', () => {
  const { dir, cleanup } = tempDir('analyze');
  afterAll(cleanup);

  it('a broken profile among several is left out with a warning; alone, it is the error', async () => {
    const broken = { cpuProfilePath: join(fixturesDir, 'invalid', 'truncated.cpuprofile') };
    const { report } = await analyze([fixtureSource(recursionRel), broken]);
    expect(report.processes).toHaveLength(1);
    expect(report.warnings).toEqual([expect.stringMatching(/^truncated\.cpuprofile: not valid JSON \(unexpected end at byte \d+\) — this process is left out$/)]);
    await expect(analyze([broken])).rejects.toThrow(UserFacingError);
    await expect(analyze([broken])).rejects.toThrow(/^truncated\.cpuprofile: not valid JSON/);
  });

  it('takes run facts from the sources and options', async () => {
    const { report } = await analyze([{ ...fixtureSource(recursionRel), wallMs: 900, peakRssBytes: 5e7, argv: ['node', 'fib.js'] }], { wallMs: 1234 });
    expect(report).toMatchObject({ version: 1, wallMs: 1234, peakRssBytes: 5e7 });
    expect(report.processes[0]).toMatchObject({ wallMs: 900, peakRssBytes: 5e7, argv: ['node', 'fib.js'], title: 'recursion.cpuprofile' });
    expect(report.processes[0]!.samples).toBe((fixtureJson(recursionRel) as RawProfile).samples.length);
    expect(report.processes[0]!.cpuMs).toBeCloseTo(report.cpuMs, 3);
  });

  it('stops when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(analyzeProfiles([fixtureSource(recursionRel)], { log: { trace() {}, debug() {}, info() {}, warn() {}, error() {} }, signal: controller.signal })).rejects.toThrow(/abort/i);
  });

  it('processSourcesFromRun: one source per process that left a profile', () => {
    const base = { ppid: 1, execArgv: [], cwd: dir, startedAt: 1000, endedAt: 3500 };
    const processes: CapturedProcess[] = [
      { ...base, pid: 10, threadId: 0, argv: ['/usr/bin/node', '/w/app/server.js'], cpuProfilePath: '/p/10.cpuprofile', heapProfilePath: '/p/10.heapprofile', maxRssBytes: 123 },
      { ...base, pid: 10, threadId: 2, argv: ['/usr/bin/node', '/w/app/server.js'], cpuProfilePath: '/p/10-2.cpuprofile' },
      { ...base, pid: 11, threadId: 0, argv: ['/usr/bin/node', '/w/app/crashed.js'] },
    ];
    expect(processSourcesFromRun(processes)).toEqual([
      { cpuProfilePath: '/p/10.cpuprofile', heapProfilePath: '/p/10.heapprofile', pid: 10, threadId: 0, argv: processes[0]!.argv, title: 'server.js', wallMs: 2500, peakRssBytes: 123 },
      { cpuProfilePath: '/p/10-2.cpuprofile', pid: 10, threadId: 2, argv: processes[1]!.argv, title: 'server.js (worker 2)', wallMs: 2500, peakRssBytes: null },
    ]);
  });
});
