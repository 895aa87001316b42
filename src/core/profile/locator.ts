/**
 * From V8 call frames and generated lines to report locations, for one analysis: which script file a
 * frame's url names, its parsed functions and imports (for the inlining correction), and its source
 * map (for original files and lines). Every problem becomes one warning naming the file.
 */
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AGENT_FRAME, classifyCode, isAgentUrl, isSystemFrame } from './codeKind';
import type { ScriptFunctions } from './functionRanges';
import type { InliningContext, InliningScript } from './inlining';
import { CallFrame, frameKey } from './model';
import { displayName } from './profileJson';
import type { CodeKind, GeneratedLocation } from './report';
import { loadScript, ScriptData } from './scriptStore';
import { DecodedSourceMap, originalLineFor, originalPositionFor, resolveSources } from './sourceMaps';

/** Pseudo file of frames that have no script (V8 builtins such as `dispatch`, `(V8 API)`). */
export const NATIVE_FILE = '(native)';
/** Pseudo file of frames with a script id but no url: heap profile frames whose script V8 had collected. */
export const UNKNOWN_SCRIPT_FILE = '(unknown script)';

export interface FunctionLocation {
  name: string;
  file: string;
  line: number;
  column: number;
  endLine?: number;
  kind: CodeKind;
  generated?: GeneratedLocation;
}

export interface LineLocation {
  file: string;
  line: number;
  generated?: GeneratedLocation;
}

/** The file path a profile url names, or null (node: modules, http URLs, V8 internals). */
export function scriptPathFromUrl(url: string): string | null {
  if (url.startsWith('file:')) {
    try {
      return fileURLToPath(url);
    } catch {
      return null;
    }
  }
  if (url.startsWith('/') || /^[A-Za-z]:[\\/]/.test(url) || url.startsWith('\\\\')) return isAbsolute(url) ? url : null;
  return null;
}

