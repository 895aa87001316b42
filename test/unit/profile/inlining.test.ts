import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, copyProgram, fixtureJson, fixtureSource, fixtureText, hottestUserLine, lineOf, programsDir, RECORDED, recordCpuProfile, tempDir, userShareOn, ensureFixtureBuilds } from './fixtures';

type RawNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number; scriptId: string }; children?: number[]; hitCount?: number; positionTicks?: { line: number; ticks: number }[] };
type RawProfile = { nodes: RawNode[]; samples: number[] };

// programs/inline-cross: `loop` in a.js calls the tiny `mix` of b.js millions of times; TurboFan
// inlines it, and V8 then reports mix's line (37, of b.js) on loop's node — a line a.js does not have.
const a = join(programsDir, 'inline-cross', 'a.js');
const b = join(programsDir, 'inline-cross', 'b.js');
const hotLine = lineOf(b, '// HOT');
const aLines = readFileSync(a, 'utf8').split('\n').length;

describe('inlining correction on the stored recording', () => {
  const source = fixtureSource(`node-cpu-prof/${RECORDED}/inline-cross.cpuprofile`);

  it('puts ≥95% of the user self time on the hot line of b.js', async () => {
    const { report } = await analyze([source]);
    expect(userShareOn(report, b, hotLine)).toBeGreaterThanOrEqual(0.95);
    expect(report.lines.find((l) => l.kind === 'user')).toMatchObject({ file: b, line: hotLine, functionName: 'mix' });
    // mix is called by loop, with that time on the edge; loop keeps its own loop line.
    const mix = report.functions.find((f) => f.name === 'mix')!;
    expect(mix).toMatchObject({ file: b, line: hotLine - 1 });
    expect(mix.callers[0]).toMatchObject({ name: 'loop', file: a });
    // (the top level may call it too, when TurboFan inlined loop there)
    expect(mix.callers[0]!.us).toBeGreaterThan(0.95 * mix.totalUs);
    const loop = report.functions.find((f) => f.name === 'loop')!;
    expect(loop.totalUs).toBeGreaterThanOrEqual(mix.totalUs);
    expect(loop.callees.map((c) => c.name)).toContain('mix');
    // No line of a.js past its end remains.
    expect(report.lines.filter((l) => l.file === a && l.line > aLines)).toEqual([]);
    expect(report.inlining.movedTicks / report.inlining.totalTicks).toBeGreaterThan(0.9);
    expect(report.inlining.unplacedTicks).toBe(0);
  });

  it('without the correction, the same profile puts the time on a line a.js does not have', async () => {
    const { report } = await analyze([source], { correctInlining: false });
    expect(userShareOn(report, b, hotLine)).toBeLessThan(0.05);
    const top = report.lines.find((l) => l.kind === 'user')!;
    expect(top.file).toBe(a);
    expect(top.line).toBeGreaterThan(aLines);
    expect(top.text).toBeUndefined();
    expect(report.functions.find((f) => f.name === 'loop')!.selfPercent).toBeGreaterThan(90);
    expect(report.inlining.movedTicks).toBe(0);
  });

  it('the Chrome trace recording of the same program is corrected the same way', async () => {
    const { report } = await analyze([fixtureSource(`node-trace-events/${RECORDED}/inline-cross.trace.json`)]);
    expect(userShareOn(report, b, hotLine)).toBeGreaterThanOrEqual(0.95);
  });
});

describe('no correction where nothing was inlined', () => {
  it.each(['forms', 'recursion'])('%s: every tick stays on its node', async (name) => {
    const { report } = await analyze([fixtureSource(`node-cpu-prof/${RECORDED}/${name}.cpuprofile`)]);
    expect(report.inlining.totalTicks).toBeGreaterThan(50);
    expect(report.inlining.movedTicks).toBe(0);
    expect(report.inlining.unplacedTicks).toBe(0);
  });
});

describe('inlining correction on a fresh recording', () => {
  const { dir, cleanup } = tempDir('inline');
  afterAll(cleanup);
  const program = copyProgram('inline-cross', dir);
  const profile = recordCpuProfile(join(program, 'a.js'), dir);
  const freshB = join(program, 'b.js');

  it('puts ≥95% of the user self time on the hot line of b.js', async () => {
    const { report } = await analyze([{ cpuProfilePath: profile }]);
    expect(userShareOn(report, freshB, hotLine)).toBeGreaterThanOrEqual(0.95);
    expect(report.lines[0]!.text).toContain('// HOT');
  });

  it('when the callee file is gone, ticks past the end of a.js stay and are counted as unplaced', async () => {
    rmSync(freshB);
    const { report } = await analyze([{ cpuProfilePath: profile }]);
    expect(report.inlining.unplacedTicks).toBeGreaterThan(0);
    expect(report.inlining.unplacedPercent).toBeGreaterThan(50);
    expect(report.inlining.movedTicks).toBe(0);
  });
});

