/**
 * The capture agent. The runner preloads it into every Node process of a profiled run with
 * `NODE_OPTIONS=--require "<dist/perflens-agent.js>"`; children inherit NODE_OPTIONS, and worker threads
 * run NODE_OPTIONS preloads too, so each thread of the tree profiles itself:
 *
 * - CPU: `Profiler.start` on an in-process `node:inspector` Session (same thread).
 * - Heap: `HeapProfiler.startSampling`, counting objects the GC already collected too, so the
 *   profile shows what each line allocated, not only what is still alive at the end.
 * - At the end the profiles are taken with `Profiler.stop` / `HeapProfiler.stopSampling`. A
 *   same-thread Session answers synchronously (its callbacks run before `post` returns — checked
 *   on Node 20), so this works inside `process.on('exit')`, where nothing asynchronous runs.
 *
 * Ends that are captured: the program running out of work, `process.exit()` anywhere, an uncaught
 * exception or rejection ('exit' still fires), SIGTERM/SIGINT/SIGHUP when the program has no
 * handler of its own (profiles are written, our handler is removed and the signal is raised again
 * so the exit status stays honest), and a stop request from the runner: a small watcher thread
 * sees `<outDir>/control/stop` and has the main thread write its profiles through an inspector
 * interrupt, which runs even when the main thread is stuck in a busy loop.
 *
 * The agent must stay invisible: it writes nothing to the program's stdout/stderr (except one line
 * when it cannot write its profile) and adds nothing to the program's hot path.
 *
 * Configuration comes from the environment (see captureFiles.ts). Only `node:` built-ins may be
 * imported here: this file is bundled on its own into dist/perflens-agent.js.
 */
import * as fs from 'node:fs';
import * as inspector from 'node:inspector';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as workerThreads from 'node:worker_threads';
import {
  CAPTURE_META_FORMAT, CAPTURE_META_VERSION, CONTROL_DIR, ENV_HEAP, ENV_HEAP_INTERVAL_BYTES, ENV_INTERVAL_US, ENV_OUT_DIR, ENV_STOP_WATCHER,
  STOP_REQUEST_FILE, captureBaseName, type CaptureMeta,
} from './captureFiles';
import { fillHeapFramesFromCpuProfile } from './heapFrames';
import { isPackageManagerFrontEnd } from './packageManagers';

const LOADED_KEY = Symbol.for('perflens.agent.loaded');
/** The main thread's stop-request entry point, called by the watcher thread through the inspector. */
const STOP_KEY = 'perflens.agent.stop';
/** Workers created by the agent itself carry this in workerData and are never profiled. */
const WATCHER_MARK = '__perflensStopWatcher';
const HANDLED_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
/**
 * A worker asked to write its profile first acknowledges (`<pid>-<tid>.flushing`); one that does
 * not within this time is busy and is given up, so terminate() and exit are delayed only briefly.
 */
const WORKER_ACK_WAIT_MS = 250;
/** How long an acknowledged worker may take to write its files. */
const WORKER_WRITE_WAIT_MS = 10_000;
/**
 * Heap sampling interval. Measured on bench/overhead (allocation-heavy): 32 KB (DevTools' choice)
 * slowed the program ~9%, 128 KB ~3% — as much as CPU profiling alone. `--heap-prof` uses 512 KB.
 */
const DEFAULT_HEAP_SAMPLING_BYTES = 128 * 1024;

type FlushRequest = { kind: 'perflens-flush'; threadIds: number[] | 'all'; reason: string };

interface AgentState {
  outDir: string;
  pid: number;
  threadId: number;
  startedAt: number;
  session: inspector.Session;
  heap: boolean;
  done: boolean;
  /** Set by uncaughtExceptionMonitor when nothing handles the error, so 'exit' can say why. */
  pendingReason?: string;
  /** Worker threads whose profile we stopped waiting for (they ignored the flush request). */
  abandonedThreads: Set<number>;
  channel?: workerThreads.BroadcastChannel;
}

