/**
 * Source maps: from a generated script to its original files.
 *
 * - Finds the map from the script's last `//# sourceMappingURL=` comment: an inline
 *   `data:application/json[;charset=…];base64,…` (or URL-encoded) map, or a file relative to the script
 *   (also `file://` URLs and absolute paths). Index maps (`sections`) are supported.
 * - Decodes it once with `source-map` (its WebAssembly decoder) into flat tables, then destroys the
 *   consumer: per generated line, the dominant original line (positionTicks give only a line: the
 *   original line whose mapped segments cover most of the generated line's columns wins), and all
 *   segments, for line + column lookups of function positions.
 * - Resolves `sources` to files that exist: `file://` URLs, absolute paths, then the source (with any
 *   `webpack://<name>/`-style prefix removed) under `sourceRoot`, the map's folder, the workspace root,
 *   and the map folder's ancestors — the first candidate that exists wins.
 *
 * Nothing here throws on bad input: a missing or broken map, or a missing original, yields a
 * warning naming the file, and the caller keeps generated locations.
 *
 * WebAssembly: in Node, `source-map` reads `mappings.wasm` from its own folder (`__dirname`), i.e.
 * `node_modules/source-map/lib/` when run from source (vitest) and the bundle's folder when bundled —
 * which is why esbuild.mjs copies it to `dist/mappings.wasm`. (`SourceMapConsumer.initialize` is the
 * browser build's hook; in Node it only logs that it is a no-op, to the console.) If the file is
 * missing, maps are skipped with one warning.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SourceMapConsumer } from 'source-map';
import type { LineIndex } from './lineIndex';
import { displayName } from './profileJson';

/** Where one original source comes from, before resolving it to a file. */
export interface SourceEntry {
  /** The `sources` entry as written. */
  source: string;
  sourceRoot: string | undefined;
}

export interface DecodedSourceMap {
  /** The .map file, or the script itself for an inline map. */
  mapFile: string;
  /** Folder relative sources are resolved against. */
  mapDir: string;
  sources: SourceEntry[];
  /** Per 1-based generated line: dominant original source index (-1: none) and original line. */
  lineSource: Int32Array;
  lineOriginal: Int32Array;
  /** Segments of generated line L are segStart[L] … segStart[L+1]-1, sorted by column. */
  segStart: Int32Array;
  segColumn: Int32Array;
  segSource: Int32Array;
  segLine: Int32Array;
  segOriginalColumn: Int32Array;
}

export interface OriginalPosition {
  source: number;
  /** 1-based. */
  line: number;
  /** 0-based. */
  column: number;
}

export interface LoadedSourceMap {
  map: DecodedSourceMap | null;
  /** The .map file read (for cache validation), when external. */
  mapPath?: string;
  warnings: string[];
  /** Set when the WebAssembly decoder could not start (the same for every map: report it once). */
  decoderError?: string;
}

const SOURCE_ID = 'perflens-source-';

/** The URL of the script's source map comment, if any (the last one wins, as in browsers). */
export function findSourceMappingUrl(text: string): string | undefined {
  const re = /\/\/[#@][ \t]*sourceMappingURL=[ \t]*(\S+)[ \t]*(?=$|[\r\n])/g;
  // Only the tail can hold the comment that applies; scan from the last occurrence.
  const at = Math.max(text.lastIndexOf('//# sourceMappingURL='), text.lastIndexOf('//@ sourceMappingURL='), text.lastIndexOf('//#sourceMappingURL='));
  if (at < 0) return undefined;
  re.lastIndex = at;
  const m = re.exec(text);
  return m?.[1];
}

function decodeDataUrl(url: string): string | null {
  const m = /^data:application\/json([^,]*),/i.exec(url);
  if (!m) return null;
  const payload = url.slice(m[0].length);
  return /;base64$/i.test(m[1]!) ? Buffer.from(payload, 'base64').toString('utf8') : decodeURIComponent(payload);
}

/** Reads and decodes the source map of a script; never throws. */
export async function loadSourceMap(scriptPath: string, scriptText: string, lines: LineIndex): Promise<LoadedSourceMap> {
  const url = findSourceMappingUrl(scriptText);
  if (!url) return { map: null, warnings: [] };
  const script = displayName(scriptPath);
  let json: string;
  let mapFile: string;
  let mapPath: string | undefined;
  if (url.startsWith('data:')) {
    const decoded = decodeDataUrl(url);
    if (decoded === null) return { map: null, warnings: [`${script}: unsupported inline source map (${url.slice(0, 40)}…); using generated locations`] };
    json = decoded;
    mapFile = `${scriptPath} (inline source map)`;
  } else {
    if (/^[a-z][\w+.-]*:/i.test(url) && !url.startsWith('file:')) {
      return { map: null, warnings: [`${script}: source map ${url} is not a local file; using generated locations`] };
    }
    try {
      mapPath = url.startsWith('file:') ? fileURLToPath(url) : resolve(dirname(scriptPath), decodeURI(url));
    } catch {
      return { map: null, warnings: [`${script}: bad source map URL ${url}; using generated locations`] };
    }
    try {
      json = await readFile(mapPath, 'utf8');
    } catch {
      return { map: null, mapPath, warnings: [`${script}: source map ${displayName(mapPath)} not found; using generated locations`] };
    }
    mapFile = mapPath;
  }
  const name = displayName(mapFile);
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    return { map: null, ...(mapPath ? { mapPath } : {}), warnings: [`${name}: source map is not valid JSON (${(err as Error).message.split('\n')[0]}); using generated locations for ${script}`] };
  }
  try {
    const map = await decode(raw, mapFile, mapPath ? dirname(mapPath) : dirname(scriptPath), lines);
    return { map, ...(mapPath ? { mapPath } : {}), warnings: [] };
  } catch (err) {
    const message = (err as Error).message.split('\n')[0] ?? '';
    if (/mappings\.wasm|WebAssembly/i.test(message)) return { map: null, warnings: [], decoderError: message };
    return { map: null, ...(mapPath ? { mapPath } : {}), warnings: [`${name}: broken source map (${message}); using generated locations for ${script}`] };
  }
}

