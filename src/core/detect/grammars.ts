import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type * as WebTreeSitter from 'web-tree-sitter';
import type { Language, Parser, Query } from 'web-tree-sitter';
import type { LanguageId } from './types';

const GRAMMAR_FILES: Record<LanguageId, { pkg: string; file: string }> = {
  javascript: { pkg: 'tree-sitter-javascript', file: 'tree-sitter-javascript.wasm' },
  typescript: { pkg: 'tree-sitter-typescript', file: 'tree-sitter-typescript.wasm' },
  tsx: { pkg: 'tree-sitter-typescript', file: 'tree-sitter-tsx.wasm' },
  python: { pkg: 'tree-sitter-python', file: 'tree-sitter-python.wasm' },
};
const RUNTIME = { pkg: 'web-tree-sitter', file: 'tree-sitter.wasm' };

declare const __dirname: string | undefined;

// Loaded with require so the CommonJS bundle gets the package's CommonJS build (its ES module
// build reads import.meta.url, which a CommonJS bundle does not have).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Language: LanguageClass, Parser: ParserClass, Query: QueryClass } = require('web-tree-sitter') as typeof WebTreeSitter;

/** Folders to start looking from: the running bundle (dist/) or this source file. */
function startDirs(): string[] {
  const dirs: string[] = [];
  if (typeof __dirname === 'string') dirs.push(__dirname);
  if (typeof require === 'function' && require.main?.filename) dirs.push(path.dirname(require.main.filename));
  dirs.push(process.cwd());
  return dirs;
}

/**
 * Finds a wasm file: `grammars/<file>` next to the bundle (dist/grammars), or
 * `node_modules/<pkg>/<file>` walking up from the bundle or the sources.
 */
export function locateWasm(pkg: string, file: string, grammarDir?: string): string {
  if (grammarDir) {
    const direct = path.join(grammarDir, file);
    if (existsSync(direct)) return direct;
  }
  for (const start of startDirs()) {
    let dir = start;
    for (let i = 0; i < 8; i++) {
      for (const candidate of [path.join(dir, 'grammars', file), path.join(dir, 'dist', 'grammars', file), path.join(dir, 'node_modules', pkg, file)]) {
        if (existsSync(candidate)) return candidate;
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error(`tree-sitter: cannot find ${file} (looked in dist/grammars and node_modules/${pkg})`);
}

/**
 * Loads the tree-sitter runtime and grammars once, and lends parsers per language.
 * Parsers are reused (a parse is synchronous, so one per language is enough per thread).
 */
export class ParserPool {
  private static initPromise: Promise<void> | undefined;
  private readonly languages = new Map<LanguageId, Promise<Language>>();
  private readonly parsers = new Map<LanguageId, Parser>();
  private readonly queries = new Map<string, Query>();

  constructor(private readonly grammarDir?: string) {}

  private init(): Promise<void> {
    ParserPool.initPromise ??= ParserClass.init({
      locateFile: () => locateWasm(RUNTIME.pkg, RUNTIME.file, this.grammarDir),
    });
    return ParserPool.initPromise;
  }

  language(id: LanguageId): Promise<Language> {
    let p = this.languages.get(id);
    if (!p) {
      const { pkg, file } = GRAMMAR_FILES[id];
      p = this.init().then(() => LanguageClass.load(locateWasm(pkg, file, this.grammarDir)));
      this.languages.set(id, p);
    }
    return p;
  }

  async parser(id: LanguageId): Promise<Parser> {
    const language = await this.language(id);
    let parser = this.parsers.get(id);
    if (!parser) {
      parser = new ParserClass();
      parser.setLanguage(language);
      this.parsers.set(id, parser);
    }
    return parser;
  }

  /** A compiled query, cached per language and source. */
  async query(id: LanguageId, source: string): Promise<Query> {
    const key = `${id}\0${source}`;
    let q = this.queries.get(key);
    if (!q) {
      q = new QueryClass(await this.language(id), source);
      this.queries.set(key, q);
    }
    return q;
  }

  /** The parser of a language already loaded by `parser()`, or undefined. */
  parsedParser(id: LanguageId): Parser | undefined {
    return this.parsers.get(id);
  }

  /** A query already compiled by `query()`; throws when it was not. */
  cachedQuery(id: LanguageId, source: string): Query {
    const q = this.queries.get(`${id}\0${source}`);
    if (!q) throw new Error(`query for ${id} was not compiled`);
    return q;
  }

  dispose(): void {
    for (const q of this.queries.values()) q.delete();
    for (const p of this.parsers.values()) p.delete();
    this.queries.clear();
    this.parsers.clear();
  }
}

export function languageOf(file: string): LanguageId | undefined {
  const ext = path.extname(file).toLowerCase();
  switch (ext) {
    case '.js': case '.cjs': case '.mjs': case '.jsx': return 'javascript';
    case '.ts': case '.mts': case '.cts': return 'typescript';
    case '.tsx': return 'tsx';
    case '.py': case '.pyi': return ext === '.py' ? 'python' : undefined;
    default: return undefined;
  }
}
