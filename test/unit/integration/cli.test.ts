// The `perflens` command line as a user meets it: output contracts, bad input, time limits, Ctrl-C.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, processesMentioning, repoRoot, runCli } from './cliHarness';

beforeAll(() => ensureBuilt(), 120_000);

function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'perflens-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const busyLoop = (ms: number) => `const end = Date.now() + ${ms};\nlet x = 0;\nwhile (Date.now() < end) x += Math.sqrt(x + 1);\n`;

describe('perflens profile', () => {
  it('with --json, stdout holds only the JSON and the program output goes to stderr', async () => {
    const dir = scratch({ 'talk.js': `console.log('hello from the program');\n${busyLoop(300)}console.log('bye');\n` });
    const result = await runCli(['profile', '--json', 'talk.js'], { cwd: dir });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(result.stderr).toContain('hello from the program');
    expect(report.wallMs).toBeGreaterThan(250);
    expect(report.cpuMs).toBeGreaterThan(0);
    expect(report.processes).toHaveLength(1);
    expect(report.hotspots.lines[0].file).toBe(path.join(dir, 'talk.js'));
    expect(report.hotspots.lines[0].line).toBe(4);
    const total = report.hotspots.lines.reduce((s: number, l: { selfPercent: number }) => s + l.selfPercent, 0);
    expect(total).toBeLessThanOrEqual(100.5);
  });

  it('the text report lists the hottest lines with paths relative to the current folder; --top shortens it', async () => {
    const dir = scratch({ 'work.js': busyLoop(300) });
    const result = await runCli(['profile', '--top', '3', 'work.js'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Hottest lines \(self time\)/);
    expect(result.stdout).toMatch(/\d+(\.\d+)?%\s+[\d.]+ (ms|s)\s+work\.js:3\s+while \(Date\.now\(\) < end\)/);
    const rows = result.stdout.split('Hottest functions')[0]!.split('\n').filter((l) => /^\s+[\d.]+%/.test(l));
    expect(rows.length).toBeLessThanOrEqual(3);
  });

  it('--timeout ends the whole process tree, reports what was captured and exits 1', async () => {
    const dir = scratch({
      'parent.js': `require('node:child_process').spawn(process.execPath, [require('node:path').join(__dirname, 'child.js')], { stdio: 'inherit' });\n${busyLoop(60_000)}`,
      'child.js': busyLoop(60_000),
    });
    const result = await runCli(['profile', '--json', '--timeout', '1.5', 'parent.js'], { cwd: dir, timeoutMs: 30_000 });
    expect(result.code).toBe(1);
    expect(result.ms).toBeLessThan(15_000);
    expect(result.stderr).toMatch(/time limit/);
    const report = JSON.parse(result.stdout);
    expect(report.processes.length).toBe(2);
    expect(report.hotspots.lines.some((l: { file: string }) => l.file === path.join(dir, 'child.js'))).toBe(true);
    expect(processesMentioning(dir)).toEqual([]);
  }, 60_000);

  it('Ctrl-C (SIGINT) ends the program tree and still reports', async () => {
    const dir = scratch({ 'forever.js': busyLoop(600_000) });
    let pid = 0;
    const running = runCli(['profile', '--json', 'forever.js'], { cwd: dir, timeoutMs: 30_000, onSpawn: (p) => { pid = p; } });
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(pid, 'SIGINT');
    const result = await running;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/interrupted/);
    const report = JSON.parse(result.stdout);
    expect(report.hotspots.lines[0].file).toBe(path.join(dir, 'forever.js'));
    expect(processesMentioning(dir)).toEqual([]);
  }, 60_000);

  it('a program that throws: exit 1, the error on stderr, the profile still reported', async () => {
    const dir = scratch({ 'throws.js': `${busyLoop(300)}throw new Error('kaboom');\n` });
    const result = await runCli(['profile', '--json', 'throws.js'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/exited with code 1: Error: kaboom/);
    expect(JSON.parse(result.stdout).hotspots.lines[0].file).toBe(path.join(dir, 'throws.js'));
  });

  it('--out keeps the raw profiles and the report', async () => {
    const dir = scratch({ 'work.js': busyLoop(200) });
    const result = await runCli(['profile', '--out', 'prof', 'work.js'], { cwd: dir });
    expect(result.code).toBe(0);
    const files = readdirSync(path.join(dir, 'prof'));
    expect(files.some((f) => f.endsWith('.cpuprofile'))).toBe(true);
    expect(files.some((f) => f.endsWith('.heapprofile'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(dir, 'prof', 'report.json'), 'utf8')).version).toBe(1);
  });
});

describe('perflens profile --import', () => {
  const fixture = path.join(repoRoot, 'test', 'fixtures', 'e2e', 'word-stats.cpuprofile');

  it('reads a saved .cpuprofile', async () => {
    const result = await runCli(['profile', '--json', '--import', fixture], { cwd: repoRoot });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.wallMs).toBeNull();
    expect(report.hotspots.functions.find((f: { kind: string }) => f.kind === 'user').name).toBe('countWords');
  });

  it.each([
    ['garbage', 'this is not json at all'],
    ['truncated', readFileSync(fixture, 'utf8').slice(0, 5000)],
    ['not a profile', '{"hello": "world"}'],
  ])('%s input: exit 2 and one line naming the file', async (_name, text) => {
    const dir = scratch({ 'bad.cpuprofile': text });
    const result = await runCli(['profile', '--import', 'bad.cpuprofile'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^perflens: .*bad\.cpuprofile.*: /);
  });

  it('a file that does not exist: exit 2 naming it', async () => {
    const result = await runCli(['profile', '--import', 'nope.cpuprofile'], { cwd: os.tmpdir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/nope\.cpuprofile/);
  });

  it('bad usage: exit 2 with a hint', async () => {
    const result = await runCli(['profile', '--interval', 'x', 'a.js'], { cwd: os.tmpdir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--interval needs a positive number/);
  });
});
