import type { Logger } from '../log';

/** What to profile. */
export type RunTarget =
  /** A JavaScript or TypeScript file; TypeScript runs from its compiled output or through esbuild. */
  | { kind: 'script'; file: string; args?: string[] }
  /** `npm run <script>` in the folder holding package.json. */
  | { kind: 'npm'; script: string; packageDir: string; args?: string[] }
  /** Any command line; only Node processes it starts are profiled. */
  | { kind: 'command'; command: string; args: string[] };

export interface RunOptions {
  target: RunTarget;
  /** Working directory of the program (defaults to the script's folder / packageDir). */
  cwd?: string;
  /** The `node` to run; default `node` from PATH. Never process.execPath (Electron inside VS Code). */
  nodePath?: string;
  /** Extra arguments for node (before the script). */
  nodeArgs?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** CPU sampling interval in microseconds; default 1000. */
  samplingIntervalUs?: number;
  /** Capture a sampling heap profile too; default true. */
  heapProfile?: boolean;
  /** Mean bytes allocated between heap samples; default 131072 (smaller is finer and slower). */
  heapSamplingIntervalBytes?: number;
  /**
   * Start the agent's watcher thread in each process, so that cancel/timeout also captures
   * processes stuck in a busy loop; default true. Costs ~25 ms of CPU (on another core) and
   * ~6–14 MB per process.
   */
  captureBusyProcesses?: boolean;
  /** End the whole process tree after this long; 0 or undefined = no limit. */
  timeoutMs?: number;
  /** Where profiles are written; default a fresh temp folder. */
  outDir?: string;
  /** The capture agent bundle (dist/perflens-agent.js); default found next to the running bundle. */
  agentPath?: string;
  /** Cancels the run: the whole process tree is ended and what was captured is kept. */
  signal?: AbortSignal;
  /** Live output of the program. */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  /** How long ended processes get to write their profiles before SIGKILL; default 3000 ms. */
  killGraceMs?: number;
  log: Logger;
}

/** One Node process (or worker thread) the agent captured. */
export interface CapturedProcess {
  pid: number;
  ppid: number;
  /** 0 for the main thread, else the worker's threadId. */
  threadId: number;
  argv: string[];
  execArgv: string[];
  cwd: string;
  /** Epoch ms. */
  startedAt: number;
  endedAt: number;
  cpuProfilePath?: string;
  heapProfilePath?: string;
  maxRssBytes?: number;
  cpuUserUs?: number;
  cpuSystemUs?: number;
  /**
   * How the capture ended: `exit`, `uncaught-exception`, `unhandled-rejection`, `signal:SIGTERM`
   * (or another signal), `cancelled` (the runner ended the run), `worker-terminate` /
   * `main-thread-exit` (a worker thread stopped by its parent or by the process ending).
   */
  endReason?: string;
  /** The exit code, when the capture happened at 'exit'. */
  exitCode?: number;
}

/** A Node process (or worker thread) that started being profiled but wrote no profile. */
export interface UncapturedProcess {
  pid: number;
  threadId: number;
  argv: string[];
  startedAt: number;
}

export interface RunResult {
  /** The command line that was started (for messages). */
  command: string[];
  cwd: string;
  exitCode: number | null;
  signal: string | null;
  wallMs: number;
  timedOut: boolean;
  cancelled: boolean;
  /** The last lines of stderr (at most ~4 KB), for the failure message. */
  stderrTail: string;
  outDir: string;
  processes: CapturedProcess[];
  /** Set when the program could not be started at all (node not found, bad cwd…). */
  startError?: string;
  /** For a TypeScript target transpiled by esbuild: the JavaScript that ran (its .map is next to it). */
  generated?: string;
  /**
   * Processes that started being profiled but wrote nothing: killed with SIGKILL after the grace
   * period, or worker threads terminated while busy.
   */
  uncaptured?: UncapturedProcess[];
}
