/**
 * Reading and appending the benchmark history (JSON Lines, format version 1).
 *
 * The reader never throws on content: a line that is not a valid record is skipped with a warning
 * naming the file and the line; a record written by a newer PerfLens (`v` > 1) is reported and
 * kept out of the analysis, not guessed at. The writer appends one run with a single write on a
 * file opened with O_APPEND, so two runs appending at once never interleave partial lines.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { HISTORY_FORMAT_VERSION, type BenchResult, type GitInfo, type HistoryRecord, type MachineInfo } from './types';

export interface HistoryWarning {
  file: string;
  /** 1-based line number. */
  line: number;
  message: string;
}

export interface HistoryReadResult {
  records: HistoryRecord[];
  warnings: HistoryWarning[];
  /** Lines written by a newer PerfLens (their `v` is above HISTORY_FORMAT_VERSION). */
  newerVersionLines: number;
  /** The highest `v` seen, when newer than this reader. */
  newestVersion?: number;
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** Why `obj` is not a valid v1 record, or undefined when it is. */
function recordProblem(obj: Record<string, unknown>): string | undefined {
  for (const key of ['run', 'ts', 'suite', 'name', 'unit'] as const) {
    if (typeof obj[key] !== 'string') return `"${key}" must be a string`;
  }
  if (obj.commit !== null && typeof obj.commit !== 'string') return '"commit" must be a string or null';
  if (obj.branch !== null && typeof obj.branch !== 'string') return '"branch" must be a string or null';
  if (typeof obj.dirty !== 'boolean') return '"dirty" must be a boolean';
  const machine = obj.machine as Record<string, unknown> | null;
  if (typeof machine !== 'object' || machine === null || typeof machine.id !== 'string') return '"machine" must be an object with an "id"';
  if (obj.better !== 'lower' && obj.better !== 'higher') return '"better" must be "lower" or "higher"';
  if (!isFiniteNumber(obj.value)) return '"value" must be a finite number';
  if (obj.samples !== undefined && (!Array.isArray(obj.samples) || !obj.samples.every(isFiniteNumber))) return '"samples" must be an array of numbers';
  if (obj.stats !== undefined && (typeof obj.stats !== 'object' || obj.stats === null)) return '"stats" must be an object';
  return undefined;
}

/** Parses history text; `file` only names the source in warnings. */
export function parseHistory(text: string, file: string): HistoryReadResult {
  const records: HistoryRecord[] = [];
  const warnings: HistoryWarning[] = [];
  let newerVersionLines = 0;
  let newestVersion: number | undefined;
  let lineNo = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    const complete = end !== -1;
    if (!complete) end = text.length;
    lineNo++;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      warnings.push({ file, line: lineNo, message: complete ? 'not valid JSON, skipped' : 'truncated last line (no newline, not valid JSON), skipped' });
      continue;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      warnings.push({ file, line: lineNo, message: 'not a JSON object, skipped' });
      continue;
    }
    const rec = obj as Record<string, unknown>;
    if (!isFiniteNumber(rec.v) || rec.v < 1 || !Number.isInteger(rec.v)) {
      warnings.push({ file, line: lineNo, message: 'no format version "v", skipped' });
      continue;
    }
    if (rec.v > HISTORY_FORMAT_VERSION) {
      newerVersionLines++;
      newestVersion = Math.max(newestVersion ?? 0, rec.v);
      continue;
    }
    const problem = recordProblem(rec);
    if (problem) {
      warnings.push({ file, line: lineNo, message: `invalid record (${problem}), skipped` });
      continue;
    }
    records.push(rec as HistoryRecord);
  }
  if (newerVersionLines > 0) {
    warnings.push({
      file, line: 0,
      message: `${newerVersionLines} line(s) were written by a newer PerfLens (history format v${newestVersion}; this version reads v${HISTORY_FORMAT_VERSION}) and were not analysed — update PerfLens`,
    });
  }
  return { records, warnings, newerVersionLines, newestVersion };
}

/** Reads a history file; a missing file is an empty history. */
export async function readHistory(file: string): Promise<HistoryReadResult> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], warnings: [], newerVersionLines: 0 };
    throw err;
  }
  return parseHistory(text, file);
}

export function formatHistoryWarning(w: HistoryWarning): string {
  return w.line > 0 ? `${w.file}:${w.line}: ${w.message}` : `${w.file}: ${w.message}`;
}

export interface RunMeta {
  run: string;
  ts: string;
  git: GitInfo;
  machine: MachineInfo;
}

/** A run id that is unique enough for two machines appending at the same moment. */
export function newRunId(ts: string, random: () => number = Math.random): string {
  return `r-${ts}-${Math.floor(random() * 0x100000000).toString(16).padStart(8, '0')}`;
}

/** The records of one run, in the order given. */
export function toRecords(results: BenchResult[], meta: RunMeta, defaultSuite: string): HistoryRecord[] {
  return results.map((r) => {
    const rec: HistoryRecord = {
      v: HISTORY_FORMAT_VERSION,
      run: meta.run,
      ts: meta.ts,
      commit: meta.git.commit,
      branch: meta.git.branch,
      dirty: meta.git.dirty,
      machine: meta.machine,
      suite: r.suite ?? defaultSuite,
      name: r.name,
      unit: r.unit,
      better: r.better,
      value: r.value,
    };
    if (r.samples && r.samples.length > 0) rec.samples = r.samples;
    if (r.stats && Object.keys(r.stats).length > 0) rec.stats = r.stats;
    if (r.tool) rec.tool = r.tool;
    return rec;
  });
}

/**
 * Appends one run: every line in one write() on an O_APPEND descriptor, so concurrent writers
 * never interleave partial lines. A file whose last line lacks its newline (an interrupted
 * writer) gets one first, so the torn line stays alone and is skipped by readers.
 */
export async function appendRecords(file: string, records: HistoryRecord[]): Promise<void> {
  if (records.length === 0) return;
  await fs.mkdir(path.dirname(file), { recursive: true });
  let prefix = '';
  try {
    const fh = await fs.open(file, 'r');
    try {
      const { size } = await fh.stat();
      if (size > 0) {
        const last = Buffer.alloc(1);
        await fh.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) prefix = '\n';
      }
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const data = Buffer.from(prefix + records.map((r) => JSON.stringify(r)).join('\n') + '\n', 'utf8');
  const fh = await fs.open(file, 'a');
  try {
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await fh.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
  } finally {
    await fh.close();
  }
}