function writeStderrLine(message: string): void {
  try {
    fs.writeSync(2, `perflens: ${message}\n`);
  } catch {
    // stderr closed: nothing left to tell.
  }
}

function writeFileAtomic(file: string, data: string): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function startProfiling(outDir: string): AgentState | undefined {
  const session = new inspector.Session();
  session.connect();
  const intervalUs = Number(process.env[ENV_INTERVAL_US] ?? '') || 1000;
  const heap = process.env[ENV_HEAP] !== '0';
  const heapIntervalBytes = Number(process.env[ENV_HEAP_INTERVAL_BYTES] ?? '') || DEFAULT_HEAP_SAMPLING_BYTES;
  let failure: string | undefined;
  const check = (what: string) => (err: Error | null) => {
    if (err && failure === undefined) failure = `${what}: ${err.message}`;
  };
  // Same-thread sessions answer before post() returns, so `failure` is final after these lines.
  session.post('Profiler.enable', check('Profiler.enable'));
  session.post('Profiler.setSamplingInterval', { interval: Math.max(1, Math.round(intervalUs)) }, check('Profiler.setSamplingInterval'));
  session.post('Profiler.start', check('Profiler.start'));
  if (heap) {
    session.post('HeapProfiler.startSampling', {
      samplingInterval: Math.max(1024, Math.round(heapIntervalBytes)),
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    } as inspector.HeapProfiler.StartSamplingParameterType, check('HeapProfiler.startSampling'));
  }
  if (failure !== undefined) {
    writeStderrLine(`cannot profile process ${process.pid}: ${failure}`);
    session.disconnect();
    return undefined;
  }
  return {
    outDir,
    pid: process.pid,
    threadId: workerThreads.threadId,
    startedAt: Math.round(performance.timeOrigin),
    session,
    heap,
    done: false,
    abandonedThreads: new Set(),
  };
}

function baseMeta(state: AgentState): Omit<CaptureMeta, 'endedAt' | 'maxRssBytes' | 'cpuUserUs' | 'cpuSystemUs' | 'endReason'> {
  return {
    format: CAPTURE_META_FORMAT,
    version: CAPTURE_META_VERSION,
    pid: state.pid,
    ppid: process.ppid,
    threadId: state.threadId,
    argv: process.argv,
    execArgv: process.execArgv,
    cwd: process.cwd(),
    startedAt: state.startedAt,
  };
}

/** Stops this thread's profilers and writes its files. Runs at most once per thread. */
function captureThread(state: AgentState, reason: string, exitCode?: number): void {
  if (state.done) return;
  state.done = true;
  const endedAt = Date.now();
  let cpuProfile: inspector.Profiler.Profile | undefined;
  let heapProfile: inspector.HeapProfiler.SamplingHeapProfile | undefined;
  const errors: string[] = [];
  try {
    state.session.post('Profiler.stop', (err, result) => {
      if (err) errors.push(`Profiler.stop: ${err.message}`);
      else cpuProfile = result.profile;
    });
    if (state.heap) {
      state.session.post('HeapProfiler.stopSampling', (err, result) => {
        if (err) errors.push(`HeapProfiler.stopSampling: ${err.message}`);
        else heapProfile = result.profile;
      });
    }
    state.session.disconnect();
  } catch (err) {
    errors.push(String(err));
  }
  if (heapProfile && cpuProfile) {
    try {
      fillHeapFramesFromCpuProfile(heapProfile.head, cpuProfile, (p) => pathToFileURL(p).href);
    } catch (err) {
      errors.push(`heap frame positions: ${(err as Error).message}`);
    }
  }
  const usage = process.resourceUsage();
  const base = path.join(state.outDir, captureBaseName(state.pid, state.threadId));
  const meta: CaptureMeta = {
    ...baseMeta(state),
    endedAt,
    maxRssBytes: usage.maxRSS * 1024,
    cpuUserUs: usage.userCPUTime,
    cpuSystemUs: usage.systemCPUTime,
    endReason: reason,
  };
  if (exitCode !== undefined) meta.exitCode = exitCode;
  try {
    fs.mkdirSync(state.outDir, { recursive: true });
    if (cpuProfile) {
      writeFileAtomic(`${base}.cpuprofile`, JSON.stringify(cpuProfile));
      meta.cpuProfile = `${path.basename(base)}.cpuprofile`;
    }
    if (heapProfile) {
      writeFileAtomic(`${base}.heapprofile`, JSON.stringify(heapProfile));
      meta.heapProfile = `${path.basename(base)}.heapprofile`;
    }
    if (errors.length > 0) meta.error = errors.join('; ');
    writeFileAtomic(`${base}.json`, JSON.stringify(meta));
  } catch (err) {
    writeStderrLine(`could not write the profile of process ${state.pid} to ${state.outDir}: ${(err as Error).message}`);
  }
  try {
    state.channel?.postMessage({ kind: 'perflens-done', threadId: state.threadId });
  } catch {
    // The channel is gone at teardown; the runner reads the files anyway.
  }
}