type Json = Record<string, unknown>;

/** Replaces every `sources` entry by an id, so that mappings name our entry and not a URL the library joined. */
function rewriteSources(raw: unknown, entries: SourceEntry[]): Json {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('not a source map object');
  const map = raw as Json;
  if (Array.isArray(map['sections'])) {
    return {
      ...map,
      sections: (map['sections'] as unknown[]).map((s) => {
        const section = s as Json | null;
        if (!section || typeof section['map'] !== 'object') throw new Error('index map section without an embedded "map"');
        return { ...section, map: rewriteSources(section['map'], entries) };
      }),
    };
  }
  const sources = map['sources'];
  if (!Array.isArray(sources)) throw new Error('no "sources" array');
  const sourceRoot = typeof map['sourceRoot'] === 'string' && map['sourceRoot'] !== '' ? map['sourceRoot'] : undefined;
  const ids = sources.map((s) => {
    entries.push({ source: typeof s === 'string' ? s : '', sourceRoot });
    return `${SOURCE_ID}${entries.length - 1}`;
  });
  const { sourceRoot: _root, sourcesContent: _content, ...rest } = map;
  return { ...rest, sources: ids, names: Array.isArray(map['names']) ? map['names'] : [] };
}

async function decode(raw: unknown, mapFile: string, mapDir: string, lines: LineIndex): Promise<DecodedSourceMap> {
  const entries: SourceEntry[] = [];
  const rewritten = rewriteSources(raw, entries);
  const lineCount = lines.lineCount;
  const segLineOf: number[] = [];
  const segColumn: number[] = [];
  const segSource: number[] = [];
  const segLine: number[] = [];
  const segOriginalColumn: number[] = [];
  const idLength = SOURCE_ID.length;
  await SourceMapConsumer.with(rewritten as never, null, (consumer) => {
    consumer.eachMapping(
      (m) => {
        if (m.generatedLine > lineCount) return;
        let source = -1;
        if (m.source) {
          const at = m.source.lastIndexOf(SOURCE_ID);
          source = at >= 0 ? Number(m.source.slice(at + idLength)) : -1;
          if (!(source >= 0 && source < entries.length)) source = -1;
        }
        segLineOf.push(m.generatedLine);
        segColumn.push(m.generatedColumn);
        segSource.push(source);
        segLine.push(source >= 0 ? m.originalLine : 0);
        segOriginalColumn.push(source >= 0 ? m.originalColumn : 0);
      },
      null,
      SourceMapConsumer.GENERATED_ORDER,
    );
  });

  const segStart = new Int32Array(lineCount + 2);
  for (const l of segLineOf) segStart[l + 1]!++;
  for (let l = 1; l <= lineCount + 1; l++) segStart[l]! += segStart[l - 1]!;
  const lineSource = new Int32Array(lineCount + 1).fill(-1);
  const lineOriginal = new Int32Array(lineCount + 1);
  // Dominant original line per generated line, weighted by the columns each segment covers.
  const weights = new Map<number, number>();
  for (let l = 1; l <= lineCount; l++) {
    const from = segStart[l]!;
    const to = segStart[l + 1]!;
    if (from === to) continue;
    weights.clear();
    const length = lines.lineLength(l);
    for (let k = from; k < to; k++) {
      const src = segSource[k]!;
      if (src < 0) continue;
      const end = k + 1 < to ? segColumn[k + 1]! : Math.max(length, segColumn[k]! + 1);
      const key = src * 0x1000000 + segLine[k]!;
      weights.set(key, (weights.get(key) ?? 0) + Math.max(1, end - segColumn[k]!));
    }
    let best = -1;
    let bestWeight = 0;
    for (const [key, w] of weights) {
      if (w > bestWeight) {
        best = key;
        bestWeight = w;
      }
    }
    if (best >= 0) {
      lineSource[l] = Math.floor(best / 0x1000000);
      lineOriginal[l] = best % 0x1000000;
    }
  }
  return {
    mapFile,
    mapDir,
    sources: entries,
    lineSource,
    lineOriginal,
    segStart,
    segColumn: Int32Array.from(segColumn),
    segSource: Int32Array.from(segSource),
    segLine: Int32Array.from(segLine),
    segOriginalColumn: Int32Array.from(segOriginalColumn),
  };
}

