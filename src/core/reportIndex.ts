import type { AllocationSite, FunctionHotspot, LineHotspot, ProfileReport } from './profile/report';

/** What the editor needs of a report for one file, looked up by absolute path. */
export interface FileHeat {
  file: string;
  /** 1-based line → hotspot. */
  lines: Map<number, LineHotspot>;
  functions: FunctionHotspot[];
  allocations: AllocationSite[];
  selfUs: number;
  selfPercent: number;
}

export const HEAT_LEVELS = 5;

/**
 * Heat level 1–5 of a line, relative to the hottest line of the whole report (so the strongest
 * heat marks the hottest line anywhere), or 0 when below the threshold (percent of all samples).
 */
export function heatLevel(selfPercent: number, maxSelfPercent: number, thresholdPercent: number): number {
  if (selfPercent <= 0 || selfPercent < thresholdPercent || maxSelfPercent <= 0) return 0;
  const ratio = selfPercent / maxSelfPercent;
  if (ratio >= 0.8) return 5;
  if (ratio >= 0.5) return 4;
  if (ratio >= 0.25) return 3;
  if (ratio >= 0.1) return 2;
  return 1;
}

/** Normalises a path for map keys (case-insensitive file systems are not folded: callers pass fsPath). */
export function fileKey(file: string): string {
  return file.replace(/\\/g, '/');
}

export class ReportIndex {
  readonly files = new Map<string, FileHeat>();
  readonly maxLineSelfPercent: number;

  constructor(readonly report: ProfileReport) {
    let max = 0;
    for (const line of report.lines) {
      if (line.kind === 'system') continue;
      const heat = this.fileFor(line.file);
      const existing = heat.lines.get(line.line);
      if (existing) {
        // The same line reached from several processes or functions: one entry, summed.
        heat.lines.set(line.line, { ...existing, selfUs: existing.selfUs + line.selfUs, selfMs: existing.selfMs + line.selfMs, selfPercent: existing.selfPercent + line.selfPercent, samples: existing.samples + line.samples });
      } else {
        heat.lines.set(line.line, line);
      }
      heat.selfUs += line.selfUs;
      heat.selfPercent += line.selfPercent;
    }
    for (const heat of this.files.values()) for (const line of heat.lines.values()) max = Math.max(max, line.selfPercent);
    this.maxLineSelfPercent = max;
    for (const fn of report.functions) if (fn.kind !== 'system') this.fileFor(fn.file).functions.push(fn);
    for (const site of report.allocations) if (site.kind !== 'system') this.fileFor(site.file).allocations.push(site);
  }

  get(file: string): FileHeat | undefined {
    return this.files.get(fileKey(file));
  }

  /** The innermost profiled function of `file` that contains `line`, if the report knows its extent. */
  functionAt(file: string, line: number): FunctionHotspot | undefined {
    const heat = this.get(file);
    if (!heat) return undefined;
    let best: FunctionHotspot | undefined;
    for (const fn of heat.functions) {
      const end = fn.endLine ?? fn.line;
      if (line < fn.line || line > end) continue;
      if (!best || fn.line > best.line || (fn.line === best.line && end < (best.endLine ?? best.line))) best = fn;
    }
    return best;
  }

  /** Files ordered by their share of self time, hottest first. */
  filesByHeat(): FileHeat[] {
    return [...this.files.values()].sort((a, b) => b.selfUs - a.selfUs);
  }

  private fileFor(file: string): FileHeat {
    const key = fileKey(file);
    let heat = this.files.get(key);
    if (!heat) {
      heat = { file, lines: new Map(), functions: [], allocations: [], selfUs: 0, selfPercent: 0 };
      this.files.set(key, heat);
    }
    return heat;
  }
}

/** The form in which `LineHotspot.text` stores a line, to compare with the line as it is now. */
export function lineFingerprint(text: string): string {
  return text.trim().slice(0, 200);
}

/**
 * Which of a file's profiled lines still hold the text they had when profiled. Lines without a
 * stored text are kept. Returns the lines that no longer match.
 */
export function staleLines(heat: FileHeat, lineText: (line: number) => string | undefined): number[] {
  const stale: number[] = [];
  for (const [line, hotspot] of heat.lines) {
    if (hotspot.text === undefined) continue;
    const now = lineText(line);
    if (now === undefined || lineFingerprint(now) !== hotspot.text) stale.push(line);
  }
  return stale;
}

/** One text edit, in 1-based lines: lines startLine..endLine were replaced by `newLineCount` lines. */
export interface LineEdit {
  startLine: number;
  endLine: number;
  newLineCount: number;
}

/**
 * Moves per-line data through an edit so it stays on the same code: lines above the edit stay,
 * lines below shift by the change in line count, and a line inside the edited range survives only
 * where `stillMatches` finds its text unchanged — at the same line, or shifted like the lines below
 * (text inserted above it). Everything else in the range is dropped: it no longer says what was
 * profiled.
 */
export function shiftThroughEdit<T>(lines: Map<number, T>, edit: LineEdit, stillMatches: (line: number, value: T) => boolean): Map<number, T> {
  const delta = edit.newLineCount - (edit.endLine - edit.startLine + 1);
  const out = new Map<number, T>();
  for (const [line, value] of lines) {
    if (line < edit.startLine) out.set(line, value);
    else if (line > edit.endLine) out.set(line + delta, value);
    else if (stillMatches(line, value)) out.set(line, value);
    else if (delta !== 0 && stillMatches(line + delta, value)) out.set(line + delta, value);
  }
  return out;
}
