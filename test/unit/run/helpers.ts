/** Shared by the run tests: a freshly built agent, fixture paths, profile and /proc helpers. */
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { MemoryLogger } from '../../../src/core/log';
import type { RunOptions } from '../../../src/core/run/types';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const PROGRAMS = path.join(REPO, 'test', 'fixtures', 'programs');

export function program(...parts: string[]): string {
  return path.join(PROGRAMS, ...parts);
}

/** A temp folder removed by the caller (mkdtemp under os.tmpdir()). */
export function tempDir(prefix = 'perflens-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Bundles src/core/run/agent.ts the way esbuild.mjs does, into a folder of its own (with a space
 * in its name, so every test also covers quoting in NODE_OPTIONS).
 */
export async function buildAgent(dir = tempDir('perflens agent ')): Promise<string> {
  const outfile = path.join(dir, 'perflens-agent.js');
  await esbuild.build({
    entryPoints: [path.join(REPO, 'src', 'core', 'run', 'agent.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'silent',
  });
  return outfile;
}

export function newLog(): MemoryLogger {
  return new MemoryLogger();
}

/** True while `pid` is a live process (zombies waiting to be reaped count as ended). */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export interface CpuProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
  positionTicks?: { line: number; ticks: number }[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  id: number;
  children: HeapNode[];
}

export interface HeapProfile {
  head: HeapNode;
  samples: { size: number; nodeId: number; ordinal: number }[];
}

export function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

export function cpuFrames(profile: CpuProfile, functionName: string): CpuProfileNode[] {
  return profile.nodes.filter((n) => n.callFrame.functionName === functionName);
}

export function heapNodes(profile: HeapProfile, functionName: string): HeapNode[] {
  const found: HeapNode[] = [];
  const walk = (node: HeapNode): void => {
    if (node.callFrame.functionName === functionName) found.push(node);
    node.children.forEach(walk);
  };
  walk(profile.head);
  return found;
}

/** Sum of the self sizes of a heap profile subtree. */
export function heapTotal(node: HeapNode): number {
  return node.selfSize + node.children.reduce((sum, c) => sum + heapTotal(c), 0);
}

/** Collects the program output and resolves waiters when a line matching a predicate appears. */
export class OutputCollector {
  stdout = '';
  stderr = '';
  private waiters: { test: (text: string) => boolean; resolve: () => void }[] = [];

  readonly onOutput = (stream: 'stdout' | 'stderr', text: string): void => {
    if (stream === 'stdout') this.stdout += text;
    else this.stderr += text;
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(this.stdout)) return true;
      w.resolve();
      return false;
    });
  };

  waitFor(test: (stdout: string) => boolean): Promise<void> {
    if (test(this.stdout)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  /** The `{"pid": …}` lines the fixtures print. */
  pids(): number[] {
    return this.stdout
      .split('\n')
      .filter((l) => l.startsWith('{"pid"'))
      .map((l) => (JSON.parse(l) as { pid: number }).pid);
  }
}

/**
 * Per test file: builds the agent once before the tests, and removes it and every folder handed
 * to `track` after them. `options` makes run options with a fresh out dir.
 */
export function agentFixture(): {
  readonly agentPath: string;
  track(dir: string): string;
  options(target: RunOptions['target'], extra?: Partial<RunOptions>): RunOptions;
} {
  let agentPath = '';
  const dirs: string[] = [];
  beforeAll(async () => {
    agentPath = await buildAgent();
    dirs.push(path.dirname(agentPath));
  });
  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });
  const track = (dir: string): string => {
    dirs.push(dir);
    return dir;
  };
  return {
    get agentPath() { return agentPath; },
    track,
    options: (target, extra = {}) => ({ target, agentPath, outDir: track(tempDir('perflens-out-')), log: newLog(), ...extra }),
  };
}
