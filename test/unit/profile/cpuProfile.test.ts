import { describe, expect, it } from 'vitest';
import { UserFacingError } from '../../../src/core/log';
import { importCpuProfile } from '../../../src/core/profile/cpuProfile';
import type { CpuProfileModel } from '../../../src/core/profile/model';
import { parseProfileJson, readProfileText } from '../../../src/core/profile/profileJson';
import { fixtureJson, fixturesDir, RECORDED, tempDir } from './fixtures';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

type RawNode = { id: number; callFrame: { functionName: string; url: string }; children?: number[]; parent?: number; positionTicks?: { line: number; ticks: number }[] };
type RawProfile = { nodes: RawNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

const formsRel = `node-cpu-prof/${RECORDED}/forms.cpuprofile`;

function totalSelf(m: CpuProfileModel): number {
  return m.nodeSelfUs.reduce((a, b) => a + b, 0);
}

function selfOf(m: CpuProfileModel, name: string): number {
  let us = 0;
  for (let i = 0; i < m.nodeCount; i++) if (m.frames[m.nodeFrame[i]!]!.functionName === name) us += m.nodeSelfUs[i]!;
  return us;
}

describe('importCpuProfile on real `node --cpu-prof` output', () => {
  const raw = fixtureJson(formsRel) as RawProfile;
  const [model] = importCpuProfile(raw, 'forms.cpuprofile');

  it('keeps every node, sample and distinct frame', () => {
    expect(model!.nodeCount).toBe(raw.nodes.length);
    expect(model!.sampleCount).toBe(raw.samples.length);
    const distinct = new Set(raw.nodes.map((n) => JSON.stringify(n.callFrame)));
    expect(model!.frames.length).toBe(distinct.size);
    expect(model!.warnings).toEqual([]);
  });

  it('gives each sample the interval until the next one', () => {
    // Sum of durations = last timestamp - first timestamp + the last sample's own interval.
    const times: number[] = [];
    let t = raw.startTime;
    for (const d of raw.timeDeltas) times.push((t += d));
    const span = times[times.length - 1]! - times[0]!;
    const total = totalSelf(model!);
    expect(total).toBeGreaterThanOrEqual(span);
    expect(total).toBeLessThanOrEqual(span + 3 * (span / (times.length - 1)));
    // Per node: the deltas that follow its samples.
    const expected = new Map<number, number>();
    raw.samples.forEach((id, i) => {
      if (i + 1 < raw.samples.length) expected.set(id, (expected.get(id) ?? 0) + raw.timeDeltas[i + 1]!);
    });
    const decl = raw.nodes.find((n) => n.callFrame.functionName === 'decl')!;
    const index = raw.nodes.indexOf(decl);
    expect(model!.nodeSelfUs[index]).toBeCloseTo(expected.get(decl.id)!, 3);
  });

  it('keeps positionTicks per node', () => {
    const node = raw.nodes.findIndex((n) => n.callFrame.functionName === 'method');
    const ticks: [number, number][] = [];
    for (let k = model!.tickStart[node]!; k < model!.tickStart[node + 1]!; k++) ticks.push([model!.tickLine[k]!, model!.tickCount[k]!]);
    expect(ticks).toEqual(raw.nodes[node]!.positionTicks!.map((t) => [t.line, t.ticks]));
  });

  it('reads nodes given with `parent` instead of `children` the same way', () => {
    const copy = JSON.parse(JSON.stringify(raw)) as RawProfile;
    const parentOf = new Map<number, number>();
    for (const n of copy.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
    for (const n of copy.nodes) {
      delete n.children;
      if (parentOf.has(n.id)) n.parent = parentOf.get(n.id)!;
    }
    copy.nodes.reverse();
    const [viaParent] = importCpuProfile(copy, 'parents.cpuprofile');
    expect(selfOf(viaParent!, 'anon')).toBeCloseTo(selfOf(model!, 'anon'), 6);
    expect(Array.from(viaParent!.nodeParent).filter((p) => p < 0)).toHaveLength(1);
  });

  it('puts out-of-order samples in timestamp order before timing them', () => {
    const copy = JSON.parse(JSON.stringify(raw)) as RawProfile;
    // Swap two consecutive samples (and their timestamps), as some Chrome profiles have them.
    const i = 100;
    const d1 = copy.timeDeltas[i]!;
    const d2 = copy.timeDeltas[i + 1]!;
    [copy.samples[i], copy.samples[i + 1]] = [copy.samples[i + 1]!, copy.samples[i]!];
    copy.timeDeltas[i] = d1 + d2;
    copy.timeDeltas[i + 1] = -d2;
    copy.timeDeltas[i + 2] = copy.timeDeltas[i + 2]! + d2;
    const [sorted] = importCpuProfile(copy, 'unordered.cpuprofile');
    // Same timestamps per sample as the original, so the same time per node.
    Array.from(model!.nodeSelfUs).forEach((us, node) => expect(sorted!.nodeSelfUs[node]).toBeCloseTo(us, 3));
  });
});

describe('importCpuProfile on other producers', () => {
  it('unwraps the `{ profile }` result of an in-process Profiler.stop', () => {
    const json = fixtureJson(`node-inspector/${RECORDED}/alloc.cpuprofile`) as { profile: RawProfile };
    expect(Array.isArray(json.profile.nodes)).toBe(true);
    const [model] = importCpuProfile(json, 'alloc.cpuprofile');
    expect(model!.sampleCount).toBe(json.profile.samples.length);
    expect(model!.frames.some((f) => f.functionName === 'makeRecords')).toBe(true);
  });

  it('reads Profile/ProfileChunk events of a Chrome trace file, one profile per thread, lines from `lines`', () => {
    const json = fixtureJson(`node-trace-events/${RECORDED}/inline-cross.trace.json`) as { traceEvents: { name: string; id?: string; pid: number; tid: number; args: { data: { cpuProfile?: { samples?: number[] } } } }[] };
    const models = importCpuProfile(json, 'inline-cross.trace.json');
    expect(models).toHaveLength(1);
    const [model] = models;
    // Two profiles of the same thread in the file: the one with more samples is kept, and that is said.
    const perId = new Map<string, number>();
    for (const e of json.traceEvents) if (e.name === 'ProfileChunk') perId.set(e.id!, (perId.get(e.id!) ?? 0) + (e.args.data.cpuProfile?.samples?.length ?? 0));
    expect(model!.sampleCount).toBe(Math.max(...perId.values()));
    expect(model!.warnings.join('\n')).toMatch(/two CPU profiles of process \d+ thread \d+/);
    expect(model!.pid).toBe(json.traceEvents[0]!.pid);
    // Per-sample lines became line ticks: `loop` carries line 37 (of b.js, inlined) and its own line 6.
    const loop = Array.from({ length: model!.nodeCount }, (_, i) => i).filter((i) => model!.frames[model!.nodeFrame[i]!]!.functionName === 'loop');
    const lines = new Set<number>();
    for (const i of loop) for (let k = model!.tickStart[i]!; k < model!.tickStart[i + 1]!; k++) lines.add(model!.tickLine[k]!);
    expect(lines).toContain(37);
    expect(lines).toContain(6);
  });

  it('reads gzipped files', async () => {
    const { dir, cleanup } = tempDir('gz');
    try {
      const file = join(dir, 'forms.cpuprofile.gz');
      writeFileSync(file, gzipSync(JSON.stringify(fixtureJson(formsRel))));
      const [model] = importCpuProfile(parseProfileJson(await readProfileText(file), file), file);
      expect(model!.sampleCount).toBeGreaterThan(100);
    } finally {
      cleanup();
    }
  });
});

describe('invalid CPU profiles', () => {
  async function importFile(name: string): Promise<CpuProfileModel[]> {
    const file = join(fixturesDir, 'invalid', name);
    return importCpuProfile(parseProfileJson(await readProfileText(file), file), file);
  }
  async function errorOf(name: string): Promise<UserFacingError> {
    const err = await importFile(name).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserFacingError);
    return err as UserFacingError;
  }

  it('truncated file: not valid JSON, with the byte where it ends', async () => {
    const err = await errorOf('truncated.cpuprofile');
    expect(err.message).toMatch(/^truncated\.cpuprofile: not valid JSON \(unexpected end at byte \d+\)$/);
    expect(err.file).toBe(join(fixturesDir, 'invalid', 'truncated.cpuprofile'));
  });

  it('garbage (a JavaScript file): not valid JSON, says how it starts', async () => {
    expect((await errorOf('garbage.cpuprofile')).message).toBe(`garbage.cpuprofile: not valid JSON (starts with "'use strict'", expected "{" or "[")`);
  });

  it('empty file', async () => {
    expect((await errorOf('empty.cpuprofile')).message).toBe('empty.cpuprofile: empty file');
  });

  it('JSON but not a profile', async () => {
    expect((await errorOf('not-a-profile.cpuprofile')).message).toBe('not-a-profile.cpuprofile: not a CPU profile (no "nodes" array)');
  });

  it('a heap profile given as a CPU profile', async () => {
    expect((await errorOf('heap-as-cpu.cpuprofile')).message).toBe('heap-as-cpu.cpuprofile: this is a heap profile (.heapprofile), not a CPU profile');
  });

  it('a child id that is not a node', async () => {
    expect((await errorOf('dangling-child.cpuprofile')).message).toMatch(/^dangling-child\.cpuprofile: inconsistent profile \(node \d+ lists child 999999, which is not in "nodes"\)$/);
  });

  it('a duplicate node id', async () => {
    expect((await errorOf('duplicate-id.cpuprofile')).message).toMatch(/^duplicate-id\.cpuprofile: inconsistent profile \(node id \d+ appears twice\)$/);
  });

  it('a missing file', async () => {
    expect((await errorOf('no-such.cpuprofile')).message).toBe('no-such.cpuprofile: file not found');
  });

  it('samples pointing at unknown nodes are dropped, counted and reported; the rest is kept', async () => {
    const [model] = await importFile('unknown-samples.cpuprofile');
    const raw = fixtureJson(formsRel) as RawProfile;
    const dropped = Math.ceil(raw.samples.length / 10);
    expect(model!.sampleCount).toBe(raw.samples.length - dropped);
    expect(model!.warnings).toEqual([`unknown-samples.cpuprofile: ${dropped} of ${raw.samples.length} samples point at node ids that are not in "nodes"; they were dropped`]);
  });

  it('parent links that form a cycle', () => {
    const raw = fixtureJson(formsRel) as RawProfile;
    const a = raw.nodes[3]!;
    const b = raw.nodes[4]!;
    for (const n of raw.nodes) {
      n.children = (n.children ?? []).filter((c) => c !== a.id && c !== b.id);
    }
    a.children = [b.id];
    b.children = [a.id];
    expect(() => importCpuProfile(raw, 'cycle.cpuprofile')).toThrow(/^cycle\.cpuprofile: inconsistent profile \(\d+ nodes form a cycle/);
  });
});