/** Removes the (leaf) nodes of a function, giving their samples and line ticks to their parents. */
function mergeIntoParents(raw: RawProfile, name: string): void {
  for (const node of raw.nodes.filter((n) => n.callFrame.functionName === name)) {
    expect(node.children ?? []).toEqual([]);
    const parent = raw.nodes.find((n) => n.children?.includes(node.id))!;
    parent.children = parent.children!.filter((c) => c !== node.id);
    parent.positionTicks = [...(parent.positionTicks ?? []), ...(node.positionTicks ?? [])];
    raw.nodes = raw.nodes.filter((n) => n !== node);
    raw.samples = raw.samples.map((id) => (id === node.id ? parent.id : id));
  }
  expect(raw.nodes.some((n) => n.callFrame.functionName === name)).toBe(false);
}

describe('re-homing rules, on real recordings with one fact taken away', () => {
  beforeAll(ensureFixtureBuilds);
  it('same file: a callee with no node of its own is found among the functions of the caller\'s script', async () => {
    // ts-geometry: distanceSquared is inlined into closestPair (same file); drop any node of its
    // own (merging it into its caller), as when it is never sampled un-inlined.
    const raw = fixtureJson(`node-cpu-prof/${RECORDED}/ts-geometry.cpuprofile`) as RawProfile;
    mergeIntoParents(raw, 'distanceSquared');
    const { report } = await analyze([{ cpuProfilePath: 'ts-geometry-merged.cpuprofile', cpuProfileText: JSON.stringify(raw) }]);
    const geometryTs = join(programsDir, 'ts-geometry', 'src', 'geometry.ts');
    expect(hottestUserLine(report)).toMatchObject({ file: geometryTs, line: lineOf(geometryTs, '// HOT'), functionName: 'distanceSquared' });
    expect(report.functions.find((f) => f.name === 'distanceSquared')!.callers[0]!.name).toBe('closestPair');
  });

  it('elsewhere in the profile: without a static import, the only profiled script with a function on that line', async () => {
    // inline-cross with a.js loading b.js through a computed require (same lines), and b.js's
    // top level in the profile as V8 records it when module loading is sampled.
    const { dir, cleanup } = tempDir('rule4');
    try {
      const program = copyProgram('inline-cross', dir);
      const aJs = join(program, 'a.js');
      const source = readFileSync(aJs, 'utf8');
      writeFileSync(aJs, source.replace("require('./b.js')", "require(['.', 'b.js'].join('/'))"));
      const text = fixtureText(`node-cpu-prof/${RECORDED}/inline-cross.cpuprofile`).split(`${pathToFileURL(programsDir).href}/inline-cross`).join(pathToFileURL(program).href);
      const raw = JSON.parse(text) as RawProfile;
      mergeIntoParents(raw, 'mix');
      const top = raw.nodes.find((n) => n.callFrame.url.endsWith('/a.js') && n.callFrame.lineNumber === 0)!;
      const id = Math.max(...raw.nodes.map((n) => n.id)) + 1;
      raw.nodes.push({ id, callFrame: { ...top.callFrame, url: pathToFileURL(join(program, 'b.js')).href, scriptId: '999' }, hitCount: 0 });
      top.children = [...(top.children ?? []), id];
      const { report } = await analyze([{ cpuProfilePath: 'inline-cross-computed.cpuprofile', cpuProfileText: JSON.stringify(raw) }]);
      expect(userShareOn(report, join(program, 'b.js'), hotLine)).toBeGreaterThanOrEqual(0.95);
      // …and without that frame, nothing names b.js: the ticks stay, unplaced.
      raw.nodes.pop();
      top.children = top.children.filter((c) => c !== id);
      const { report: unplaced } = await analyze([{ cpuProfilePath: 'inline-cross-computed.cpuprofile', cpuProfileText: JSON.stringify(raw) }]);
      expect(unplaced.inlining.unplacedPercent).toBeGreaterThan(90);
    } finally {
      cleanup();
    }
  });
});
