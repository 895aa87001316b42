// `npm run bench`: every bench/*.ts module's exported `bench…` functions, each reporting ratios
// against a baseline measured in the same run (the machine is shared and noisy, so no absolute
// times are judged). Not part of `npm test`. `npm run bench -- ingest` runs only matching modules.
import * as esbuild from 'esbuild';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const filter = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const modules = readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.ts') && (filter.length === 0 || filter.some((x) => f.includes(x))));
const out = mkdtempSync(path.join(os.tmpdir(), 'perflens-bench-'));
const rows = [];
try {
  await esbuild.build({
    entryPoints: modules.map((m) => path.join(root, 'bench', m)),
    outdir: out, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning',
    external: ['esbuild', 'eslint', 'eslint-plugin-n', 'typescript-eslint', 'typescript'],
    loader: { '.scm': 'text' },
    define: { PERFLENS_VERSION: '"bench"' },
  });
  const require = createRequire(path.join(root, 'package.json'));
  for (const m of modules) {
    const mod = require(path.join(out, m.replace(/\.ts$/, '.js')));
    for (const [name, fn] of Object.entries(mod)) {
      if (!name.startsWith('bench') || typeof fn !== 'function') continue;
      process.stdout.write(`\n── ${m}: ${name}\n`);
      const result = await fn({ root, log: (line) => process.stdout.write(`   ${line}\n`) });
      for (const r of Array.isArray(result) ? result : [result]) rows.push(r);
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.stdout.write('\nbenchmark                                              ratio   target  verdict\n');
for (const r of rows) {
  const ok = r.higherIsBetter ? r.ratio >= r.target : r.ratio <= r.target;
  process.stdout.write(`${r.name.padEnd(52)} ${r.ratio.toFixed(3).padStart(7)}  ${(r.higherIsBetter ? '≥' : '≤') + r.target}`.padEnd(70) + `  ${ok ? 'met' : 'MISSED'}   ${r.detail ?? ''}\n`);
}
