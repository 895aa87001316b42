// `npm test`: build, type-check, lint, unit tests (vitest) and the tests inside a real VS Code.
// Ends with one line "total: N passed, N failed[, N skipped]" counting unit and editor tests.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const skipE2e = process.argv.includes('--no-e2e') || process.env.PERFLENS_SKIP_E2E === '1';
const steps = [];
let passed = 0;
let failed = 0;
let skipped = 0;

function step(name, command, args, options = {}) {
  const t0 = Date.now();
  process.stdout.write(`\n── ${name}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  const ok = result.status === 0;
  steps.push(`${ok ? 'ok  ' : 'FAIL'} ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return ok;
}

if (!existsSync(path.join(root, 'node_modules', '.bin', 'vitest'))) {
  step('npm ci', 'npm', ['ci', '--no-audit', '--no-fund']);
}
const built = step('build (esbuild)', process.execPath, ['esbuild.mjs']);
if (!built) failed++;
if (!step('type-check (tsc)', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'])) failed++;
const webviewSources = existsSync(path.join(root, 'src', 'webview')) && readdirSync(path.join(root, 'src', 'webview')).some((f) => f.endsWith('.ts'));
if (webviewSources && !step('type-check webviews (tsc)', bin('tsc'), ['-p', 'tsconfig.webview.json', '--noEmit'])) failed++;
if (!step('lint (eslint)', bin('eslint'), ['src', 'test', 'bench'])) failed++;

mkdirSync(path.join(root, 'test-results'), { recursive: true });
const vitestJson = path.join(root, 'test-results', 'vitest.json');
const unitOk = step('unit tests (vitest)', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]);
if (existsSync(vitestJson)) {
  const r = JSON.parse(readFileSync(vitestJson, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  if (!unitOk && r.numFailedTests === 0) failed++;
} else if (!unitOk) failed++;

if (skipE2e) {
  steps.push('skip tests in VS Code (--no-e2e)');
} else if (!built) {
  steps.push('skip tests in VS Code (the build failed)');
  failed++;
} else {
  process.stdout.write('\n── tests in VS Code (code-server)\n');
  const e2eJson = path.join(root, 'test-results', 'e2e.json');
  rmSync(e2eJson, { force: true });
  const result = spawnSync(process.execPath, [path.join('scripts', 'test-e2e.mjs'), '--no-build'], { cwd: root, stdio: 'inherit' });
  if (existsSync(e2eJson)) {
    for (const t of JSON.parse(readFileSync(e2eJson, 'utf8')).tests) {
      if (t.status === 'passed') passed++;
      else if (t.status === 'skipped') skipped++;
      else failed++;
    }
    if (result.status !== 0 && !JSON.parse(readFileSync(e2eJson, 'utf8')).tests.some((t) => t.status === 'failed')) failed++;
  } else failed++;
  steps.push(`${result.status === 0 ? 'ok  ' : 'FAIL'} tests in VS Code`);
}

process.stdout.write(`\n${steps.join('\n')}\n\ntotal: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exitCode = failed > 0 ? 1 : 0;
