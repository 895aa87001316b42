/**
 * Ingest benchmark: reading, parsing, aggregating (per function and per line, with the inlining
 * correction) and source-mapping a ≥100 MB `.cpuprofile` must cost at most 1.5× a bare
 * `JSON.parse(readFileSync(file))` of the same file, measured in the same process.
 *
 * The big profile is grown from a real recording (test/fixtures/profiles/node-cpu-prof/<version>/
 * ts-geometry.cpuprofile: tsc output with source maps, TurboFan inlining): the call tree is cloned
 * under the root with fresh ids, and the sample sequence repeated over the clones, until the file is
 * big enough. It is written once to bench/.data/ (gitignored) and reused.
 *
 * Run: `npm run bench` (scripts/bench.mjs bundles bench/*.ts), or `node bench/ingest/run.mjs`.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../src/core/log';
import { analyzeProfiles, clearProfileCaches } from '../src/core/profile';

export interface IngestBenchResult {
  name: 'ingest';
  /** Median of ours / median of the baseline. */
  ratio: number;
  target: number;
  ok: boolean;
  baselineMs: number;
  oursMs: number;
  baselineRunsMs: number[];
  oursRunsMs: number[];
  fileBytes: number;
  nodes: number;
  samples: number;
  file: string;
}

export interface IngestBenchOptions {
  /** Size of the grown profile; default 100 (MB, 10^6 bytes). */
  sizeMb?: number;
  /** Measured runs of each side (after one warm-up each); default 5. */
  runs?: number;
  log?: (line: string) => void;
}

const TARGET = 1.5;
const FORMAT = 1;

