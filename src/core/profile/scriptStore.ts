/**
 * Generated scripts on disk (the files V8 ran) with what PerfLens derives from them — line index,
 * parsed function ranges, decoded source map — cached across analyses and revalidated by mtime and
 * size (and the .map file's, for external maps). Bounded: least recently used entries are dropped.
 */
import { stat } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { analyzeScript, ScriptFunctions } from './functionRanges';
import { LineIndex } from './lineIndex';
import { LoadedSourceMap, loadSourceMap } from './sourceMaps';

export interface ScriptData {
  readonly path: string;
  readonly text: string;
  readonly lines: LineIndex;
  /** Parsed on first use. */
  functions(): ScriptFunctions;
  /** Read and decoded on first use (and again when the .map file changes). */
  sourceMap(): Promise<LoadedSourceMap>;
}

const MAX_ENTRIES = 256;
const cache = new Map<string, { stamp: string; data: ScriptData }>();

async function stampOf(path: string): Promise<string | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? `${s.mtimeMs}:${s.size}` : null;
  } catch {
    return null;
  }
}

class CachedScript implements ScriptData {
  private parsed: ScriptFunctions | undefined;
  private map: { loaded: LoadedSourceMap; mapStamp: string | null } | undefined;
  readonly lines: LineIndex;

  constructor(
    readonly path: string,
    readonly text: string,
  ) {
    this.lines = new LineIndex(text);
  }

  functions(): ScriptFunctions {
    this.parsed ??= analyzeScript(this.text);
    return this.parsed;
  }

  async sourceMap(): Promise<LoadedSourceMap> {
    if (this.map) {
      const mapPath = this.map.loaded.mapPath;
      if (!mapPath || (await stampOf(mapPath)) === this.map.mapStamp) return this.map.loaded;
    }
    const loaded = await loadSourceMap(this.path, this.text, this.lines);
    // A decoder that could not start is not this file's fault: try again next time.
    if (loaded.decoderError === undefined) this.map = { loaded, mapStamp: loaded.mapPath ? await stampOf(loaded.mapPath) : null };
    return loaded;
  }
}

/** The script at `path`, or null when it cannot be read. */
export async function loadScript(path: string): Promise<ScriptData | null> {
  const stamp = await stampOf(path);
  if (stamp === null) {
    cache.delete(path);
    return null;
  }
  const hit = cache.get(path);
  if (hit && hit.stamp === stamp) {
    cache.delete(path);
    cache.set(path, hit);
    return hit.data;
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  const data = new CachedScript(path, text);
  cache.set(path, { stamp, data });
  while (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  return data;
}

/** Forgets every cached script (tests, benchmarks, "reload" commands). */
export function clearScriptCache(): void {
  cache.clear();
}
