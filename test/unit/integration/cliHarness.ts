// Runs the built `perflens` CLI (dist/cli.js through bin/perflens.js) as a user would.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const cliBin = path.join(repoRoot, 'bin', 'perflens.js');

/** Builds the bundles once per test file (the CLI runs from dist/, as installed). */
export function ensureBuilt(): void {
  execFileSync(process.execPath, [path.join(repoRoot, 'esbuild.mjs')], { cwd: repoRoot, stdio: 'pipe' });
  if (!existsSync(path.join(repoRoot, 'dist', 'cli.js'))) throw new Error('dist/cli.js was not built');
}

export interface CliResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

export function runCli(args: string[], options: { cwd: string; timeoutMs?: number; onSpawn?: (pid: number) => void; env?: NodeJS.ProcessEnv } ): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`perflens ${args.join(' ')} did not finish in ${options.timeoutMs ?? 60_000} ms\n${stderr}`)); }, options.timeoutMs ?? 60_000);
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A fresh copy of a program under test/fixtures/attribution. */
export function copyProgram(name: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `perflens-attr-${name}-`));
  cpSync(path.join(repoRoot, 'test', 'fixtures', 'attribution', name), dir, { recursive: true });
  return dir;
}

/** The 1-based line marked `// HOT` in a file. */
export function hotLine(file: string): number {
  const index = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('// HOT'));
  if (index < 0) throw new Error(`${file} has no // HOT line`);
  return index + 1;
}

export interface JsonLine { file: string; line: number; selfMs: number; selfPercent: number; kind: string }

/** Share of the self time in the program's own files (generated and original) that is on file:line. */
export function shareOnLine(lines: JsonLine[], programDir: string, file: string, line: number): number {
  const own = lines.filter((l) => l.file.startsWith(programDir + path.sep) && !l.file.includes(`${path.sep}node_modules${path.sep}`));
  const total = own.reduce((s, l) => s + l.selfMs, 0);
  const on = own.filter((l) => l.file === file && l.line === line).reduce((s, l) => s + l.selfMs, 0);
  return total === 0 ? 0 : on / total;
}

/** Pids of live processes whose command line mentions `needle` (Linux /proc). */
export function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes(needle) && !readFileSync(`/proc/${entry}/stat`, 'utf8').includes(') Z ')) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}
