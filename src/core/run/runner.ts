/**
 * Runs a program with the capture agent preloaded into every Node process it starts, streams its
 * output, ends the whole process tree on cancel/timeout, and reads back the captured profiles.
 */
import { AGENT_BUNDLE_NAME } from '../profile/codeKind';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserFacingError, type Logger } from '../log';
import {
  CONTROL_DIR, ENV_HEAP, ENV_HEAP_INTERVAL_BYTES, ENV_INTERVAL_US, ENV_OUT_DIR, ENV_RUN_ID, ENV_STOP_WATCHER, STOP_REQUEST_FILE,
} from './captureFiles';
import { nodeOptionsWithAgent } from './nodeOptions';
import { OutputTail } from './outputTail';
import { ProcessTree } from './processTree';
import { readCaptures } from './readCaptures';
import { resolveTarget, type ResolvedTarget } from './resolveTarget';
import type { RunOptions, RunResult } from './types';

const DEFAULT_KILL_GRACE_MS = 3000;
/**
 * After SIGTERM, processes get this long to end on their own (their 'exit' capture then includes
 * their shutdown work) before the stop request makes the remaining ones — busy ones included —
 * write their profiles through the agent's watcher thread.
 */
const STOP_REQUEST_DELAY_MS = 300;
const POLL_MS = 50;
const RESCAN_MS = 250;
/** After the tree is gone, how long to wait for the output pipes to drain before closing them. */
const STDIO_DRAIN_MS = 2000;

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for `promise` at most `ms`, and clears its timer either way (a pending timer would keep the CLI alive). */
async function settleWithin(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

/** The agent bundle: `perflens-agent.js` next to the running bundle (dist/), or in dist/ from sources. */
export function defaultAgentCandidates(): string[] {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  return [path.join(here, AGENT_BUNDLE_NAME), path.resolve(here, '..', '..', '..', 'dist', AGENT_BUNDLE_NAME)];
}

async function locateAgent(explicit: string | undefined): Promise<string> {
  const candidates = explicit ? [path.resolve(explicit)] : defaultAgentCandidates();
  for (const candidate of candidates) {
    if ((await fsp.stat(candidate).catch(() => undefined))?.isFile()) return candidate;
  }
  throw new UserFacingError(`The PerfLens capture agent was not found (looked at ${candidates.join(', ')}). Build it with \`node esbuild.mjs\`.`);
}

function envKey(env: NodeJS.ProcessEnv, name: string): string {
  if (process.platform !== 'win32') return name;
  return Object.keys(env).find((k) => k.toUpperCase() === name) ?? name;
}

function buildEnv(options: RunOptions, resolved: ResolvedTarget, agentPath: string, outDir: string, runId: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  const nodeOptionsKey = envKey(env, 'NODE_OPTIONS');
  env[nodeOptionsKey] = nodeOptionsWithAgent(agentPath, env[nodeOptionsKey], resolved.nodeOptions ?? []);
  if (resolved.pathPrepend && resolved.pathPrepend.length > 0) {
    const pathKey = envKey(env, 'PATH');
    env[pathKey] = [...resolved.pathPrepend, env[pathKey] ?? ''].filter(Boolean).join(path.delimiter);
  }
  env[ENV_OUT_DIR] = outDir;
  env[ENV_INTERVAL_US] = String(Math.max(1, Math.round(options.samplingIntervalUs ?? 1000)));
  env[ENV_HEAP] = options.heapProfile === false ? '0' : '1';
  if (options.heapSamplingIntervalBytes) env[ENV_HEAP_INTERVAL_BYTES] = String(Math.round(options.heapSamplingIntervalBytes));
  else delete env[ENV_HEAP_INTERVAL_BYTES];
  env[ENV_RUN_ID] = runId;
  env[ENV_STOP_WATCHER] = options.captureBusyProcesses === false ? '0' : '1';
  return env;
}

function describeSpawnError(err: NodeJS.ErrnoException, file: string, cwd: string): string {
  if (err.code === 'ENOENT') {
    const what = path.basename(file).replace(/\.exe$/i, '') === 'node'
      ? `node was not found${path.isAbsolute(file) ? ` at ${file}` : ' on PATH'} (set perflens.profile.nodePath)`
      : `${file} was not found`;
    return `${what}; working directory ${cwd}.`;
  }
  if (err.code === 'EACCES') return `${file} is not executable (${err.message}).`;
  return `Could not start ${file}: ${err.message}`;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One run: owns the child process, its timers and listeners, and ends them all. */
class ProfiledRun {
  private readonly stderrTail = new OutputTail();
  private readonly cleanups: Array<() => void> = [];
  private readonly killGraceMs: number;
  private tree: ProcessTree | undefined;
  private ending: Promise<void> | undefined;
  private outputErrorLogged = false;
  timedOut = false;
  cancelled = false;

  constructor(
    private readonly options: RunOptions,
    private readonly resolved: ResolvedTarget,
    private readonly env: NodeJS.ProcessEnv,
    private readonly outDir: string,
    private readonly log: Logger,
  ) {
    this.killGraceMs = Math.max(0, options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  }

  get stderr(): string {
    return this.stderrTail.toString();
  }

  async run(): Promise<{ exit?: Exit; wallMs: number; startError?: string }> {
    const { file, args, cwd } = this.resolved;
    const ownGroup = process.platform !== 'win32';
    const started = performance.now();
    let child: ChildProcess;
    try {
      child = spawn(file, args, { cwd, env: this.env, stdio: ['ignore', 'pipe', 'pipe'], detached: ownGroup, shell: false, windowsHide: true });
    } catch (err) {
      return { wallMs: 0, startError: describeSpawnError(err as NodeJS.ErrnoException, file, cwd) };
    }
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const outcome = await new Promise<{ exit: Exit } | { error: Error }>((resolve) => {
      child.once('error', (error) => resolve({ error }));
      child.once('exit', (code, signal) => resolve({ exit: { code, signal } }));
      if (child.pid !== undefined) this.watch(child, child.pid, ownGroup);
    });
    const wallMs = performance.now() - started;
    try {
      if ('error' in outcome) {
        if (child.pid === undefined) return { wallMs, startError: describeSpawnError(outcome.error as NodeJS.ErrnoException, file, cwd) };
        this.log.warn(`Error from the profiled process: ${outcome.error.message}`);
        await this.endTree();
        return { wallMs };
      }
      // The root is gone; anything of the tree still running would hold the output open and keep
      // running unseen. End it the same way (its profiles are written on SIGTERM).
      if (this.tree && !this.ending) {
        this.tree.refresh();
        const leftovers = this.tree.alive();
        if (leftovers.length > 0) {
          this.log.info(`The program exited and left ${leftovers.length} process(es) running (${leftovers.map((p) => p.pid).join(', ')}); ending them.`);
          await this.endTree();
        }
      }
      if (this.ending) await this.ending;
      await settleWithin(closed, STDIO_DRAIN_MS);
      child.stdout?.destroy();
      child.stderr?.destroy();
      return { exit: outcome.exit, wallMs };
    } finally {
      for (const cleanup of this.cleanups.splice(0)) cleanup();
    }
  }

  private watch(child: ChildProcess, pid: number, ownGroup: boolean): void {
    this.tree = new ProcessTree(pid, ownGroup, ENV_RUN_ID, this.env[ENV_RUN_ID]);
    const tree = this.tree;
    this.log.debug(`Started ${pid}: ${[this.resolved.file, ...this.resolved.args].join(' ')}`);

    // If the host process ends (or crashes) during the run, take the tree with it.
    const onHostExit = (): void => {
      try {
        tree.refresh();
        tree.signal('SIGKILL');
      } catch {
        // exiting anyway
      }
    };
    process.on('exit', onHostExit);
    this.cleanups.push(() => process.removeListener('exit', onHostExit));

    const { signal, timeoutMs } = this.options;
    if (signal) {
      const onAbort = (): void => {
        this.cancelled = true;
        this.log.info('Profiling run cancelled; ending the process tree.');
        void this.endTree();
      };
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        this.cleanups.push(() => signal.removeEventListener('abort', onAbort));
      }
    }
    if (timeoutMs && timeoutMs > 0) {
      const timer = setTimeout(() => {
        this.timedOut = true;
        this.log.info(`Profiling run timed out after ${timeoutMs} ms; ending the process tree.`);
        void this.endTree();
      }, timeoutMs);
      this.cleanups.push(() => clearTimeout(timer));
    }

    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = child[stream];
      if (!readable) continue;
      // setEncoding decodes with a StringDecoder: characters split across chunks stay whole.
      readable.setEncoding('utf8');
      readable.on('data', (text: string) => {
        if (stream === 'stderr') this.stderrTail.push(text);
        this.emitOutput(stream, text);
      });
      readable.on('error', () => {
        // The pipe broke; the exit status tells the rest.
      });
    }
  }

  private emitOutput(stream: 'stdout' | 'stderr', text: string): void {
    if (!this.options.onOutput) return;
    try {
      this.options.onOutput(stream, text);
    } catch (err) {
      if (!this.outputErrorLogged) this.log.error(err instanceof Error ? err : String(err));
      this.outputErrorLogged = true;
    }
  }

  /** Ends every process of the tree: SIGTERM, stop request, SIGKILL after the grace period. */
  endTree(): Promise<void> {
    this.ending ??= this.terminateTree();
    return this.ending;
  }

  private async terminateTree(): Promise<void> {
    const tree = this.tree;
    if (!tree) return;
    tree.refresh();
    const signalled = new Set(tree.signal('SIGTERM'));
    const t0 = Date.now();
    const stopAt = Math.min(STOP_REQUEST_DELAY_MS, this.killGraceMs / 2);
    let stopRequested = false;
    let lastScan = t0;
    while (Date.now() - t0 < this.killGraceMs) {
      await delay(POLL_MS);
      const elapsed = Date.now() - t0;
      if (!stopRequested && elapsed >= stopAt) {
        stopRequested = true;
        await this.requestStop();
      }
      if (Date.now() - lastScan >= RESCAN_MS || tree.alive().length === 0) {
        lastScan = Date.now();
        tree.refresh();
        // Processes started since (a handler spawning a child, say) are ended too.
        const fresh = tree.alive().filter((p) => !signalled.has(p.pid)).map((p) => p.pid);
        for (const pid of tree.signal('SIGTERM', new Set(fresh))) signalled.add(pid);
        if (tree.alive().length === 0) return;
      }
    }
    tree.refresh();
    const remaining = tree.alive();
    if (remaining.length > 0) {
      this.log.info(`Killing ${remaining.length} process(es) still running ${this.killGraceMs} ms after SIGTERM: ${remaining.map((p) => p.pid).join(', ')}.`);
      tree.signal('SIGKILL');
    }
  }

  /** Asks every agent of the run to write its profile now (see the agent's watcher thread). */
  private async requestStop(): Promise<void> {
    try {
      await fsp.writeFile(path.join(this.outDir, CONTROL_DIR, STOP_REQUEST_FILE), '');
    } catch (err) {
      this.log.warn(`Cannot write the stop request: ${(err as Error).message}`);
    }
  }
}

/**
 * Runs `options.target` with CPU (and heap) profiling of every Node process and worker thread it
 * starts, and returns how it ended with the captured processes.
 *
 * Rejects with a UserFacingError when the target cannot be prepared (file missing, npm script
 * unknown, TypeScript that esbuild cannot compile, agent bundle missing). When the program cannot
 * be started (node not found, working directory missing) the result carries `startError`.
 */
export async function runProfiled(options: RunOptions): Promise<RunResult> {
  const log = options.log;
  const agentPath = await locateAgent(options.agentPath);
  const resolved = await resolveTarget(options, log);
  const outDir = options.outDir ? path.resolve(options.outDir) : await fsp.mkdtemp(path.join(os.tmpdir(), 'perflens-run-'));
  const controlDir = path.join(outDir, CONTROL_DIR);
  await fsp.mkdir(controlDir, { recursive: true });
  // A stop request left by an earlier run would make every new process stop at once.
  await fsp.rm(path.join(controlDir, STOP_REQUEST_FILE), { force: true });
  const runId = randomUUID();
  const env = buildEnv(options, resolved, agentPath, outDir, runId);
  const result: RunResult = {
    command: [resolved.file, ...resolved.args],
    cwd: resolved.cwd,
    exitCode: null,
    signal: null,
    wallMs: 0,
    timedOut: false,
    cancelled: false,
    stderrTail: '',
    outDir,
    processes: [],
  };
  if (resolved.generated) result.generated = resolved.generated;

  try {
    const cwdStat = await fsp.stat(resolved.cwd).catch(() => undefined);
    if (!cwdStat?.isDirectory()) {
      result.startError = `The working directory ${resolved.cwd} does not exist.`;
      return result;
    }
    if (options.signal?.aborted) {
      result.cancelled = true;
      return result;
    }

    // Captures of earlier runs in the same folder are older than this (slack for rounding).
    const since = Date.now() - 50;
    const run = new ProfiledRun(options, resolved, env, outDir, log);
    const outcome = await run.run();
    result.wallMs = Math.round(outcome.wallMs);
    result.exitCode = outcome.exit?.code ?? null;
    result.signal = outcome.exit?.signal ?? null;
    result.timedOut = run.timedOut;
    result.cancelled = run.cancelled;
    result.stderrTail = run.stderr;
    if (outcome.startError) {
      result.startError = outcome.startError;
      return result;
    }
    const captures = await readCaptures(outDir, since, log);
    result.processes = captures.processes;
    if (captures.uncaptured.length > 0) {
      result.uncaptured = captures.uncaptured;
      log.warn(`${captures.uncaptured.length} profiled thread(s) ended without writing a profile: ${captures.uncaptured.map((p) => `${p.pid}/${p.threadId}`).join(', ')}.`);
    }
  } finally {
    await fsp.rm(controlDir, { recursive: true, force: true });
  }
  log.info(`Run ended (exit ${result.exitCode ?? result.signal}) in ${result.wallMs} ms; ${result.processes.length} profile(s) in ${outDir}.`);
  return result;
}
