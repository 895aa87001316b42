/** Configured benchmarks (`.perflens/config.json` `benchmarks`): run, import, append one run. */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { splitCommandLine } from '../commandLine';
import { appendRecords, newRunId, toRecords } from './history';
import { currentMachine, gitInfo } from './environment';
import { importBenchOutput, isBenchFormat, type BenchFormat } from './importers';
import type { BenchResult, GitInfo, HistoryRecord, MachineInfo } from './types';

export interface BenchmarkConfig {
  name: string;
  /** argv array, or a command line split on whitespace and quotes (no shell). */
  command: string | string[];
  format: BenchFormat;
  cwd?: string;
  /** Run the command this many times; the results become one record with the runs as samples. */
  repeat?: number;
  /** Read the tool's output from this file instead of stdout (relative to cwd). */
  output?: string;
}

export class BenchConfigError extends Error {}

/**
 * Reads `.perflens/config.json` (or another config file): [] when it does not exist, a
 * BenchConfigError naming the file when it is not valid JSON or not a list of benchmarks.
 */
export async function readBenchmarkConfigFile(file: string, label = file): Promise<BenchmarkConfig[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new BenchConfigError(`cannot read ${label}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new BenchConfigError(`${label}: not valid JSON (${(error as Error).message})`);
  }
  return parseBenchmarkConfigs(data, label);
}

export function parseBenchmarkConfigs(data: unknown, file = 'config.json'): BenchmarkConfig[] {
  const list = (data as { benchmarks?: unknown } | null)?.benchmarks;
  if (!Array.isArray(list)) throw new BenchConfigError(`${file}: expected { "benchmarks": [ … ] }`);
  return list.map((e: unknown, i) => {
    const b = e as Record<string, unknown> | null;
    const where = `${file}: benchmarks[${i}]`;
    if (typeof b !== 'object' || b === null) throw new BenchConfigError(`${where} must be an object`);
    if (typeof b.name !== 'string' || b.name === '') throw new BenchConfigError(`${where}.name must be a string`);
    const commandOk = typeof b.command === 'string' ? b.command.trim() !== '' : Array.isArray(b.command) && b.command.length > 0 && b.command.every((x) => typeof x === 'string');
    if (!commandOk) throw new BenchConfigError(`${where}.command must be a command line or an argv array`);
    if (typeof b.format !== 'string' || !isBenchFormat(b.format)) throw new BenchConfigError(`${where}.format must be one of the importer names`);
    if (b.cwd !== undefined && typeof b.cwd !== 'string') throw new BenchConfigError(`${where}.cwd must be a string`);
    if (b.output !== undefined && typeof b.output !== 'string') throw new BenchConfigError(`${where}.output must be a string`);
    if (b.repeat !== undefined && (typeof b.repeat !== 'number' || !Number.isInteger(b.repeat) || b.repeat < 1 || b.repeat > 1000)) throw new BenchConfigError(`${where}.repeat must be an integer 1–1000`);
    const cfg: BenchmarkConfig = { name: b.name, command: b.command as string | string[], format: b.format };
    if (typeof b.cwd === 'string') cfg.cwd = b.cwd;
    if (typeof b.output === 'string') cfg.output = b.output;
    if (typeof b.repeat === 'number') cfg.repeat = b.repeat;
    return cfg;
  });
}

export function commandArgv(command: string | string[]): string[] {
  return Array.isArray(command) ? command : splitCommandLine(command);
}

/**
 * Runs a command without a shell; resolves with stdout, rejects on a non-zero exit. On POSIX the
 * command leads its own process group, so aborting ends it and every process it started.
 */
export function runCommand(argv: string[], cwd: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
      return;
    }
    const group = process.platform !== 'win32';
    const child = spawn(argv[0]!, argv.slice(1), { cwd, shell: false, stdio: ['ignore', 'pipe', 'pipe'], detached: group, windowsHide: true });
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (sig: NodeJS.Signals): void => {
      try {
        if (group && child.pid !== undefined) process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        // already gone
      }
    };
    const onAbort = (): void => {
      kill('SIGTERM');
      killTimer = setTimeout(() => kill('SIGKILL'), 2000);
      killTimer.unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
    child.on('error', (e) => {
      signal?.removeEventListener('abort', onAbort);
      reject(new Error(`${argv[0]}: ${e.message}`));
    });
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) {
        // Whatever the command left in its group goes too.
        kill('SIGKILL');
        clearTimeout(killTimer);
        reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
      } else if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`${argv.join(' ')} exited with ${code ?? sig}${err ? `: ${err.trim().split('\n').slice(-3).join(' / ')}` : ''}`));
    });
  });
}

export interface RunBenchmarksOptions {
  root: string;
  historyFile: string;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
  /** For tests: fixed metadata. */
  git?: GitInfo;
  machine?: MachineInfo;
  now?: () => Date;
}

/** Merges repeated results of one benchmark into one (their values become the samples). */
function mergeRepeats(runs: BenchResult[][]): BenchResult[] {
  if (runs.length === 1) return runs[0]!;
  const byKey = new Map<string, BenchResult[]>();
  for (const list of runs) for (const r of list) {
    const key = JSON.stringify([r.suite, r.name, r.unit]);
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  return [...byKey.values()].map((rs) => {
    const values = rs.map((r) => r.value).sort((a, b) => a - b);
    const mid = values.length / 2;
    const med = values.length % 2 ? values[Math.floor(mid)]! : (values[mid - 1]! + values[mid]!) / 2;
    return { ...rs[0]!, value: med, samples: rs.map((r) => r.value), stats: { n: rs.length } };
  });
}

/** Runs every configured benchmark, imports its output and appends one run to the history. */
export async function runBenchmarks(configs: BenchmarkConfig[], options: RunBenchmarksOptions): Promise<HistoryRecord[]> {
  const all: BenchResult[] = [];
  for (const cfg of configs) {
    const cwd = path.resolve(options.root, cfg.cwd ?? '.');
    const runs: BenchResult[][] = [];
    const repeat = cfg.repeat ?? 1;
    for (let i = 0; i < repeat; i++) {
      options.signal?.throwIfAborted();
      options.onProgress?.(`${cfg.name}${repeat > 1 ? ` (${i + 1}/${repeat})` : ''}`);
      const stdout = await runCommand(commandArgv(cfg.command), cwd, options.signal);
      const text = cfg.output ? await fs.readFile(path.resolve(cwd, cfg.output), 'utf8') : stdout;
      runs.push(importBenchOutput(cfg.format, text, { fileName: cfg.output ?? `${cfg.name} (stdout)` }));
    }
    for (const r of mergeRepeats(runs)) all.push({ ...r, suite: r.suite ? `${cfg.name}/${r.suite}` : cfg.name });
  }
  const ts = (options.now?.() ?? new Date()).toISOString();
  const records = toRecords(all, {
    run: newRunId(ts), ts,
    git: options.git ?? await gitInfo(options.root),
    machine: options.machine ?? currentMachine(),
  }, 'default');
  await appendRecords(options.historyFile, records);
  return records;
}