/** The original position of a generated 1-based line and 0-based column (nearest segment at or before it on that line, else the first after). */
export function originalPositionFor(map: DecodedSourceMap, line: number, column: number): OriginalPosition | null {
  if (line < 1 || line + 1 >= map.segStart.length) return null;
  const from = map.segStart[line]!;
  const to = map.segStart[line + 1]!;
  let lo = from;
  let hi = to - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (map.segColumn[mid]! <= column) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  for (let k = at; k >= from; k--) if (map.segSource[k]! >= 0) return segment(map, k);
  for (let k = Math.max(at + 1, from); k < to; k++) if (map.segSource[k]! >= 0) return segment(map, k);
  return null;
}

function segment(map: DecodedSourceMap, k: number): OriginalPosition {
  return { source: map.segSource[k]!, line: map.segLine[k]!, column: map.segOriginalColumn[k]! };
}

/** The dominant original line of a generated 1-based line, or null when nothing on it is mapped. */
export function originalLineFor(map: DecodedSourceMap, line: number): { source: number; line: number } | null {
  if (line < 1 || line >= map.lineSource.length) return null;
  const source = map.lineSource[line]!;
  return source >= 0 ? { source, line: map.lineOriginal[line]! } : null;
}

function stripScheme(source: string): string {
  // webpack://<name>/./src/a.ts, webpack:///src/a.ts, vite://…: the path after the authority.
  const m = /^[a-z][\w+.-]*:\/\/[^/]*\/?/i.exec(source);
  return m ? source.slice(m[0].length) : source;
}

function toPath(rootOrSource: string, base: string): string | null {
  if (rootOrSource.startsWith('file:')) {
    try {
      return fileURLToPath(rootOrSource);
    } catch {
      return null;
    }
  }
  const stripped = stripScheme(rootOrSource);
  return isAbsolute(stripped) && stripped === rootOrSource ? stripped : resolve(base, stripped);
}

/** Candidate files for one `sources` entry, most likely first. */
export function sourceCandidates(entry: SourceEntry, mapDir: string, workspaceRoot: string | undefined): string[] {
  const out: string[] = [];
  const add = (p: string | null): void => {
    if (p && !out.includes(p)) out.push(p);
  };
  const { source, sourceRoot } = entry;
  if (source.startsWith('file:')) add(toPath(source, mapDir));
  else if (isAbsolute(source)) add(source);
  const rel = stripScheme(source);
  if (sourceRoot !== undefined) {
    const root = toPath(sourceRoot, mapDir);
    if (root) add(isAbsolute(rel) && rel === source ? rel : join(root, rel));
  }
  add(resolve(mapDir, rel));
  if (workspaceRoot) add(resolve(workspaceRoot, rel));
  // Bundlers name sources relative to their context folder, usually an ancestor of the output.
  let dir = mapDir;
  for (let i = 0; i < 6; i++) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
    add(resolve(dir, rel));
    if (workspaceRoot && resolve(dir) === resolve(workspaceRoot)) break;
  }
  return out;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Resolves every source of a decoded map to an existing file (null when none of the candidates
 * exists), with one warning per map listing what is missing.
 */
export function resolveSources(map: DecodedSourceMap, scriptPath: string, workspaceRoot: string | undefined): { paths: (string | null)[]; warnings: string[] } {
  const missing: string[] = [];
  const paths = map.sources.map((entry) => {
    const candidates = sourceCandidates(entry, map.mapDir, workspaceRoot);
    const found = candidates.find(isFile);
    if (!found) missing.push(candidates[0] ?? entry.source);
    return found ?? null;
  });
  const warnings: string[] = [];
  if (missing.length > 0) {
    const shown = missing.slice(0, 3).join(', ');
    warnings.push(
      `${displayName(map.mapFile)}: ${missing.length} of ${map.sources.length} original sources not found (${shown}${missing.length > 3 ? ', …' : ''}); their code is shown at generated locations in ${displayName(scriptPath)}`,
    );
  }
  return { paths, warnings };
}
