/**
 * TypeScript targets: the project's compiled output when it is current and mapped back to the
 * source, else an esbuild bundle in a cache folder from which the project's packages resolve.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { findCompiledOutput, parseJsonc, resolveTarget } from '../../../src/core/run/resolveTarget';
import { runProfiled } from '../../../src/core/run/runner';
import { agentFixture, OutputCollector, REPO, cpuFrames, newLog, program, readJson, tempDir, type CpuProfile } from './helpers';

const fixture = agentFixture();

/** A copy of a fixture project in a temp folder (the cache and tsc output go there, not into the repo). */
function copyProject(name: string): string {
  const dir = tempDir(`perflens-${name}-`);
  fixture.track(dir);
  fs.cpSync(program(name), dir, { recursive: true });
  return dir;
}

interface SourceMap {
  sources: string[];
  sourcesContent?: string[];
  sourceRoot?: string;
}

function mapSources(mapFile: string): string[] {
  const map = readJson<SourceMap>(mapFile);
  return map.sources.map((s) => path.resolve(path.dirname(mapFile), map.sourceRoot ?? '', s));
}

describe('TypeScript through esbuild', () => {
  it('bundles the entry into node_modules/.cache/perflens with a linked source map, and bare imports still resolve', async () => {
    const project = copyProject('ts-esbuild');
    const dep = path.join(project, 'node_modules', 'fixture-dep');
    fs.mkdirSync(dep, { recursive: true });
    fs.writeFileSync(path.join(dep, 'package.json'), '{"name":"fixture-dep","version":"1.0.0","main":"index.js"}');
    fs.writeFileSync(path.join(dep, 'index.js'), "exports.greet = (who) => `hello ${who} from fixture-dep`;\n");
    const entry = path.join(project, 'src', 'main.ts');

    const out = new OutputCollector();
    const outDir = path.join(project, 'profiles');
    const result = await runProfiled({ target: { kind: 'script', file: entry }, agentPath: fixture.agentPath, outDir, log: newLog(), onOutput: out.onOutput });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ greeting: 'hello ts from fixture-dep' });

    const generated = result.generated as string;
    expect(path.dirname(path.dirname(generated))).toBe(path.join(project, 'node_modules', '.cache', 'perflens', 'ts'));
    expect(path.basename(generated)).toBe('main.cjs');
    // The dependency stays external: required from node_modules at run time, not inlined.
    const code = fs.readFileSync(generated, 'utf8');
    expect(code).toContain('require("fixture-dep")');
    expect(code).not.toContain('from fixture-dep`');
    expect(code).toContain('//# sourceMappingURL=main.cjs.map');
    const map = readJson<SourceMap>(`${generated}.map`);
    expect(mapSources(`${generated}.map`).sort()).toEqual([entry, path.join(project, 'src', 'util.ts')].sort());
    expect(map.sourcesContent?.some((c) => c.includes('export function tsHotFunction(ms: number)'))).toBe(true);

    const proc = result.processes[0];
    const hot = cpuFrames(readJson<CpuProfile>(proc?.cpuProfilePath as string), 'tsHotFunction');
    expect(hot[0]?.callFrame.url).toBe(pathToFileURL(generated).href);
  });

  it('keeps an .mts entry an ES module', async () => {
    const project = copyProject('ts-esbuild');
    const out = new OutputCollector();
    const result = await runProfiled({ target: { kind: 'script', file: path.join(project, 'src', 'esm-main.mts') }, agentPath: fixture.agentPath, outDir: path.join(project, 'profiles'), log: newLog(), onOutput: out.onOutput });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ esm: true, total: true });
    expect(result.generated?.endsWith('esm-main.mjs')).toBe(true);
    expect(result.processes).toHaveLength(1);
  });

  it('reports TypeScript that does not compile with the esbuild message and location', async () => {
    const project = copyProject('ts-esbuild');
    const broken = path.join(project, 'src', 'broken.ts');
    fs.writeFileSync(broken, 'const x: number = ;\n');
    await expect(resolveTarget({ target: { kind: 'script', file: broken }, log: newLog() }, newLog())).rejects.toThrow(/esbuild could not compile .*broken\.ts:\n.*broken\.ts:1:19: Unexpected ";"/);
  });
});

