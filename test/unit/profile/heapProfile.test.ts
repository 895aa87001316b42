import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserFacingError } from '../../../src/core/log';
import { importHeapProfile } from '../../../src/core/profile/heapProfile';
import { analyze, fixtureJson, fixtureSource, programsDir, RECORDED, relocatedCopy, tempDir } from './fixtures';

type HeapNode = { callFrame: { functionName: string; url: string }; selfSize: number; id: number; children: HeapNode[] };

const heapRel = `node-inspector/${RECORDED}/alloc.heapprofile`;

function walk(node: HeapNode, visit: (n: HeapNode, parent: HeapNode | null) => void, parent: HeapNode | null = null): void {
  visit(node, parent);
  for (const c of node.children) walk(c, visit, node);
}

describe('importHeapProfile on a real in-process sampling heap profile', () => {
  const raw = fixtureJson(heapRel) as { head: HeapNode; samples: unknown[] };
  const model = importHeapProfile(raw, 'alloc.heapprofile');

  it('keeps every node and byte', () => {
    let nodes = 0;
    let bytes = 0;
    walk(raw.head, (n) => {
      nodes++;
      bytes += n.selfSize;
    });
    expect(model.nodeCount).toBe(nodes);
    expect(model.totalBytes).toBe(bytes);
    expect(model.warnings).toEqual([]);
  });

  it('rejects a CPU profile and non-profiles with a one-line message', () => {
    const cpu = fixtureJson(`node-cpu-prof/${RECORDED}/forms.cpuprofile`);
    expect(() => importHeapProfile(cpu, 'x.heapprofile')).toThrow(UserFacingError);
    expect(() => importHeapProfile(cpu, 'x.heapprofile')).toThrow('x.heapprofile: this is a CPU profile (.cpuprofile), not a heap profile');
    expect(() => importHeapProfile({ hello: 1 }, 'y.heapprofile')).toThrow('y.heapprofile: not a heap profile (no "head" node)');
    const dup = JSON.parse(JSON.stringify(raw)) as { head: HeapNode };
    dup.head.children[0]!.id = dup.head.id;
    expect(() => importHeapProfile(dup, 'z.heapprofile')).toThrow(/^z\.heapprofile: inconsistent profile \(node id \d+ appears twice\)$/);
  });
});

describe('allocations in the report', () => {
  const { dir, cleanup } = tempDir('heap');
  afterAll(cleanup);
  const alloc = join(programsDir, 'alloc', 'alloc.js');

  it('per function at its line, builtins charged to their JavaScript caller, percent of all bytes', async () => {
    const heapProfilePath = relocatedCopy(heapRel, dir);
    const { report } = await analyze([{ ...fixtureSource(`node-inspector/${RECORDED}/alloc.cpuprofile`), heapProfilePath }]);
    const raw = fixtureJson(heapRel) as { head: HeapNode };
    // Expected: bytes of makeRecords' own node plus those of script-less builtins (push) under it.
    let expected = 0;
    walk(raw.head, (n, parent) => {
      if (n.callFrame.functionName === 'makeRecords') expected += n.selfSize;
      else if (n.callFrame.url === '' && parent?.callFrame.functionName === 'makeRecords') expected += n.selfSize;
    });
    const site = report.allocations.find((a) => a.functionName === 'makeRecords')!;
    expect(site).toMatchObject({ file: alloc, line: 3, kind: 'user', bytes: expected });
    expect(site.percent).toBeCloseTo((expected / report.totalAllocBytes) * 100, 3);
    // `join` and `map` (no script) never appear as sites of their own.
    expect(report.allocations.some((a) => a.functionName === 'join' || a.functionName === 'map')).toBe(false);
    expect(report.allocations.map((a) => a.bytes)).toEqual([...report.allocations.map((a) => a.bytes)].sort((a, b) => b - a));
    expect(report.allocations.reduce((s, a) => s + a.bytes, 0)).toBe(report.totalAllocBytes);
    const fn = report.functions.find((f) => f.name === 'makeRecords')!;
    expect(fn.allocBytes).toBe(expected);
    expect(fn.selfUs).toBeGreaterThan(0);
    // The function's line, when it has CPU samples too, carries the bytes.
    const line = report.lines.find((l) => l.file === alloc && l.line === 3);
    if (line) expect(line.allocBytes).toBe(expected);
    expect(report.processes[0]!.heapProfilePath).toBe(heapProfilePath);
  });

  it('a heap profile alone is a report too', async () => {
    const heapProfilePath = relocatedCopy(heapRel, dir);
    const { report } = await analyze([{ heapProfilePath }]);
    expect(report.lines).toEqual([]);
    expect(report.allocations[0]!.file).toBe(alloc);
    expect(report.processes).toHaveLength(1);
  });
});

describe('heap frames whose script V8 had collected', () => {
  const { dir, cleanup } = tempDir('heap-gone');
  afterAll(cleanup);

  it('keep their bytes under "(unknown script)", with a warning saying why', async () => {
    const heapProfilePath = relocatedCopy(`node-inspector/${RECORDED}/alloc-gone.heapprofile`, dir);
    const raw = fixtureJson(`node-inspector/${RECORDED}/alloc-gone.heapprofile`) as { head: HeapNode };
    let lost = 0;
    walk(raw.head, (n) => {
      if (n.callFrame.functionName === 'makeBuffers') {
        expect(n.callFrame.url).toBe('');
        lost += n.selfSize;
      }
    });
    const { report } = await analyze([{ heapProfilePath }]);
    expect(report.allocations[0]).toMatchObject({ functionName: 'makeBuffers', file: '(unknown script)', kind: 'user' });
    expect(report.allocations[0]!.bytes).toBeGreaterThanOrEqual(lost);
    expect(report.warnings).toEqual([
      'alloc-gone.heapprofile: 1 functions (makeBuffers) lost their file: V8 resolved them after their script was garbage collected; their allocations are listed under "(unknown script)"',
    ]);
  });
});