function findRepoRoot(): string {
  for (const start of [__dirname, process.cwd()]) {
    let dir = start;
    for (;;) {
      const pkg = join(dir, 'package.json');
      if (existsSync(pkg) && /"name":\s*"perflens"/.test(readFileSync(pkg, 'utf8'))) return dir;
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new Error('bench/ingest: cannot find the perflens repository root');
}

/**
 * `source-map` loads mappings.wasm from the folder of the code that runs it; when this file is
 * bundled somewhere other than dist/, put a copy there (esbuild.mjs does the same for dist/).
 */
function ensureMappingsWasm(root: string): void {
  if (__filename.endsWith('.ts')) return;
  const target = join(__dirname, 'mappings.wasm');
  const source = join(root, 'node_modules', 'source-map', 'lib', 'mappings.wasm');
  if (!existsSync(target) && existsSync(source)) copyFileSync(source, target);
}

type RawNode = { id: number; callFrame: unknown; children?: number[]; positionTicks?: unknown; hitCount?: number };
type RawProfile = { nodes: RawNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

function baseProfile(root: string): { profile: RawProfile; workspace: string } {
  const fixtures = join(root, 'test', 'fixtures', 'profiles');
  const versions = readdirSync(join(fixtures, 'node-cpu-prof')).sort();
  const file = join(fixtures, 'node-cpu-prof', versions[versions.length - 1]!, 'ts-geometry.cpuprofile');
  const program = join(fixtures, 'programs', 'ts-geometry');
  // The tsc output the recording ran (ignored by git in some checkouts): rebuild it with the pinned tsc.
  if (!existsSync(join(program, 'out', 'geometry.js.map'))) execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', program], { stdio: 'inherit' });
  const text = readFileSync(file, 'utf8').split('{{FIXTURES_URL}}').join(pathToFileURL(fixtures).href).split('{{FIXTURES_PATH}}').join(JSON.stringify(fixtures).slice(1, -1));
  return { profile: JSON.parse(text) as RawProfile, workspace: program };
}

/** Writes the grown profile without holding it all as one string. */
async function growProfile(base: RawProfile, file: string, sizeBytes: number): Promise<{ nodes: number; samples: number }> {
  const root = base.nodes.find((n) => !base.nodes.some((m) => m.children?.includes(n.id)))!;
  const others = base.nodes.filter((n) => n !== root);
  const maxId = Math.max(...base.nodes.map((n) => n.id));
  const nodeBytes = JSON.stringify(others).length / others.length;
  const sampleBytes = (JSON.stringify(base.samples).length + JSON.stringify(base.timeDeltas).length) / base.samples.length;
  // About half of the bytes in nodes, half in samples, like a long recording of a large program.
  const clones = Math.max(1, Math.ceil(sizeBytes / 2 / nodeBytes / others.length));
  const repeats = Math.max(1, Math.ceil(sizeBytes / 2 / sampleBytes / base.samples.length));
  const shift = (id: number, k: number): number => (id === root.id ? id : id + k * maxId);
  const interval = (base.endTime - base.startTime) / base.samples.length;

  const tmp = `${file}.tmp`;
  const out = createWriteStream(tmp);
  const write = (s: string): Promise<void> => (out.write(s) ? Promise.resolve() : new Promise((r) => out.once('drain', () => r())));
  await write('{"nodes":[');
  const rootChildren: number[] = [];
  for (let k = 0; k < clones; k++) for (const c of root.children ?? []) rootChildren.push(shift(c, k));
  await write(JSON.stringify({ ...root, children: rootChildren }));
  for (let k = 0; k < clones; k++) {
    let chunk = '';
    for (const n of others) chunk += `,${JSON.stringify({ ...n, id: shift(n.id, k), ...(n.children ? { children: n.children.map((c) => shift(c, k)) } : {}) })}`;
    await write(chunk);
  }
  await write(`],"startTime":${base.startTime},"endTime":${Math.round(base.startTime + interval * base.samples.length * repeats)},"samples":[`);
  for (let r = 0; r < repeats; r++) {
    const k = r % clones;
    await write((r > 0 ? ',' : '') + base.samples.map((s) => shift(s, k)).join(','));
  }
  await write('],"timeDeltas":[');
  for (let r = 0; r < repeats; r++) {
    const deltas = r === 0 ? base.timeDeltas : [Math.round(interval), ...base.timeDeltas.slice(1)];
    await write((r > 0 ? ',' : '') + deltas.join(','));
  }
  await write(']}');
  await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
  renameSync(tmp, file);
  return { nodes: 1 + clones * others.length, samples: repeats * base.samples.length };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export async function benchIngest(options: IngestBenchOptions = {}): Promise<IngestBenchResult> {
  const log = options.log ?? (() => {});
  const sizeMb = options.sizeMb ?? 100;
  const runs = options.runs ?? 5;
  const root = findRepoRoot();
  ensureMappingsWasm(root);
  const { profile, workspace } = baseProfile(root);
  const dataDir = join(root, 'bench', '.data');
  mkdirSync(dataDir, { recursive: true });
  const file = resolve(dataDir, `ingest-ts-geometry-${sizeMb}mb-v${FORMAT}.cpuprofile`);
  const metaFile = `${file}.json`;
  let meta: { nodes: number; samples: number };
  if (existsSync(file) && existsSync(metaFile)) {
    meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { nodes: number; samples: number };
  } else {
    log(`ingest: growing a ${sizeMb} MB profile from a real recording…`);
    meta = await growProfile(profile, file, sizeMb * 1e6);
    writeFileSync(metaFile, JSON.stringify(meta));
  }
  const fileBytes = statSync(file).size;

  const baseline = (): number => {
    const t0 = performance.now();
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as RawProfile;
    const ms = performance.now() - t0;
    if (!Array.isArray(parsed.nodes)) throw new Error('unexpected profile');
    return ms;
  };
  const ours = async (): Promise<number> => {
    clearProfileCaches();
    const t0 = performance.now();
    const report = await analyzeProfiles([{ cpuProfilePath: file }], { log: silentLogger, workspaceRoot: workspace });
    const ms = performance.now() - t0;
    if (!report.lines.some((l) => l.file.endsWith('geometry.ts'))) throw new Error('bench/ingest: the profile was not source-mapped');
    return ms;
  };

  collectGarbage();
  baseline();
  collectGarbage();
  await ours();
  const baselineRunsMs: number[] = [];
  const oursRunsMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    collectGarbage();
    baselineRunsMs.push(baseline());
    collectGarbage();
    oursRunsMs.push(await ours());
    log(`ingest: run ${i + 1}/${runs}: JSON.parse ${baselineRunsMs[i]!.toFixed(0)} ms, analyzeProfiles ${oursRunsMs[i]!.toFixed(0)} ms`);
  }
  const baselineMs = median(baselineRunsMs);
  const oursMs = median(oursRunsMs);
  const ratio = oursMs / baselineMs;
  return {
    name: 'ingest',
    ratio: Math.round(ratio * 1000) / 1000,
    target: TARGET,
    ok: ratio <= TARGET,
    baselineMs: Math.round(baselineMs),
    oursMs: Math.round(oursMs),
    baselineRunsMs: baselineRunsMs.map(Math.round),
    oursRunsMs: oursRunsMs.map(Math.round),
    fileBytes,
    nodes: meta.nodes,
    samples: meta.samples,
    file,
  };
}