interface WorkerThreadFiles {
  /** Started profiling and not written their profile yet. */
  live: number[];
  /** Of those, the ones that acknowledged a flush request. */
  acknowledged: Set<number>;
}

/** Worker threads of this process, from the files in the out dir (readable without the event loop). */
function workerThreadFiles(state: AgentState): WorkerThreadFiles {
  let names: string[];
  try {
    names = fs.readdirSync(state.outDir);
  } catch {
    return { live: [], acknowledged: new Set() };
  }
  const prefix = `${state.pid}-`;
  const started = new Set<number>();
  const finished = new Set<number>();
  const acknowledged = new Set<number>();
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^\d+-(\d+)\.(started|json|flushing)$/.exec(name);
    if (!m) continue;
    const tid = Number(m[1]);
    if (tid === state.threadId) continue;
    (m[2] === 'json' ? finished : m[2] === 'started' ? started : acknowledged).add(tid);
  }
  const live = [...started].filter((tid) => !finished.has(tid) && !state.abandonedThreads.has(tid));
  return { live, acknowledged };
}

function getChannel(state: AgentState): workerThreads.BroadcastChannel {
  if (!state.channel) {
    state.channel = new workerThreads.BroadcastChannel(`perflens:${state.pid}`);
    state.channel.unref();
  }
  return state.channel;
}

function requestWorkerFlush(state: AgentState, threadIds: number[], reason: string): boolean {
  try {
    getChannel(state).postMessage({ kind: 'perflens-flush', threadIds, reason } satisfies FlushRequest);
    return true;
  } catch {
    return false;
  }
}

/**
 * One step of waiting for flushed workers: the ones still to wait for. Workers that did not
 * acknowledge within WORKER_ACK_WAIT_MS (busy) or did not finish within WORKER_WRITE_WAIT_MS are
 * given up.
 */
function workersStillFlushing(state: AgentState, waiting: number[], since: number): number[] {
  const files = workerThreadFiles(state);
  const live = new Set(files.live);
  const elapsed = Date.now() - since;
  return waiting.filter((tid) => {
    if (!live.has(tid)) return false;
    const stillWaiting = files.acknowledged.has(tid) ? elapsed < WORKER_WRITE_WAIT_MS : elapsed < WORKER_ACK_WAIT_MS;
    if (!stillWaiting) state.abandonedThreads.add(tid);
    return stillWaiting;
  });
}

/**
 * Asks live worker threads to write their profiles and waits (blocking, bounded) until they did.
 * Used when the process is about to end: worker threads are stopped without their 'exit' event
 * then. Only workers whose event loop is free can answer; busy ones are given up.
 */
function flushWorkersSync(state: AgentState, reason: string): void {
  let waiting = workerThreadFiles(state).live;
  if (waiting.length === 0 || !requestWorkerFlush(state, waiting, reason)) return;
  const since = Date.now();
  while (waiting.length > 0) {
    sleepSync(5);
    waiting = workersStillFlushing(state, waiting, since);
  }
}

