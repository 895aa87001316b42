/**
 * Overhead of the capture agent on a CPU-bound program, against plain `node` and `node --cpu-prof`.
 *
 * The program times its own work (performance.now around it), so node's start-up and the writing
 * of profiles at exit are not counted — the targets are about the cost while the program runs.
 * Variants run interleaved, in a rotating order, several times; medians are compared.
 *
 * The targets apply to the program's own wall time; its CPU time (process-wide, so profiler and GC
 * threads count) is reported in the detail, as it is steadier when the machine is shared.
 *
 * Environment: PERFLENS_BENCH_REPEATS (default 9), PERFLENS_BENCH_ROUNDS (work per run, default 30).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

export interface BenchFigure {
  name: string;
  ratio: number;
  target: number;
  detail: string;
}

interface Variant {
  name: string;
  args: (outDir: string) => string[];
  env: (outDir: string) => NodeJS.ProcessEnv;
}

/** The repository root: the folder holding src/core/run/agent.ts, above this file or the cwd. */
function findRepoRoot(): string {
  const starts = [typeof __dirname === 'string' ? __dirname : process.cwd(), process.cwd()];
  for (const start of starts) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      if (fs.existsSync(path.join(dir, 'src', 'core', 'run', 'agent.ts'))) return dir;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error('benchOverhead: cannot find the repository (src/core/run/agent.ts)');
}

