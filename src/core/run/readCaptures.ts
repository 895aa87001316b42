/**
 * Reads back what the agent wrote into a run's out dir. Tolerant: a missing, truncated or foreign
 * file is skipped with a warning, never an exception.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from '../log';
import { CAPTURE_META_FORMAT, CAPTURE_META_VERSION, parseCaptureFileName } from './captureFiles';
import type { CapturedProcess, UncapturedProcess } from './types';

export interface CaptureReadResult {
  processes: CapturedProcess[];
  uncaptured: UncapturedProcess[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * A cheap completeness check for a profile that may be tens of MB: JSON object text whose last
 * non-blank character closes it. The agent writes through a rename, so a torn file is rare.
 */
async function looksComplete(file: string): Promise<boolean> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const { size } = await handle.stat();
    if (size < 2) return false;
    const head = Buffer.alloc(1);
    await handle.read(head, 0, 1, 0);
    const tailLength = Math.min(64, size);
    const tail = Buffer.alloc(tailLength);
    await handle.read(tail, 0, tailLength, size - tailLength);
    return head.toString() === '{' && tail.toString('utf8').trimEnd().endsWith('}');
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
}

/**
 * The processes captured in `outDir` that started at or after `since` (epoch ms), oldest first.
 * Files of earlier runs in the same folder are ignored.
 */
export async function readCaptures(outDir: string, since: number, log: Logger): Promise<CaptureReadResult> {
  let names: string[];
  try {
    names = await fs.readdir(outDir);
  } catch (err) {
    log.warn(`Cannot read the profile folder ${outDir}: ${(err as Error).message}`);
    return { processes: [], uncaptured: [] };
  }
  const present = new Set(names);
  const processes: CapturedProcess[] = [];
  const uncaptured: UncapturedProcess[] = [];
  for (const name of names.sort()) {
    const parsed = parseCaptureFileName(name);
    if (!parsed) continue;
    const file = path.join(outDir, name);
    if (parsed.ext === 'started') {
      if (present.has(`${parsed.pid}-${parsed.threadId}.json`)) continue;
      let start: unknown;
      try {
        start = await readJson(file);
      } catch {
        continue;
      }
      if (!isRecord(start) || (num(start.startedAt) ?? 0) < since) continue;
      uncaptured.push({ pid: parsed.pid, threadId: parsed.threadId, argv: strings(start.argv), startedAt: num(start.startedAt) ?? 0 });
      continue;
    }
    if (parsed.ext !== 'json') continue;
    let meta: unknown;
    try {
      meta = await readJson(file);
    } catch (err) {
      log.warn(`Skipped the capture record ${file}: ${(err as Error).message}`);
      continue;
    }
    if (!isRecord(meta) || meta.format !== CAPTURE_META_FORMAT) {
      log.warn(`Skipped ${file}: not a PerfLens capture record.`);
      continue;
    }
    const version = num(meta.version) ?? 0;
    if (version > CAPTURE_META_VERSION) {
      log.warn(`Skipped ${file}: written by a newer PerfLens (format version ${version}, this one reads up to ${CAPTURE_META_VERSION}).`);
      continue;
    }
    const startedAt = num(meta.startedAt) ?? 0;
    if (startedAt < since) continue;
    const captured: CapturedProcess = {
      pid: num(meta.pid) ?? parsed.pid,
      ppid: num(meta.ppid) ?? 0,
      threadId: num(meta.threadId) ?? parsed.threadId,
      argv: strings(meta.argv),
      execArgv: strings(meta.execArgv),
      cwd: typeof meta.cwd === 'string' ? meta.cwd : '',
      startedAt,
      endedAt: num(meta.endedAt) ?? startedAt,
    };
    for (const [key, field] of [['cpuProfile', 'cpuProfilePath'], ['heapProfile', 'heapProfilePath']] as const) {
      const profileName = meta[key];
      if (typeof profileName !== 'string') continue;
      const profileFile = path.join(outDir, path.basename(profileName));
      if (await looksComplete(profileFile)) captured[field] = profileFile;
      else log.warn(`Skipped ${profileFile}: missing or truncated.`);
    }
    const maxRss = num(meta.maxRssBytes);
    if (maxRss !== undefined) captured.maxRssBytes = maxRss;
    const user = num(meta.cpuUserUs);
    if (user !== undefined) captured.cpuUserUs = user;
    const system = num(meta.cpuSystemUs);
    if (system !== undefined) captured.cpuSystemUs = system;
    if (typeof meta.endReason === 'string') captured.endReason = meta.endReason;
    const exitCode = num(meta.exitCode);
    if (exitCode !== undefined) captured.exitCode = exitCode;
    if (typeof meta.error === 'string') log.warn(`Process ${captured.pid} (thread ${captured.threadId}): ${meta.error}`);
    if (!captured.cpuProfilePath && !captured.heapProfilePath) {
      log.warn(`Process ${captured.pid} (thread ${captured.threadId}) left no readable profile; skipped.`);
      continue;
    }
    processes.push(captured);
  }
  processes.sort((a, b) => a.startedAt - b.startedAt || a.pid - b.pid || a.threadId - b.threadId);
  uncaptured.sort((a, b) => a.startedAt - b.startedAt);
  return { processes, uncaptured };
}