function captureMainThread(state: AgentState, reason: string, exitCode?: number): void {
  if (state.done) return;
  captureThread(state, reason, exitCode);
  flushWorkersSync(state, reason === 'exit' ? 'main-thread-exit' : reason);
}

/** Listeners the program itself has for `signal` (ours excluded). */
function programSignalListeners(signal: NodeJS.Signals, ours: ((s: NodeJS.Signals) => void) | undefined): number {
  return process.listeners(signal).filter((l) => l !== ours).length;
}

function installMainThreadHooks(state: AgentState): void {
  process.on('uncaughtExceptionMonitor', (_err, origin) => {
    if (process.listenerCount('uncaughtException') > 0) return; // the program handles it
    state.pendingReason = origin === 'unhandledRejection' ? 'unhandled-rejection' : 'uncaught-exception';
  });
  process.on('exit', (code) => captureMainThread(state, state.pendingReason ?? 'exit', code));

  const removeSignalHandlers = (): void => {
    for (const s of HANDLED_SIGNALS) process.removeListener(s, onSignal);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    // The program has its own handler: let it decide; 'exit' captures if it ends the process.
    if (programSignalListeners(signal, onSignal) > 0) return;
    captureMainThread(state, `signal:${signal}`);
    removeSignalHandlers();
    process.kill(process.pid, signal);
  };
  // Windows has no POSIX signal delivery to re-raise; the runner ends processes with taskkill there.
  if (process.platform !== 'win32') {
    for (const s of HANDLED_SIGNALS) process.on(s, onSignal);
  }

  // Called from the watcher thread through an inspector interrupt when the runner cancels the run.
  (globalThis as Record<symbol, unknown>)[Symbol.for(STOP_KEY)] = (): 'terminate' | 'keep' => {
    captureMainThread(state, 'cancelled');
    // The runner ends the tree with SIGTERM. When the program does not handle SIGTERM, the watcher
    // ends the process as that signal would, even if it arrived while the main thread was busy.
    if (process.platform !== 'win32' && programSignalListeners('SIGTERM', onSignal) === 0) {
      removeSignalHandlers();
      return 'terminate';
    }
    return 'keep';
  };
}

/**
 * The watcher thread's code. It is serialised with toString(), so it may use only its parameters
 * and globals — no imports, no helpers from this file.
 */
function stopWatcherMain(nodeRequire: NodeJS.Require, controlDir: string, stopFile: string, stopKey: string): void {
  const fsw = nodeRequire('node:fs') as typeof fs;
  const inspectorw = nodeRequire('node:inspector') as typeof inspector;
  const stopPath = `${controlDir}/${stopFile}`;
  let fired = false;
  const fireIfRequested = (): void => {
    if (fired || !fsw.existsSync(stopPath)) return;
    fired = true;
    const session = new inspectorw.Session();
    session.connectToMainThread();
    const expression = `(globalThis[Symbol.for(${JSON.stringify(stopKey)})] || (() => 'keep'))()`;
    session.post('Runtime.evaluate', { expression, returnByValue: true }, (err, reply) => {
      session.disconnect();
      if (!err && reply.result.value === 'terminate') process.kill(process.pid, 'SIGTERM');
    });
  };
  try {
    fsw.watch(controlDir, (_event, name) => {
      if (name === null || String(name) === stopFile) fireIfRequested();
    });
  } catch {
    return; // no watching possible: cancel falls back to signals
  }
  fireIfRequested();
}

