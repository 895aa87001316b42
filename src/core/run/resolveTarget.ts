/**
 * Turns a RunTarget into the command line the runner spawns (always without a shell).
 *
 * - `.js/.mjs/.cjs`: `node [nodeArgs] file args`.
 * - `.ts/.mts/.cts`: the project's compiled output when it is there and current (a `.js` whose
 *   source map points back at this `.ts` and that is not older than it — found next to the source
 *   or under the nearest tsconfig's outDir), else a bundle esbuild writes into a cache folder from
 *   which the project's bare imports still resolve (`<dir with node_modules>/node_modules/.cache/perflens`).
 * - npm script: `npm run <script> -- args` in the package folder, after checking the script exists.
 * - command: as given; node arguments go into NODE_OPTIONS.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserFacingError, type Logger } from '../log';
import type { RunOptions } from './types';

export interface ResolvedTarget {
  /** The executable to spawn. */
  file: string;
  args: string[];
  cwd: string;
  /** JavaScript esbuild generated for a TypeScript target (a linked `.map` sits next to it). */
  generated?: string;
  /** The project's compiled output used for a TypeScript target. */
  compiled?: string;
  /** Node arguments that must travel in NODE_OPTIONS (npm and command targets). */
  nodeOptions?: string[];
  /** Directories to put first on PATH (the folder of `nodePath`, so scripts' `node` is the same one). */
  pathPrepend?: string[];
}

const JS_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);
const TS_TO_JS: Record<string, string> = { '.ts': '.js', '.mts': '.mjs', '.cts': '.cjs' };

async function statOrUndefined(file: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await fs.stat(file);
  } catch {
    return undefined;
  }
}

