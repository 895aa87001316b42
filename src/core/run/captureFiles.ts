/**
 * The files the capture agent writes into a run's out dir, shared by the agent (writer) and the
 * runner (reader). Kept free of imports so the agent bundle stays small.
 *
 *   <pid>-<threadId>.started      written when a thread starts being profiled (its start meta)
 *   <pid>-<threadId>.cpuprofile   V8 CPU profile (Chrome DevTools format)
 *   <pid>-<threadId>.heapprofile  V8 sampling heap profile
 *   <pid>-<threadId>.json         the capture meta, written last: its presence means "complete"
 *   <pid>-<threadId>.flushing     a worker thread acknowledging a request to write its profile now
 *   control/stop                  created by the runner to ask every process to write its profile now
 */

export const CAPTURE_META_FORMAT = 'perflens-capture';
/** Version of the meta file; readers accept this and older, and report newer ones. */
export const CAPTURE_META_VERSION = 1;

/** Environment variables that configure the agent. */
export const ENV_OUT_DIR = 'PERFLENS_OUT_DIR';
export const ENV_INTERVAL_US = 'PERFLENS_INTERVAL_US';
export const ENV_HEAP = 'PERFLENS_HEAP';
/** Mean bytes allocated between two heap samples (V8's sampling interval). */
export const ENV_HEAP_INTERVAL_BYTES = 'PERFLENS_HEAP_INTERVAL';
/** `0` disables the stop-request watcher thread (then busy processes cannot be captured on cancel). */
export const ENV_STOP_WATCHER = 'PERFLENS_STOP_WATCHER';
/** A unique id per run; every process of the tree inherits it, which lets the runner find them. */
export const ENV_RUN_ID = 'PERFLENS_RUN_ID';

export const CONTROL_DIR = 'control';
export const STOP_REQUEST_FILE = 'stop';

/** The meta file as the agent writes it. */
export interface CaptureMeta {
  format: typeof CAPTURE_META_FORMAT;
  version: number;
  pid: number;
  ppid: number;
  threadId: number;
  argv: string[];
  execArgv: string[];
  cwd: string;
  startedAt: number;
  endedAt: number;
  maxRssBytes: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  endReason: string;
  exitCode?: number;
  cpuProfile?: string;
  heapProfile?: string;
  /** Set when the agent could not collect a profile; the reason. */
  error?: string;
}

export function captureBaseName(pid: number, threadId: number): string {
  return `${pid}-${threadId}`;
}

/** `<pid>-<threadId>.<ext>` → the numbers, or undefined for other names. */
export function parseCaptureFileName(name: string): { pid: number; threadId: number; ext: string } | undefined {
  const m = /^(\d+)-(\d+)\.(json|started|cpuprofile|heapprofile)$/.exec(name);
  if (!m) return undefined;
  return { pid: Number(m[1]), threadId: Number(m[2]), ext: m[3] ?? '' };
}
