/**
 * Helpers for the profile tests: the stored real recordings (test/fixtures/profiles, see its
 * record.mjs) with this machine's paths put back, and fresh recordings made at test time in a
 * temporary folder (so that mapping to real files is tested on this machine's node, tsc and esbuild).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { MemoryLogger } from '../../../src/core/log';
import { analyzeProfiles, type AnalyzeOptions, type ProfileReport, type ProfileSource } from '../../../src/core/profile';

export const repoRoot = resolve(__dirname, '..', '..', '..');
export const fixturesDir = join(repoRoot, 'test', 'fixtures', 'profiles');
export const programsDir = join(fixturesDir, 'programs');
/** The Node version the stored fixtures were recorded with. */
export const RECORDED = 'v20.20.2';

/**
 * The build outputs the stored recordings ran (programs/ts-geometry/out, programs/esbuild-bundle/dist),
 * rebuilt with the repository's pinned tsc and esbuild when absent (a checkout where `out/` and `dist/`
 * are ignored). Same tools and options as record.mjs, so the same lines.
 */
export function ensureFixtureBuilds(): void {
  if (!existsSync(join(programsDir, 'ts-geometry', 'out', 'geometry.js.map'))) compileTypeScript(join(programsDir, 'ts-geometry'));
  if (!existsSync(join(programsDir, 'esbuild-bundle', 'dist', 'bundle.js.map'))) {
    esbuild.buildSync({
      entryPoints: [join(programsDir, 'esbuild-bundle', 'src', 'main.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: join(programsDir, 'esbuild-bundle', 'dist', 'bundle.js'),
      sourcemap: true,
      sourcesContent: true,
      logLevel: 'warning',
    });
  }
}

/** A stored fixture's text with the {{FIXTURES_URL}} / {{FIXTURES_PATH}} placeholders replaced. */
export function fixtureText(rel: string): string {
  return readFileSync(join(fixturesDir, rel), 'utf8')
    .split('{{FIXTURES_URL}}')
    .join(pathToFileURL(fixturesDir).href)
    .split('{{FIXTURES_PATH}}')
    .join(JSON.stringify(fixturesDir).slice(1, -1));
}

export function fixtureJson(rel: string): unknown {
  return JSON.parse(fixtureText(rel));
}

/** A stored CPU profile as an analysis source. */
export function fixtureSource(rel: string): ProfileSource {
  return { cpuProfilePath: join(fixturesDir, rel), cpuProfileText: fixtureText(rel) };
}

/** Writes a relocated copy of a stored fixture into `dir` and returns its path (for heap profiles, which are read from disk). */
export function relocatedCopy(rel: string, dir: string): string {
  const out = join(dir, rel.split('/').pop()!);
  writeFileSync(out, fixtureText(rel));
  return out;
}

/** A temporary folder removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `perflens-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Copies programs/<name> into `dir` and returns the copy's folder. */
export function copyProgram(name: string, dir: string): string {
  const dest = join(dir, name);
  cpSync(join(programsDir, name), dest, { recursive: true });
  return dest;
}

/** Runs `node --cpu-prof` on a script and returns the profile's path. */
export function recordCpuProfile(script: string, outDir: string, intervalUs = 250): string {
  execFileSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', outDir, '--cpu-prof-name', 'profile.cpuprofile', '--cpu-prof-interval', String(intervalUs), script], {
    cwd: outDir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return join(outDir, 'profile.cpuprofile');
}

export function compileTypeScript(projectDir: string): void {
  execFileSync(join(repoRoot, 'node_modules', '.bin', 'tsc'), ['-p', projectDir], { stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function bundle(entry: string, outfile: string, sourcemap: 'external' | 'inline' | 'linked'): Promise<void> {
  // The banner shifts the bundle's lines, so that generated and original line numbers differ.
  const banner = '// Bundled by the PerfLens tests.\n// Line numbers here differ from the sources.\n"use strict";';
  await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile, sourcemap, sourcesContent: true, banner: { js: banner }, logLevel: 'silent' });
}

/** 1-based line of the first line containing `marker` in a file. */
export function lineOf(file: string, marker: string): number {
  const index = readFileSync(file, 'utf8').split(/\r\n|\r|\n/).findIndex((l) => l.includes(marker));
  if (index < 0) throw new Error(`${marker} not found in ${file}`);
  return index + 1;
}

export async function analyze(sources: ProfileSource[], options: Partial<AnalyzeOptions> = {}): Promise<{ report: ProfileReport; log: MemoryLogger }> {
  const log = new MemoryLogger();
  const report = await analyzeProfiles(sources, { log, ...options });
  return { report, log };
}

/** Share (0–1) of all user self time that is on `file`:`line`. */
export function userShareOn(report: ProfileReport, file: string, line: number): number {
  const user = report.lines.filter((l) => l.kind === 'user');
  const total = user.reduce((s, l) => s + l.selfUs, 0);
  const on = user.filter((l) => l.file === file && l.line === line).reduce((s, l) => s + l.selfUs, 0);
  return total > 0 ? on / total : 0;
}

export function hottestUserLine(report: ProfileReport): ProfileReport['lines'][number] {
  const line = report.lines.find((l) => l.kind === 'user');
  if (!line) throw new Error('no user line in the report');
  return line;
}
