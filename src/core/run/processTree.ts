/**
 * Finding and ending every process of a profiled run.
 *
 * The runner starts the program `detached`, so on POSIX it leads a new process group and one
 * `kill(-pgid)` reaches everything that stayed in the group. Processes that left the group
 * (`detached` children of their own) are found by walking parent links, and — on Linux — by the
 * run id every process of the tree inherits in its environment, which still finds orphans whose
 * parent already exited. Processes are identified by pid *and* start time, so a recycled pid is
 * never signalled.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** Opaque start time (clock ticks since boot on Linux); '' when unknown. */
  startTime: string;
  /** One-letter state; 'Z' for zombies, which are dead for our purposes. */
  state: string;
}

/** Parses the text of /proc/<pid>/stat; the command name may contain spaces and parentheses. */
export function parseProcStat(text: string): ProcessInfo | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // Fields after the command: state(3) ppid(4) pgrp(5) session(6) tty(7) tpgid(8) flags(9)
  // minflt(10) cminflt(11) majflt(12) cmajflt(13) utime(14) stime(15) cutime(16) cstime(17)
  // priority(18) nice(19) num_threads(20) itrealvalue(21) starttime(22)
  const rest = text.slice(close + 2).split(' ');
  const state = rest[0] ?? '';
  const ppid = Number(rest[1]);
  const pgid = Number(rest[2]);
  const startTime = rest[19] ?? '';
  if (!Number.isInteger(pid) || !Number.isInteger(ppid) || !Number.isInteger(pgid)) return undefined;
  return { pid, ppid, pgid, startTime, state };
}

function readProcStat(pid: number): ProcessInfo | undefined {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

const hasProcFs = process.platform === 'linux' && fs.existsSync('/proc/self/stat');

/** Every process of the machine the current user can see. */
export function listProcesses(): Map<number, ProcessInfo> {
  const result = new Map<number, ProcessInfo>();
  if (hasProcFs) {
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const info = readProcStat(Number(name));
      if (info) result.set(info.pid, info);
    }
    return result;
  }
  if (process.platform === 'win32') return result;
  try {
    const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,pgid=,stat='], { encoding: 'utf8', timeout: 5000 });
    for (const line of out.split('\n')) {
      const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)/.exec(line);
      if (!m) continue;
      const info = { pid: Number(m[1]), ppid: Number(m[2]), pgid: Number(m[3]), startTime: '', state: (m[4] ?? '').slice(0, 1) };
      result.set(info.pid, info);
    }
  } catch {
    // No ps: only the process group is reachable.
  }
  return result;
}

function environContains(pid: number, entry: string): boolean {
  try {
    const env = fs.readFileSync(`/proc/${pid}/environ`);
    return env.includes(Buffer.from(`\0${entry}\0`)) || env.subarray(0, entry.length + 1).equals(Buffer.from(`${entry}\0`));
  } catch {
    return false;
  }
}

function isAlive(info: ProcessInfo): boolean {
  if (info.state === 'Z' || info.state === 'X') return false;
  if (hasProcFs) {
    const now = readProcStat(info.pid);
    return now !== undefined && now.startTime === info.startTime && now.state !== 'Z' && now.state !== 'X';
  }
  try {
    process.kill(info.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sendSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone already (ESRCH) or not ours (EPERM).
  }
}

/** Tracks the processes of one run, from its root process. */
export class ProcessTree {
  private readonly members = new Map<number, ProcessInfo>();
  private readonly runIdEntry: string | undefined;

  /**
   * @param rootPid the process the runner started; with `ownGroup` it leads its process group.
   * @param runId the value of `envName` every process of the run inherits (Linux only).
   */
  constructor(
    readonly rootPid: number,
    private readonly ownGroup: boolean,
    envName?: string,
    runId?: string,
  ) {
    this.runIdEntry = envName && runId ? `${envName}=${runId}` : undefined;
  }

  /** Scans the machine for members (new children, orphans of the run) and drops dead ones. */
  refresh(): void {
    const all = listProcesses();
    const root = all.get(this.rootPid);
    if (root && !this.members.has(root.pid)) this.members.set(root.pid, root);
    for (const [pid, known] of this.members) {
      const now = all.get(pid);
      if (!now || (known.startTime !== '' && now.startTime !== known.startTime) || now.state === 'Z') this.members.delete(pid);
    }
    for (const info of all.values()) {
      if (info.state === 'Z' || info.pid === process.pid) continue;
      if ((this.ownGroup && info.pgid === this.rootPid) || (this.runIdEntry && hasProcFs && environContains(info.pid, this.runIdEntry))) {
        this.members.set(info.pid, info);
      }
    }
    // Descendants of members, whatever their group (children that started their own group).
    const children = new Map<number, ProcessInfo[]>();
    for (const info of all.values()) {
      const list = children.get(info.ppid);
      if (list) list.push(info);
      else children.set(info.ppid, [info]);
    }
    const queue = [...this.members.keys()];
    while (queue.length > 0) {
      const pid = queue.pop() as number;
      for (const child of children.get(pid) ?? []) {
        if (child.state === 'Z' || this.members.has(child.pid) || child.pid === process.pid) continue;
        this.members.set(child.pid, child);
        queue.push(child.pid);
      }
    }
  }

  /** Members known alive now (cheap: checks only known pids). */
  alive(): ProcessInfo[] {
    const result: ProcessInfo[] = [];
    for (const [pid, info] of this.members) {
      if (isAlive(info)) result.push(info);
      else this.members.delete(pid);
    }
    return result;
  }

  /** Sends `signal` to the process group and to every member still alive. */
  signal(signal: NodeJS.Signals, only?: Set<number>): number[] {
    if (process.platform === 'win32') {
      if (signal === 'SIGKILL' || signal === 'SIGTERM') killWindowsTree(this.rootPid);
      return [this.rootPid];
    }
    const sent: number[] = [];
    if (this.ownGroup && !only) sendSignal(-this.rootPid, signal);
    for (const info of this.alive()) {
      if (only && !only.has(info.pid)) continue;
      sendSignal(info.pid, signal);
      sent.push(info.pid);
    }
    return sent;
  }
}

function killWindowsTree(pid: number): void {
  try {
    execFileSync('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true, timeout: 10_000 });
  } catch {
    // Already gone.
  }
}
