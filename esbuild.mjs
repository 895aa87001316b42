// Builds every bundle PerfLens ships or tests:
//   dist/extension.js   the VS Code extension (CommonJS, `vscode` external)
//   dist/cli.js         the `perflens` command line (bin/perflens.js loads it)
//   dist/analysis-worker.js  profile analysis on a worker thread (the extension host stays responsive)
//   dist/scan-worker.js      workspace scans with the detectors on a worker thread
//   dist/perflens-agent.js       the capture agent preloaded into profiled Node processes
//   dist/webview/*.js   browser code of the webviews
//   dist-test/e2e/*.js  the extension-host test suite (the extensionTestsPath contract)
// Flags: --watch, --production (minified, no test bundle).
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const require = createRequire(import.meta.url);
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
  define: { PERFLENS_VERSION: JSON.stringify(version) },
};
const nodeCommon = {
  ...common,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // esbuild carries a native binary per platform; it is loaded from node_modules at run time.
  external: ['vscode', 'esbuild'],
  // Tree-sitter queries (src/core/detect/**/*.scm) are bundled as text.
  loader: { '.scm': 'text' },
};

const webviewEntries = existsSync('src/webview')
  ? readdirSync('src/webview').filter((f) => /^[a-z][\w-]*\.main\.ts$/.test(f)).map((f) => join('src/webview', f))
  : [];

const builds = [
  { ...nodeCommon, entryPoints: { extension: 'src/vscode/extension.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: { 'analysis-worker': 'src/core/profile/analysisWorker.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: { 'scan-worker': 'src/core/scan/scanWorker.ts' }, outdir: 'dist' },
  // The agent runs inside the user's program: no dependencies, nothing but node: built-ins.
  { ...nodeCommon, entryPoints: { 'perflens-agent': 'src/core/run/agent.ts' }, outdir: 'dist', sourcemap: false },
];
if (webviewEntries.length > 0) {
  builds.push({ ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: webviewEntries, outdir: 'dist/webview', entryNames: '[name]' });
}
if (!production && existsSync('test/e2e/index.ts')) {
  builds.push({ ...nodeCommon, entryPoints: { index: 'test/e2e/index.ts' }, outdir: 'dist-test/e2e' });
}

function copyAssets() {
  mkdirSync('dist', { recursive: true });
  // source-map's WebAssembly mappings parser; loaded by src/core/profile/sourceMaps.ts.
  copyFileSync(join(dirname(require.resolve('source-map/package.json')), 'lib', 'mappings.wasm'), 'dist/mappings.wasm');
  // tree-sitter: the runtime and the grammars, loaded by src/core/detect from dist/grammars.
  mkdirSync('dist/grammars', { recursive: true });
  const grammars = [
    ['web-tree-sitter', 'tree-sitter.wasm'],
    ['tree-sitter-javascript', 'tree-sitter-javascript.wasm'],
    ['tree-sitter-typescript', 'tree-sitter-typescript.wasm'],
    ['tree-sitter-typescript', 'tree-sitter-tsx.wasm'],
    ['tree-sitter-python', 'tree-sitter-python.wasm'],
  ];
  for (const [pkg, file] of grammars) {
    copyFileSync(join('node_modules', pkg, file), join('dist', 'grammars', file));
  }
}

copyAssets();
// Entries not written yet are skipped, so parts of the tree can be built on their own.
const present = builds.filter((b) => Object.values(b.entryPoints).every((e) => existsSync(e)));
if (watch) {
  const contexts = await Promise.all(present.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  process.stdout.write('esbuild: watching\n');
} else {
  await Promise.all(present.map((b) => esbuild.build(b)));
}