interface ScriptRecord extends InliningScript {
  path: string;
  data: ScriptData | null;
  map: DecodedSourceMap | null;
  mapLoaded: boolean;
  sourcePaths: (string | null)[];
  imports: number[];
  importsLoaded: boolean;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export class Locator {
  private readonly scripts: ScriptRecord[] = [];
  private readonly byPath = new Map<string, number>();
  private readonly byUrl = new Map<string, number>();
  private readonly functionCache = new Map<string, FunctionLocation>();
  private readonly lineCache = new Map<number, LineLocation | null>();

  constructor(private readonly options: { workspaceRoot?: string; warn(message: string): void }) {}

  /** Script index of a url added before, or -1. */
  scriptOf(url: string): number {
    return this.byUrl.get(url) ?? -1;
  }

  /** Reads the scripts these urls name (once each). */
  async addUrls(urls: Iterable<string>): Promise<void> {
    for (const url of urls) {
      if (this.byUrl.has(url)) continue;
      const path = scriptPathFromUrl(url);
      this.byUrl.set(url, path ? await this.addPath(path, url, true) : -1);
    }
  }

  private async addPath(path: string, url: string, fromProfile: boolean): Promise<number> {
    const known = this.byPath.get(path);
    if (known !== undefined) return known;
    if (!this.byUrl.has(url)) this.byUrl.set(url, this.scripts.length);
    const data = await loadScript(path);
    if (!data && fromProfile) {
      this.options.warn(`${displayName(path)}: file not found (deleted or moved since profiling?); its time is shown at the lines the profile gives, without source maps or line text`);
    }
    const index = this.scripts.length;
    const record: ScriptRecord = {
      url,
      path,
      data,
      map: null,
      mapLoaded: false,
      sourcePaths: [],
      imports: [],
      importsLoaded: false,
      get functions(): ScriptFunctions | null {
        return data ? data.functions() : null;
      },
    };
    this.scripts.push(record);
    this.byPath.set(path, index);
    return index;
  }

  /** Reads the scripts that the scripts of these urls import with relative specifiers (one level). */
  async addImportsOf(urls: Iterable<string>): Promise<void> {
    for (const url of urls) {
      const s = this.scriptOf(url);
      const record = this.scripts[s];
      if (!record?.data || record.importsLoaded) continue;
      record.importsLoaded = true;
      const fns = record.data.functions();
      const found: number[] = [];
      for (const spec of fns.imports) {
        const base = resolve(dirname(record.path), spec);
        for (const candidate of [base, `${base}.js`, `${base}.cjs`, `${base}.mjs`, join(base, 'index.js')]) {
          if (!(await isFile(candidate))) continue;
          const index = await this.addPath(candidate, pathToFileURL(candidate).href, false);
          if (index !== s && !found.includes(index)) found.push(index);
          break;
        }
      }
      record.imports = found;
    }
  }

  /** Loads the source maps of the scripts these urls name. */
  async loadMaps(urls: Iterable<string>): Promise<void> {
    const undecoded: string[] = [];
    let decoderError = '';
    for (const url of urls) {
      const record = this.scripts[this.scriptOf(url)];
      if (!record || record.mapLoaded) continue;
      record.mapLoaded = true;
      if (!record.data) continue;
      const loaded = await record.data.sourceMap();
      for (const w of loaded.warnings) this.options.warn(w);
      if (loaded.decoderError !== undefined) {
        decoderError = loaded.decoderError;
        undecoded.push(displayName(record.path));
      }
      if (!loaded.map) continue;
      const { paths, warnings } = resolveSources(loaded.map, record.path, this.options.workspaceRoot);
      for (const w of warnings) this.options.warn(w);
      record.map = loaded.map;
      record.sourcePaths = paths;
    }
    if (undecoded.length > 0) {
      this.options.warn(`source maps not applied: the source-map decoder could not start (${decoderError}); generated locations are used for ${undecoded.join(', ')}`);
    }
  }

  inliningContext(): InliningContext {
    return { scripts: this.scripts, scriptOf: (frame: CallFrame) => this.scriptOf(frame.url) };
  }

  /** Where a function is, in original coordinates when a source map leads to an existing file. */
  locateFunction(frame: CallFrame): FunctionLocation {
    const key = frameKey(frame);
    let loc = this.functionCache.get(key);
    if (!loc) {
      loc = this.computeFunction(frame);
      this.functionCache.set(key, loc);
    }
    return loc;
  }

  private computeFunction(frame: CallFrame): FunctionLocation {
    const name = frame.functionName;
    const line = frame.lineNumber >= 0 ? frame.lineNumber + 1 : 0;
    const column = Math.max(0, frame.columnNumber);
    if (isSystemFrame(name, frame.url)) return { name, file: name, line: 0, column: 0, kind: 'system' };
    if (isAgentUrl(frame.url)) return { name: AGENT_FRAME, file: AGENT_FRAME, line: 0, column: 0, kind: 'system' };
    if (frame.url === '') {
      if (frame.scriptId !== '' && frame.scriptId !== '0') return { name, file: UNKNOWN_SCRIPT_FILE, line, column, kind: 'user' };
      return { name, file: NATIVE_FILE, line, column, kind: 'node' };
    }
    const record = this.scripts[this.scriptOf(frame.url)];
    if (!record) return { name, file: frame.url, line, column, kind: classifyCode(name, frame.url) };

    // Function ends (endLine) are worth a parse only for the user's own scripts.
    const fns = record.data && classifyCode(name, frame.url, record.path) === 'user' ? record.data.functions() : null;
    const fn = fns && fns.parsed && line > 0 ? fns.findByPosition(line - 1, column) : -1;
    const range = fn > 0 ? fns!.functions[fn] : undefined;
    if (record.map && line > 0) {
      const pos = originalPositionFor(record.map, line, column);
      const file = pos ? record.sourcePaths[pos.source] : null;
      if (pos && file) {
        const end = range ? originalPositionFor(record.map, range.endLine, range.endColumn) : null;
        const endLine = end && end.source === pos.source && end.line >= pos.line ? end.line : undefined;
        return {
          name,
          file,
          line: pos.line,
          column: pos.column,
          ...(endLine !== undefined ? { endLine } : {}),
          kind: classifyCode(name, frame.url, record.path, file),
          generated: { file: record.path, line },
        };
      }
    }
    return {
      name,
      file: record.path,
      line,
      column,
      ...(range ? { endLine: range.endLine } : {}),
      kind: classifyCode(name, frame.url, record.path),
    };
  }

  /**
   * Where a tick on generated `line` of the frame's script lands: the dominant original line of a
   * mapped script; for a generated line without any mapping, the function's own (mapped) line.
   */
  locateLine(frame: CallFrame, line: number): LineLocation {
    if (isAgentUrl(frame.url)) return { file: AGENT_FRAME, line: 0 };
    const s = this.scriptOf(frame.url);
    const record = this.scripts[s];
    if (!record) return { file: frame.url === '' ? NATIVE_FILE : frame.url, line };
    const key = s * 0x4000000 + line;
    let cached = this.lineCache.get(key);
    if (cached === undefined) {
      cached = this.computeLine(record, line);
      this.lineCache.set(key, cached);
    }
    if (cached) return cached;
    const fn = this.locateFunction(frame);
    return fn.generated ? { file: fn.file, line: fn.line, generated: { file: record.path, line } } : { file: record.path, line };
  }

  /** Null: the line has no mapping of its own (use the function's location). */
  private computeLine(record: ScriptRecord, line: number): LineLocation | null {
    if (!record.map) return { file: record.path, line };
    const original = originalLineFor(record.map, line);
    if (!original) return null;
    const file = record.sourcePaths[original.source];
    return file ? { file, line: original.line, generated: { file: record.path, line } } : { file: record.path, line };
  }
}
