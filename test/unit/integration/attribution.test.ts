// `perflens profile --json` on programs with one known hot line: the self time must land on it,
// through tsc source maps, an esbuild bundle, TurboFan inlining across files, and a child process.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyProgram, ensureBuilt, hotLine, repoRoot, runCli, shareOnLine, type JsonLine } from './cliHarness';

interface ReportJson { wallMs: number; cpuMs: number; processes: { pid: number; argv: string[] }[]; hotspots: { lines: JsonLine[]; functions: unknown[] } }

beforeAll(() => ensureBuilt(), 120_000);

async function profileJson(cwd: string, args: string[]): Promise<ReportJson> {
  const result = await runCli(['profile', '--json', ...args], { cwd, timeoutMs: 90_000 });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as ReportJson;
}

function expectSorted(lines: JsonLine[]): void {
  for (let i = 1; i < lines.length; i++) expect(lines[i - 1]!.selfMs).toBeGreaterThanOrEqual(lines[i]!.selfMs);
}

describe('perflens profile puts the time on the known hot line', () => {
  it('TypeScript compiled by tsc with source maps', async () => {
    const dir = copyProgram('tsc-app');
    execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir]);
    const source = path.join(dir, 'src', 'checksum.ts');
    const report = await profileJson(dir, ['dist/main.js']);
    expectSorted(report.hotspots.lines);
    expect(report.hotspots.lines[0]).toMatchObject({ file: source, line: hotLine(source) });
    expect(shareOnLine(report.hotspots.lines, dir, source, hotLine(source))).toBeGreaterThanOrEqual(0.95);
  }, 120_000);

  it('the .ts entry itself: its compiled output is found through the source map', async () => {
    const dir = copyProgram('tsc-app');
    execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir]);
    const source = path.join(dir, 'src', 'checksum.ts');
    const report = await profileJson(dir, ['src/main.ts']);
    expect(report.hotspots.lines[0]).toMatchObject({ file: source, line: hotLine(source) });
    expect(shareOnLine(report.hotspots.lines, dir, source, hotLine(source))).toBeGreaterThanOrEqual(0.95);
  }, 120_000);

  it('an esbuild bundle of several TypeScript files', async () => {
    const dir = copyProgram('esbuild-app');
    const esbuild = await import('esbuild');
    await esbuild.build({ entryPoints: [path.join(dir, 'src', 'index.ts')], bundle: true, platform: 'node', sourcemap: true, outfile: path.join(dir, 'out', 'bundle.js'), logLevel: 'silent' });
    const source = path.join(dir, 'src', 'text.ts');
    const report = await profileJson(dir, ['out/bundle.js']);
    expect(report.hotspots.lines[0]).toMatchObject({ file: source, line: hotLine(source) });
    expect(shareOnLine(report.hotspots.lines, dir, source, hotLine(source))).toBeGreaterThanOrEqual(0.95);
  }, 120_000);

  it('a small function TurboFan inlines into a loop in another file', async () => {
    const dir = copyProgram('inline-app');
    const mix = path.join(dir, 'mix.js');
    const report = await profileJson(dir, ['main.js']);
    expect(report.hotspots.lines[0]).toMatchObject({ file: mix, line: hotLine(mix) });
    expect(shareOnLine(report.hotspots.lines, dir, mix, hotLine(mix))).toBeGreaterThanOrEqual(0.95);
    // V8 itself put those ticks on main.js, at a line past its end: none may be left there.
    const mainLines = readLines(path.join(dir, 'main.js'));
    expect(report.hotspots.lines.filter((l) => l.file === path.join(dir, 'main.js') && l.line > mainLines)).toEqual([]);
  }, 120_000);

  it('a child process started by an npm script', async () => {
    const dir = copyProgram('npm-child');
    const child = path.join(dir, 'child.js');
    const report = await profileJson(dir, ['--npm', 'work']);
    expect(report.processes.length).toBe(2);
    expect(report.processes.some((p) => p.argv.some((a) => a.endsWith('npm-cli.js')))).toBe(false);
    // The parent waits in execFileSync, which V8 samples inside node's internals; of the program's
    // own lines, the child's hot line comes first.
    const own = report.hotspots.lines.filter((l) => l.file.startsWith(dir + path.sep));
    expect(own[0]).toMatchObject({ file: child, line: hotLine(child) });
    expect(shareOnLine(report.hotspots.lines, dir, child, hotLine(child))).toBeGreaterThanOrEqual(0.95);
  }, 120_000);
});

function readLines(file: string): number {
  return readFileSync(file, 'utf8').split('\n').length;
}