/** Builds the agent from source the way esbuild.mjs does, so the figures are for this tree. */
async function buildAgent(repo: string, dir: string): Promise<string> {
  // Resolved from the repository, wherever this file was bundled to.
  const esbuild = createRequire(path.join(repo, 'package.json'))('esbuild') as typeof import('esbuild');
  const outfile = path.join(dir, 'perflens-agent.js');
  await esbuild.build({
    entryPoints: [path.join(repo, 'src', 'core', 'run', 'agent.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    logLevel: 'silent',
  });
  return outfile;
}

interface RunFigures {
  /** The program's own measure of its work (wall). */
  programMs: number;
  /** Process CPU time over the same span. */
  cpuMs: number;
  /** Wall time of the whole process, start-up and exit included. */
  wallMs: number;
}

function runOnce(args: string[], env: NodeJS.ProcessEnv): Promise<RunFigures> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile('node', args, { env, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      const wallMs = performance.now() - started;
      if (err) {
        reject(new Error(`node ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        return;
      }
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        const reported = JSON.parse(line) as { ms: number; cpuMs?: number };
        resolve({ programMs: reported.ms, cpuMs: reported.cpuMs ?? 0, wallMs });
      } catch {
        reject(new Error(`unexpected output from node ${args.join(' ')}: ${stdout}${stderr}`));
      }
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function spread(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `${(sorted[0] ?? 0).toFixed(0)}–${(sorted[sorted.length - 1] ?? 0).toFixed(0)}`;
}

export async function benchOverhead(): Promise<BenchFigure[]> {
  const repeats = Math.max(3, Number(process.env.PERFLENS_BENCH_REPEATS) || 9);
  const rounds = Math.max(1, Number(process.env.PERFLENS_BENCH_ROUNDS) || 30);
  const repo = findRepoRoot();
  const program = path.join(repo, 'bench', 'overhead', 'cpu-bound.js');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'perflens-bench-'));
  try {
    const agent = await buildAgent(repo, work);
    const baseEnv = { ...process.env };
    delete baseEnv.NODE_OPTIONS;
    const agentEnv = (heap: boolean, watcher = true) => (outDir: string): NodeJS.ProcessEnv => ({
      ...baseEnv,
      NODE_OPTIONS: `--require "${agent.replace(/[\\"]/g, (c) => `\\${c}`)}"`,
      PERFLENS_OUT_DIR: outDir,
      PERFLENS_HEAP: heap ? '1' : '0',
      PERFLENS_STOP_WATCHER: watcher ? '1' : '0',
    });
    const variants: Variant[] = [
      { name: 'plain', args: () => [program, String(rounds)], env: () => baseEnv },
      { name: 'cpu-prof', args: (out) => ['--cpu-prof', `--cpu-prof-dir=${out}`, program, String(rounds)], env: () => baseEnv },
      { name: 'agent-cpu', args: () => [program, String(rounds)], env: agentEnv(false) },
      { name: 'agent-cpu-heap', args: () => [program, String(rounds)], env: agentEnv(true) },
      { name: 'agent-cpu-no-watcher', args: () => [program, String(rounds)], env: agentEnv(false, false) },
    ];
    const startupVariants: Variant[] = [
      { name: 'plain', args: () => ['-e', 'process.stdout.write(JSON.stringify({ms:0}))'], env: () => baseEnv },
      { name: 'agent-cpu-heap', args: () => ['-e', 'process.stdout.write(JSON.stringify({ms:0}))'], env: agentEnv(true) },
    ];
    const programMs = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    const cpuMs = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    const startupMs = new Map<string, number[]>(startupVariants.map((v) => [v.name, []]));

    // One warm-up run of each, not counted (file cache, CPU frequency).
    for (const v of variants) await runOnce(v.args(fs.mkdtempSync(path.join(work, 'warm-'))), v.env(fs.mkdtempSync(path.join(work, 'warm-'))));
    for (let r = 0; r < repeats; r++) {
      // Rotate the order so no variant always runs right after the same one.
      for (let i = 0; i < variants.length; i++) {
        const v = variants[(i + r) % variants.length] as Variant;
        const outDir = fs.mkdtempSync(path.join(work, `${v.name}-`));
        const figures = await runOnce(v.args(outDir), v.env(outDir));
        programMs.get(v.name)?.push(figures.programMs);
        cpuMs.get(v.name)?.push(figures.cpuMs);
        fs.rmSync(outDir, { recursive: true, force: true });
      }
      for (let i = 0; i < startupVariants.length; i++) {
        const v = startupVariants[(i + r) % startupVariants.length] as Variant;
        const outDir = fs.mkdtempSync(path.join(work, `start-${v.name}-`));
        const { wallMs } = await runOnce(v.args(outDir), v.env(outDir));
        startupMs.get(v.name)?.push(wallMs);
        fs.rmSync(outDir, { recursive: true, force: true });
      }
    }

    const med = (name: string): number => median(programMs.get(name) ?? []);
    const describe = (name: string): string => `${name} ${med(name).toFixed(0)} ms (${spread(programMs.get(name) ?? [])})`;
    const cpuMed = (name: string): number => median(cpuMs.get(name) ?? []);
    const figure = (name: string, a: string, b: string, target: number): BenchFigure => ({
      name,
      ratio: Number((med(a) / med(b)).toFixed(3)),
      target,
      detail: `median of ${repeats} interleaved runs: ${describe(a)} vs ${describe(b)}; process CPU time ratio ${(cpuMed(a) / cpuMed(b)).toFixed(3)}`,
    });
    const startPlain = median(startupMs.get('plain') ?? []);
    const startAgent = median(startupMs.get('agent-cpu-heap') ?? []);
    return [
      figure('agent (CPU) vs plain node', 'agent-cpu', 'plain', 1.05),
      figure('agent (CPU) vs node --cpu-prof', 'agent-cpu', 'cpu-prof', 1.02),
      figure('agent (CPU+heap) vs plain node', 'agent-cpu-heap', 'plain', 1.05),
      figure('agent (CPU+heap) vs node --cpu-prof', 'agent-cpu-heap', 'cpu-prof', 1.02),
      figure('agent (CPU, captureBusyProcesses: false) vs node --cpu-prof', 'agent-cpu-no-watcher', 'cpu-prof', 1.02),
      {
        name: 'start-up and exit of `node -e` with the agent (informative)',
        ratio: Number((startAgent / startPlain).toFixed(3)),
        target: 2,
        detail: `median wall time ${startAgent.toFixed(0)} ms with the agent (CPU+heap, profiles written) vs ${startPlain.toFixed(0)} ms plain, ${repeats} runs`,
      },
    ];
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
