/**
 * Sampling heap profile importer (`.heapprofile`: DevTools "Allocation sampling", or the
 * `HeapProfiler.stopSampling` result, bare or as `{ profile }`): a call tree under `head` whose
 * nodes carry `selfSize`, the bytes of sampled allocations made with that node on top of the stack.
 *
 * Recording note (Node 20, measured): V8 resolves a node's url and line from the scripts still in the
 * heap when the profile is taken. Functions of a module that is garbage by then come out with url ""
 * and line -1, so record while the code is alive (and pass includeObjectsCollectedByMajorGC/MinorGC
 * to count allocations that were freed); `node --heap-prof` writes at exit and loses user frames.
 */
import { UserFacingError } from '../log';
import { FrameTable, HeapProfileModel, readCallFrame } from './model';
import { displayName } from './profileJson';

type Json = Record<string, unknown>;

export function importHeapProfile(json: unknown, file: string): HeapProfileModel {
  const name = displayName(file);
  const fail = (what: string): never => {
    throw new UserFacingError(`${name}: ${what}`, file);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('not a heap profile (expected an object with a "head" node)');
  let obj = json as Json;
  const inner = obj['profile'];
  if (!('head' in obj) && typeof inner === 'object' && inner !== null && 'head' in inner) obj = inner as Json;
  if (Array.isArray(obj['nodes'])) return fail('this is a CPU profile (.cpuprofile), not a heap profile');
  const head = obj['head'];
  if (typeof head !== 'object' || head === null) return fail('not a heap profile (no "head" node)');

  const warnings: string[] = [];
  const frames = new FrameTable();
  const nodeFrame: number[] = [];
  const nodeParent: number[] = [];
  const nodeSelfBytes: number[] = [];
  const ids = new Map<number, number>();
  let totalBytes = 0;
  let badSizes = 0;
  // Iterative walk: heap call trees can be deeper than the JS stack allows for recursion.
  const stack: { node: unknown; parent: number }[] = [{ node: head, parent: -1 }];
  while (stack.length > 0) {
    const { node, parent } = stack.pop()!;
    if (typeof node !== 'object' || node === null) return fail('not a heap profile (a node is not an object)');
    const n = node as Json;
    const frame = readCallFrame(n['callFrame']);
    if (!frame) return fail(`not a heap profile (node ${JSON.stringify(n['id'] ?? null)} has no "callFrame")`);
    const index = nodeFrame.length;
    const id = n['id'];
    if (typeof id === 'number') {
      if (ids.has(id)) return fail(`inconsistent profile (node id ${id} appears twice)`);
      ids.set(id, index);
    }
    let size = n['selfSize'];
    if (typeof size !== 'number' || !(size >= 0) || !Number.isFinite(size)) {
      badSizes++;
      size = 0;
    }
    nodeFrame.push(frames.intern(frame));
    nodeParent.push(parent);
    nodeSelfBytes.push(size as number);
    totalBytes += size as number;
    const children = n['children'];
    if (Array.isArray(children)) for (let i = children.length - 1; i >= 0; i--) stack.push({ node: children[i], parent: index });
  }
  if (badSizes > 0) warnings.push(`${name}: ${badSizes} nodes without a valid "selfSize" were counted as 0 bytes`);
  const lost = new Set(frames.frames.filter((f) => f.url === '' && f.scriptId !== '' && f.scriptId !== '0').map((f) => f.functionName || '(anonymous)'));
  if (lost.size > 0) {
    const names = [...lost].slice(0, 3).join(', ');
    warnings.push(`${name}: ${lost.size} functions (${names}${lost.size > 3 ? ', …' : ''}) lost their file: V8 resolved them after their script was garbage collected; their allocations are listed under "(unknown script)"`);
  }
  const samples = obj['samples'];
  if (Array.isArray(samples)) {
    let unknown = 0;
    for (const s of samples as unknown[]) {
      const nodeId = (s as Json | null)?.['nodeId'];
      if (typeof nodeId !== 'number' || !ids.has(nodeId)) unknown++;
    }
    if (unknown > 0) warnings.push(`${name}: ${unknown} of ${samples.length} samples point at node ids that are not in the tree; sizes come from the nodes`);
  }
  return {
    source: file,
    frames: frames.frames,
    nodeCount: nodeFrame.length,
    nodeFrame: Int32Array.from(nodeFrame),
    nodeParent: Int32Array.from(nodeParent),
    nodeSelfBytes: Float64Array.from(nodeSelfBytes),
    totalBytes,
    warnings,
  };
}