function startStopWatcher(outDir: string): void {
  const controlDir = path.join(outDir, CONTROL_DIR);
  fs.mkdirSync(controlDir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Without NODE_OPTIONS the watcher thread does not preload this agent.
  delete env.NODE_OPTIONS;
  const args = [controlDir, STOP_REQUEST_FILE, STOP_KEY].map((a) => JSON.stringify(a)).join(', ');
  const watcher = new workerThreads.Worker(`(${stopWatcherMain.toString()})(require, ${args});`, {
    eval: true,
    env,
    execArgv: [],
    workerData: { [WATCHER_MARK]: true },
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
  });
  watcher.unref();
  watcher.on('error', () => {
    // The watcher is best effort; signals still capture an idle program.
  });
}

function installWorkerThreadHooks(state: AgentState): void {
  process.on('uncaughtExceptionMonitor', (_err, origin) => {
    if (process.listenerCount('uncaughtException') > 0) return;
    state.pendingReason = origin === 'unhandledRejection' ? 'unhandled-rejection' : 'uncaught-exception';
  });
  process.on('exit', (code) => captureThread(state, state.pendingReason ?? 'exit', code));
  const channel = getChannel(state);
  channel.onmessage = (event: unknown): void => {
    const data = (event as MessageEvent).data as FlushRequest | undefined;
    if (data?.kind !== 'perflens-flush') return;
    if (state.done || (data.threadIds !== 'all' && !data.threadIds.includes(state.threadId))) return;
    try {
      fs.writeFileSync(path.join(state.outDir, `${captureBaseName(state.pid, state.threadId)}.flushing`), '');
    } catch {
      // Without the acknowledgement the requester waits less; the profile is still written.
    }
    captureThread(state, data.reason);
  };
}

/**
 * `worker.terminate()` stops a worker without its 'exit' event, so its profile would be lost.
 * Worker pools terminate idle workers when they shut down; ask the worker to write its profile
 * first (bounded wait), then terminate it.
 */
function patchWorkerTerminate(state: AgentState): void {
  const proto = workerThreads.Worker.prototype;
  const terminate = proto.terminate;
  proto.terminate = function terminateAfterCapture(this: workerThreads.Worker): Promise<number> {
    const tid = this.threadId;
    if (tid < 0 || !workerThreadFiles(state).live.includes(tid) || !requestWorkerFlush(state, [tid], 'worker-terminate')) {
      return terminate.call(this);
    }
    const since = Date.now();
    return new Promise<void>((resolve) => {
      const poll = (): void => {
        if (workersStillFlushing(state, [tid], since).length === 0) resolve();
        else setTimeout(poll, 5);
      };
      poll();
    }).then(() => terminate.call(this));
  };
}

function main(): void {
  const outDir = process.env[ENV_OUT_DIR];
  if (!outDir) return;
  const g = globalThis as Record<symbol, unknown>;
  if (g[LOADED_KEY]) return; // preloaded twice (NODE_OPTIONS and execArgv)
  g[LOADED_KEY] = true;
  const data = workerThreads.workerData as Record<string, unknown> | null | undefined;
  if (!workerThreads.isMainThread && data && typeof data === 'object' && data[WATCHER_MARK] === true) return;
  if (workerThreads.isMainThread && isPackageManagerFrontEnd(process.argv[1])) return;

  let state: AgentState | undefined;
  try {
    state = startProfiling(outDir);
  } catch (err) {
    writeStderrLine(`cannot profile process ${process.pid}: ${(err as Error).message}`);
    return;
  }
  if (!state) return;
  try {
    fs.mkdirSync(outDir, { recursive: true });
    const started = path.join(outDir, `${captureBaseName(state.pid, state.threadId)}.started`);
    writeFileAtomic(started, JSON.stringify({ ...baseMeta(state), endedAt: 0 }));
  } catch (err) {
    writeStderrLine(`cannot write to ${outDir}: ${(err as Error).message}`);
  }
  patchWorkerTerminate(state);
  if (workerThreads.isMainThread) {
    installMainThreadHooks(state);
    if (process.env[ENV_STOP_WATCHER] !== '0') {
      try {
        startStopWatcher(outDir);
      } catch {
        // Best effort, as above.
      }
    }
  } else {
    installWorkerThreadHooks(state);
  }
}

try {
  main();
} catch (err) {
  // Never break the program because profiling could not start.
  writeStderrLine(`cannot profile process ${process.pid}: ${(err as Error).message}`);
}
