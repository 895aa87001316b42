/**
 * Restores the source positions of heap profile frames from the CPU profile of the same thread.
 *
 * V8 resolves a sampling heap profile's frames (script id + function start) to URL and line only
 * when the profile is taken, and taking it forces a full GC first. A CommonJS module whose
 * functions are no longer reachable by then — typically the main script once it has finished —
 * loses its Script in that GC, and its frames come out as `url: ""`, `lineNumber: -1`. The CPU
 * profile recorded the same functions (same script ids, same function-start positions) while they
 * ran, so it can fill them in.
 *
 * Matching: a heap frame takes the position of the CPU frame with the same script id and function
 * name under the CPU counterpart of its parent (same call path); failing that, of the only CPU
 * frame with that script id and name anywhere. When neither is unique, only the URL is filled.
 *
 * The heap profiler also names CommonJS scripts by path where the CPU profiler gives a file URL;
 * `toFileUrl` turns those paths into URLs so both profiles name a script the same way.
 * Pure, no imports: bundled into the agent.
 */

export interface ProfileCallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export interface CpuProfileLike {
  nodes: Array<{ id: number; callFrame: ProfileCallFrame; children?: number[] }>;
}

export interface HeapNodeLike {
  callFrame: ProfileCallFrame;
  children: HeapNodeLike[];
}

function key(frame: ProfileCallFrame): string {
  return `${frame.scriptId}\u0000${frame.functionName}`;
}

function needsFilling(frame: ProfileCallFrame): boolean {
  return frame.scriptId !== '0' && frame.scriptId !== '' && (frame.url === '' || frame.lineNumber < 0);
}

const ABSOLUTE_PATH = /^(?:\/|[A-Za-z]:[\\/]|\\\\)/;

/** Fills missing URL/line/column of `head`'s frames in place; returns how many frames changed. */
export function fillHeapFramesFromCpuProfile(head: HeapNodeLike, cpu: CpuProfileLike, toFileUrl?: (path: string) => string): number {
  const byId = new Map<number, CpuProfileLike['nodes'][number]>();
  for (const node of cpu.nodes) byId.set(node.id, node);
  const urlOfScript = new Map<string, string>();
  /** Positions seen per (script id, name): undefined once two different ones were seen. */
  const unique = new Map<string, ProfileCallFrame | undefined>();
  for (const node of cpu.nodes) {
    const frame = node.callFrame;
    if (frame.url !== '' && frame.scriptId !== '0') urlOfScript.set(frame.scriptId, frame.url);
    const k = key(frame);
    const seen = unique.get(k);
    if (!unique.has(k)) unique.set(k, frame);
    else if (seen && (seen.lineNumber !== frame.lineNumber || seen.columnNumber !== frame.columnNumber)) unique.set(k, undefined);
  }
  const root = cpu.nodes[0];
  let changed = 0;

  const counterpartAmong = (parent: CpuProfileLike['nodes'][number] | undefined, frame: ProfileCallFrame) => {
    if (!parent) return undefined;
    const k = key(frame);
    let found: CpuProfileLike['nodes'][number] | undefined;
    for (const id of parent.children ?? []) {
      const child = byId.get(id);
      if (!child || key(child.callFrame) !== k) continue;
      if (found && (found.callFrame.lineNumber !== child.callFrame.lineNumber || found.callFrame.columnNumber !== child.callFrame.columnNumber)) return undefined;
      found = child;
    }
    return found;
  };

  const visit = (node: HeapNodeLike, cpuParent: CpuProfileLike['nodes'][number] | undefined, isRoot: boolean): void => {
    const counterpart = isRoot ? root : counterpartAmong(cpuParent, node.callFrame);
    const frame = node.callFrame;
    if (toFileUrl && ABSOLUTE_PATH.test(frame.url)) frame.url = toFileUrl(frame.url);
    if (!isRoot && needsFilling(frame)) {
      const source = counterpart?.callFrame ?? unique.get(key(frame));
      if (source && source.url !== '' && source.lineNumber >= 0) {
        frame.url = source.url;
        frame.lineNumber = source.lineNumber;
        frame.columnNumber = source.columnNumber;
        changed++;
      } else if (frame.url === '' && urlOfScript.has(frame.scriptId)) {
        frame.url = urlOfScript.get(frame.scriptId) as string;
        changed++;
      }
    }
    for (const child of node.children) visit(child, counterpart, false);
  };
  visit(head, undefined, true);
  return changed;
}
