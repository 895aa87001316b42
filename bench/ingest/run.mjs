#!/usr/bin/env node
// Runs bench/ingest.ts on its own: bundles it with esbuild into bench/.data/, then runs it in a
// fresh `node --expose-gc` and prints the result as JSON.
//   node bench/ingest/run.mjs [sizeMb] [runs]
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = join(root, 'bench', '.data');
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, 'bench-ingest.cjs');
await esbuild.build({
  entryPoints: [join(root, 'bench', 'ingest.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile,
  external: ['esbuild'],
  logLevel: 'warning',
});
const [sizeMb = '100', runs = '5'] = process.argv.slice(2);
const script = `require(${JSON.stringify(outfile)}).benchIngest({ sizeMb: ${Number(sizeMb)}, runs: ${Number(runs)}, log: (l) => process.stderr.write(l + '\\n') })
  .then((r) => { process.stdout.write(JSON.stringify(r, null, 2) + '\\n'); process.exitCode = r.ok ? 0 : 1; })
  .catch((e) => { process.stderr.write((e && e.stack) || String(e)); process.exitCode = 2; });`;
execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', '-e', script], { stdio: 'inherit', cwd: root });