describe('TypeScript compiled by tsc', () => {
  let project: string;

  beforeAll(() => {
    project = copyProject('ts-tsc');
    execFileSync(path.join(REPO, 'node_modules', '.bin', 'tsc'), ['-p', path.join(project, 'tsconfig.json')], { stdio: 'pipe' });
  });

  it('runs the compiled output whose source map points back at the .ts', async () => {
    const entry = path.join(project, 'src', 'main.ts');
    const out = new OutputCollector();
    const log = newLog();
    const result = await runProfiled({ target: { kind: 'script', file: entry }, agentPath: fixture.agentPath, outDir: path.join(project, 'profiles'), log, onOutput: out.onOutput });
    expect(result.exitCode).toBe(0);
    expect(out.stdout).toBe('compiled true\n');
    expect(result.generated).toBeUndefined();
    expect(result.command.slice(1)).toEqual([path.join(project, 'out', 'main.js')]);
    expect(log.text('info')).toContain(`Running the compiled output ${path.join(project, 'out', 'main.js')}`);

    const mathJs = path.join(project, 'out', 'lib', 'math.js');
    expect(mapSources(`${mathJs}.map`)).toEqual([path.join(project, 'src', 'lib', 'math.ts')]);
    const hot = cpuFrames(readJson<CpuProfile>(result.processes[0]?.cpuProfilePath as string), 'compiledHotFunction');
    expect(hot[0]?.callFrame.url).toBe(pathToFileURL(mathJs).href);
  });

  it('transpiles instead when the compiled output is older than the source', async () => {
    const entry = path.join(project, 'src', 'main.ts');
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(entry, later, later);
    try {
      const log = newLog();
      expect(await findCompiledOutput(entry, log)).toBeUndefined();
      expect(log.text('info')).toContain('is older than');
      const resolved = await resolveTarget({ target: { kind: 'script', file: entry }, log }, log);
      expect(resolved.generated).toBeDefined();
      expect(resolved.compiled).toBeUndefined();
      // No node_modules above the copy: the bundle went to the temp folder.
      fixture.track(path.dirname(resolved.generated as string));
    } finally {
      const now = new Date();
      fs.utimesSync(entry, now, new Date(now.getTime() - 120_000));
    }
  });

  it('finds output without rootDir (tsc computes the common source folder) and ignores JavaScript whose map points elsewhere', async () => {
    const dir = copyProject('ts-tsc');
    const tsconfig = path.join(dir, 'tsconfig.json');
    const config = parseJsonc(fs.readFileSync(tsconfig, 'utf8')) as { compilerOptions: Record<string, unknown> };
    delete config.compilerOptions.rootDir;
    fs.writeFileSync(tsconfig, `// rootDir left to tsc\n${JSON.stringify(config, null, 2)}\n`);
    execFileSync(path.join(REPO, 'node_modules', '.bin', 'tsc'), ['-p', tsconfig], { stdio: 'pipe' });
    const math = path.join(dir, 'src', 'lib', 'math.ts');
    expect(await findCompiledOutput(math, newLog())).toBe(path.join(dir, 'out', 'lib', 'math.js'));

    // A sibling .js with an inline map that names another source is not this file's output.
    const other = path.join(dir, 'src', 'other.ts');
    fs.writeFileSync(other, 'export const a = 1;\n');
    const inline = Buffer.from(JSON.stringify({ version: 3, sources: ['unrelated.ts'], mappings: '' })).toString('base64');
    fs.writeFileSync(path.join(dir, 'src', 'other.js'), `exports.a = 1;\n//# sourceMappingURL=data:application/json;base64,${inline}\n`);
    expect(await findCompiledOutput(other, newLog())).toBeUndefined();
    // …and one whose inline map names it is.
    const matching = Buffer.from(JSON.stringify({ version: 3, sources: ['other.ts'], mappings: '' })).toString('base64');
    fs.writeFileSync(path.join(dir, 'src', 'other.js'), `exports.a = 1;\n//# sourceMappingURL=data:application/json;base64,${matching}\n`);
    expect(await findCompiledOutput(other, newLog())).toBe(path.join(dir, 'src', 'other.js'));
    // Without any source map, compiled output is not used.
    fs.writeFileSync(path.join(dir, 'src', 'other.js'), 'exports.a = 1;\n');
    expect(await findCompiledOutput(other, newLog())).toBeUndefined();
  });
});

describe('parseJsonc', () => {
  it('reads comments and trailing commas but leaves strings alone', () => {
    expect(parseJsonc('{\n // c\n "a": "x // not a comment", /* b */ "b": [1, 2,],\n}')).toEqual({ a: 'x // not a comment', b: [1, 2] });
    expect(parseJsonc('{"p": "C:\\\\dir\\\\\\"q\\"/*x*/"}')).toEqual({ p: 'C:\\dir\\"q"/*x*/' });
  });
});
