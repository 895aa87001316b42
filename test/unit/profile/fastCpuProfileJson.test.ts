import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importCpuProfile } from '../../../src/core/profile/cpuProfile';
import { parseCpuProfileBytes } from '../../../src/core/profile/fastCpuProfileJson';
import { readCpuProfileJson } from '../../../src/core/profile/profileJson';
import { fixturesDir, fixtureText, RECORDED, tempDir } from './fixtures';

const formsRel = `node-cpu-prof/${RECORDED}/forms.cpuprofile`;

describe('fast reading of large V8 profiles', () => {
  const { dir, cleanup } = tempDir('fast');
  afterAll(cleanup);

  it('reads samples and timeDeltas of a real profile into typed arrays, the rest as JSON', () => {
    const text = fixtureText(formsRel);
    const fast = parseCpuProfileBytes(Buffer.from(text)) as { samples: Float64Array; timeDeltas: Float64Array; nodes: unknown[] };
    const slow = JSON.parse(text) as { samples: number[]; timeDeltas: number[]; nodes: unknown[] };
    expect(fast.samples).toBeInstanceOf(Float64Array);
    expect(Array.from(fast.samples)).toEqual(slow.samples);
    expect(Array.from(fast.timeDeltas)).toEqual(slow.timeDeltas);
    expect(fast.nodes).toEqual(slow.nodes);
  });

  it('gives the same model as the ordinary path', async () => {
    const file = join(dir, 'forms.cpuprofile');
    writeFileSync(file, fixtureText(formsRel));
    const [fast] = importCpuProfile(await readCpuProfileJson(file), file);
    const [slow] = importCpuProfile(JSON.parse(fixtureText(formsRel)), file);
    expect(Array.from(fast!.nodeSelfUs)).toEqual(Array.from(slow!.nodeSelfUs));
    expect(Array.from(fast!.nodeSamples)).toEqual(Array.from(slow!.nodeSamples));
    expect(fast!.endTime).toBe(slow!.endTime);
  });

  it('handles the `{ profile }` wrapper of Profiler.stop', () => {
    const fast = parseCpuProfileBytes(Buffer.from(fixtureText(`node-inspector/${RECORDED}/alloc.cpuprofile`))) as { profile: { samples: unknown } };
    expect(fast.profile.samples).toBeInstanceOf(Float64Array);
  });

  it('steps aside for anything else', () => {
    const profile = JSON.parse(fixtureText(formsRel)) as { timeDeltas: number[]; samples: number[] };
    const variant = (change: (p: Record<string, unknown>) => unknown): Buffer => Buffer.from(JSON.stringify(change({ ...profile }) ?? profile));
    // Fractional deltas, a null sample, nodes not first (a trace or another object), nested arrays.
    expect(parseCpuProfileBytes(variant((p) => ({ ...p, timeDeltas: profile.timeDeltas.map((d) => d + 0.5) })))).toBeUndefined();
    expect(parseCpuProfileBytes(variant((p) => ({ ...p, samples: [null, ...profile.samples.slice(1)] })))).toBeUndefined();
    expect(parseCpuProfileBytes(Buffer.from(fixtureText(`node-trace-events/${RECORDED}/inline-cross.trace.json`)))).toBeUndefined();
    expect(parseCpuProfileBytes(Buffer.from(JSON.stringify({ nodes: [], other: { samples: [1], timeDeltas: [1] } })))).toBeUndefined();
    // Spaces and negative deltas are fine.
    const spaced = parseCpuProfileBytes(Buffer.from('{ "nodes" : [], "samples" : [ 1 , 2 ], "timeDeltas" : [ 5, -3 ] }')) as { samples: Float64Array; timeDeltas: Float64Array };
    expect(Array.from(spaced.samples)).toEqual([1, 2]);
    expect(Array.from(spaced.timeDeltas)).toEqual([5, -3]);
    expect(parseCpuProfileBytes(Buffer.from('{"nodes":[],"samples":[1 2],"timeDeltas":[1,2]}'))).toBeUndefined();
  });

  it('a broken file still gets the ordinary, precise error', async () => {
    await expect(readCpuProfileJson(join(fixturesDir, 'invalid', 'truncated.cpuprofile'))).rejects.toThrow(/^truncated\.cpuprofile: not valid JSON \(unexpected end at byte \d+\)$/);
  });
});