async function findUp(startDir: string, name: string): Promise<string | undefined> {
  let dir = startDir;
  for (;;) {
    const candidate = path.join(dir, name);
    if (await statOrUndefined(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function samePath(a: string, b: string): boolean {
  const na = path.resolve(a);
  const nb = path.resolve(b);
  return process.platform === 'win32' || process.platform === 'darwin' ? na.toLowerCase() === nb.toLowerCase() : na === nb;
}

/** JSON with comments and trailing commas (tsconfig.json) → value. */
export function parseJsonc(text: string): unknown {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1')) as unknown;
}

interface TsconfigDirs {
  outDir?: string;
  rootDir?: string;
}

/** outDir/rootDir of a tsconfig, following `extends` (paths are relative to the file declaring them). */
async function readTsconfigDirs(file: string, log: Logger, depth = 0): Promise<TsconfigDirs> {
  if (depth > 8) return {};
  let config: unknown;
  try {
    config = parseJsonc(await fs.readFile(file, 'utf8'));
  } catch (err) {
    log.debug(`Cannot read ${file}: ${(err as Error).message}`);
    return {};
  }
  if (typeof config !== 'object' || config === null) return {};
  const { extends: ext, compilerOptions } = config as { extends?: unknown; compilerOptions?: Record<string, unknown> };
  let dirs: TsconfigDirs = {};
  const bases = typeof ext === 'string' ? [ext] : Array.isArray(ext) ? ext.filter((e): e is string => typeof e === 'string') : [];
  for (const base of bases) {
    const baseFile = await resolveTsconfigExtends(file, base);
    if (baseFile) dirs = { ...dirs, ...(await readTsconfigDirs(baseFile, log, depth + 1)) };
    else log.debug(`${file}: cannot resolve "extends": "${base}"`);
  }
  const dir = path.dirname(file);
  if (typeof compilerOptions?.outDir === 'string') dirs.outDir = path.resolve(dir, compilerOptions.outDir);
  if (typeof compilerOptions?.rootDir === 'string') dirs.rootDir = path.resolve(dir, compilerOptions.rootDir);
  return dirs;
}

async function resolveTsconfigExtends(fromFile: string, spec: string): Promise<string | undefined> {
  const dir = path.dirname(fromFile);
  if (spec.startsWith('.') || path.isAbsolute(spec)) {
    const direct = path.resolve(dir, spec);
    for (const candidate of [direct, `${direct}.json`, path.join(direct, 'tsconfig.json')]) {
      if ((await statOrUndefined(candidate))?.isFile()) return candidate;
    }
    return undefined;
  }
  const req = createRequire(fromFile);
  for (const candidate of [spec, `${spec}.json`, `${spec}/tsconfig.json`]) {
    try {
      return req.resolve(candidate);
    } catch {
      // try the next form
    }
  }
  return undefined;
}

/** The source map of a generated file: from its sourceMappingURL comment, else `<file>.map`. */
async function readSourceMapOf(jsFile: string): Promise<{ map: unknown; mapDir: string } | undefined> {
  let text: string;
  try {
    text = await fs.readFile(jsFile, 'utf8');
  } catch {
    return undefined;
  }
  const matches = [...text.slice(-65_536).matchAll(/\/\/[#@] sourceMappingURL=(\S+)/g)];
  const url = matches[matches.length - 1]?.[1];
  try {
    if (url?.startsWith('data:')) {
      const comma = url.indexOf(',');
      const payload = url.slice(comma + 1);
      const json = url.slice(0, comma).endsWith(';base64') ? Buffer.from(payload, 'base64').toString('utf8') : decodeURIComponent(payload);
      return { map: JSON.parse(json) as unknown, mapDir: path.dirname(jsFile) };
    }
    const mapFile = url
      ? url.startsWith('file:') ? fileURLToPath(url) : path.resolve(path.dirname(jsFile), decodeURIComponent(url))
      : `${jsFile}.map`;
    return { map: JSON.parse(await fs.readFile(mapFile, 'utf8')) as unknown, mapDir: path.dirname(mapFile) };
  } catch {
    return undefined;
  }
}

function mapPointsAt(map: unknown, mapDir: string, source: string): boolean {
  if (typeof map !== 'object' || map === null) return false;
  const { sources, sourceRoot } = map as { sources?: unknown; sourceRoot?: unknown };
  if (!Array.isArray(sources)) return false;
  const root = typeof sourceRoot === 'string' ? sourceRoot : '';
  return sources.some((s) => {
    if (typeof s !== 'string') return false;
    try {
      const resolved = s.startsWith('file:') ? fileURLToPath(s) : root.startsWith('file:') ? fileURLToPath(new URL(s, root.endsWith('/') ? root : `${root}/`)) : path.resolve(mapDir, root, s);
      return samePath(resolved, source);
    } catch {
      return false;
    }
  });
}

/**
 * Compiled JavaScript for `tsFile` that is safe to run in its place: it exists, is not older than
 * the source and has a source map pointing back at it. Undefined when there is none.
 */
export async function findCompiledOutput(tsFile: string, log: Logger): Promise<string | undefined> {
  const ext = path.extname(tsFile);
  const jsExt = TS_TO_JS[ext];
  if (!jsExt) return undefined;
  const base = path.basename(tsFile, ext) + jsExt;
  const candidates: string[] = [path.join(path.dirname(tsFile), base)];
  const tsconfig = await findUp(path.dirname(tsFile), 'tsconfig.json');
  if (tsconfig) {
    const { outDir, rootDir } = await readTsconfigDirs(tsconfig, log);
    if (outDir) {
      // Without rootDir, tsc uses the common folder of all inputs: somewhere between the
      // tsconfig folder and the file's folder. Try each; the source map decides.
      const roots: string[] = [];
      if (rootDir) roots.push(rootDir);
      else {
        for (let dir = path.dirname(tsFile); ; dir = path.dirname(dir)) {
          roots.push(dir);
          if (samePath(dir, path.dirname(tsconfig)) || path.dirname(dir) === dir) break;
        }
      }
      for (const root of roots) {
        const rel = path.relative(root, tsFile);
        if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
        candidates.push(path.join(outDir, path.dirname(rel), base));
      }
    }
  }
  const source = await fs.stat(tsFile);
  for (const candidate of [...new Set(candidates)]) {
    const stat = await statOrUndefined(candidate);
    if (!stat?.isFile()) continue;
    const sourceMap = await readSourceMapOf(candidate);
    if (!sourceMap || !mapPointsAt(sourceMap.map, sourceMap.mapDir, tsFile)) {
      log.debug(`${candidate} has no source map pointing at ${tsFile}; not using it.`);
      continue;
    }
    if (stat.mtimeMs < source.mtimeMs) {
      log.info(`${candidate} is older than ${tsFile}; transpiling the source instead.`);
      continue;
    }
    return candidate;
  }
  return undefined;
}

async function moduleFormatOf(tsFile: string): Promise<'esm' | 'cjs'> {
  const ext = path.extname(tsFile);
  if (ext === '.mts') return 'esm';
  if (ext === '.cts') return 'cjs';
  const pkg = await findUp(path.dirname(tsFile), 'package.json');
  if (!pkg) return 'cjs';
  try {
    const json = JSON.parse(await fs.readFile(pkg, 'utf8')) as { type?: unknown };
    return json.type === 'module' ? 'esm' : 'cjs';
  } catch {
    return 'cjs';
  }
}

/**
 * Where esbuild output for `tsFile` goes: under the nearest `node_modules` above it, so bare
 * imports in the bundle resolve to the project's packages; os.tmpdir() when there is none.
 */
async function transpileDir(tsFile: string): Promise<string> {
  const hash = createHash('sha256').update(path.resolve(tsFile)).digest('hex').slice(0, 16);
  const nodeModules = await findUp(path.dirname(tsFile), 'node_modules');
  const base = nodeModules ? path.join(nodeModules, '.cache', 'perflens', 'ts') : path.join(os.tmpdir(), 'perflens-ts');
  return path.join(base, hash);
}

interface EsbuildMessage {
  text: string;
  location?: { file: string; line: number; column: number } | null;
}

/** Bundles `tsFile` with esbuild (packages external, linked source map with sources content). */
export async function transpileWithEsbuild(tsFile: string, log: Logger): Promise<string> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (err) {
    throw new UserFacingError(`Cannot run ${tsFile}: esbuild, needed to run TypeScript without compiled output, could not be loaded (${(err as Error).message}).`, tsFile);
  }
  const format = await moduleFormatOf(tsFile);
  const outDir = await transpileDir(tsFile);
  const outfile = path.join(outDir, path.basename(tsFile, path.extname(tsFile)) + (format === 'esm' ? '.mjs' : '.cjs'));
  await fs.mkdir(outDir, { recursive: true });
  try {
    await esbuild.build({
      entryPoints: [tsFile],
      outfile,
      bundle: true,
      platform: 'node',
      packages: 'external',
      format,
      sourcemap: 'linked',
      sourcesContent: true,
      logLevel: 'silent',
      absWorkingDir: path.dirname(tsFile),
    });
  } catch (err) {
    const errors = (err as { errors?: EsbuildMessage[] }).errors ?? [];
    const detail = errors.length > 0
      ? errors.slice(0, 5).map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column + 1}: ${e.text}` : e.text)).join('\n')
      : (err as Error).message;
    throw new UserFacingError(`esbuild could not compile ${tsFile}:\n${detail}`, tsFile);
  }
  log.debug(`Transpiled ${tsFile} → ${outfile}`);
  return outfile;
}

/** PATH lookup of an executable in `pathValue`; on Windows also tries PATHEXT. */
export async function findOnPath(name: string, pathValue: string | undefined): Promise<string | undefined> {
  const exts = process.platform === 'win32' ? (process.env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean) : [''];
  for (const dir of (pathValue ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      const stat = await statOrUndefined(candidate);
      if (!stat?.isFile()) continue;
      if (process.platform !== 'win32') {
        try {
          await fs.access(candidate, fs.constants.X_OK);
        } catch {
          continue;
        }
      }
      return candidate;
    }
  }
  return undefined;
}

function envValue(env: Record<string, string | undefined>, name: string): string | undefined {
  if (process.platform !== 'win32') return env[name];
  const key = Object.keys(env).find((k) => k.toUpperCase() === name.toUpperCase());
  return key === undefined ? undefined : env[key];
}

/** The npm front end to spawn: the `npm` on PATH; on Windows its npm-cli.js run by node (no .cmd without a shell). */
async function resolveNpm(node: string, env: Record<string, string | undefined>): Promise<{ file: string; prefix: string[] }> {
  const pathValue = envValue(env, 'PATH');
  if (process.platform === 'win32') {
    const npmCmd = await findOnPath('npm', pathValue);
    const cli = npmCmd ? path.join(path.dirname(npmCmd), 'node_modules', 'npm', 'bin', 'npm-cli.js') : undefined;
    if (cli && (await statOrUndefined(cli))) return { file: node, prefix: [cli] };
    throw new UserFacingError('npm was not found: no npm-cli.js next to an npm on PATH.');
  }
  const npm = await findOnPath('npm', pathValue);
  if (!npm) throw new UserFacingError('npm was not found on PATH.');
  // npm is a node script; run it with the chosen node rather than whatever its shebang finds.
  const real = await fs.realpath(npm).catch(() => npm);
  return /\.c?js$/.test(real) ? { file: node, prefix: [real] } : { file: npm, prefix: [] };
}

async function readScripts(packageDir: string): Promise<{ file: string; scripts: Record<string, unknown> }> {
  const file = path.join(packageDir, 'package.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new UserFacingError(`No package.json in ${packageDir}.`, file);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserFacingError(`${file} is not valid JSON: ${(err as Error).message}`, file);
  }
  const scripts = (json as { scripts?: unknown } | null)?.scripts;
  return { file, scripts: typeof scripts === 'object' && scripts !== null ? (scripts as Record<string, unknown>) : {} };
}

/**
 * The command line for `options.target`. Rejects with a UserFacingError naming the file and the
 * problem when the target cannot be run (missing file, unknown extension, missing npm script,
 * TypeScript that does not compile…).
 */
export async function resolveTarget(options: RunOptions, log: Logger): Promise<ResolvedTarget> {
  const node = options.nodePath || 'node';
  const nodeArgs = options.nodeArgs ?? [];
  const pathPrepend = options.nodePath && path.isAbsolute(options.nodePath) ? [path.dirname(options.nodePath)] : undefined;
  const target = options.target;
  switch (target.kind) {
    case 'script': {
      const file = path.resolve(options.cwd ?? process.cwd(), target.file);
      const stat = await statOrUndefined(file);
      if (!stat?.isFile()) throw new UserFacingError(`Cannot profile ${file}: no such file.`, file);
      const cwd = options.cwd ?? path.dirname(file);
      const ext = path.extname(file).toLowerCase();
      const args = target.args ?? [];
      if (JS_EXTENSIONS.has(ext)) return { file: node, args: [...nodeArgs, file, ...args], cwd, pathPrepend };
      if (TS_TO_JS[ext]) {
        const compiled = await findCompiledOutput(file, log);
        if (compiled) {
          log.info(`Running the compiled output ${compiled} for ${file}.`);
          return { file: node, args: [...nodeArgs, compiled, ...args], cwd, compiled, pathPrepend };
        }
        const generated = await transpileWithEsbuild(file, log);
        return { file: node, args: [...nodeArgs, generated, ...args], cwd, generated, pathPrepend };
      }
      throw new UserFacingError(`Cannot profile ${file}: only .js, .mjs, .cjs, .ts, .mts and .cts files can be run.`, file);
    }
    case 'npm': {
      const packageDir = path.resolve(target.packageDir);
      const { file: pkgFile, scripts } = await readScripts(packageDir);
      if (typeof scripts[target.script] !== 'string') {
        const names = Object.keys(scripts);
        throw new UserFacingError(
          `There is no npm script "${target.script}" in ${pkgFile}. ${names.length > 0 ? `Scripts: ${names.join(', ')}.` : 'It has no scripts.'}`,
          pkgFile,
        );
      }
      const env: Record<string, string | undefined> = { ...process.env, ...options.env };
      const npm = await resolveNpm(node, env);
      const args = target.args ?? [];
      return {
        file: npm.file,
        args: [...npm.prefix, 'run', target.script, ...(args.length > 0 ? ['--', ...args] : [])],
        cwd: options.cwd ?? packageDir,
        nodeOptions: nodeArgs,
        pathPrepend,
      };
    }
    case 'command':
      if (!target.command) throw new UserFacingError('No command to run.');
      return { file: target.command, args: target.args, cwd: options.cwd ?? process.cwd(), nodeOptions: nodeArgs, pathPrepend };
  }
}
