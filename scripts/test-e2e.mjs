// Runs test/e2e (bundled to dist-test/e2e/index.js) inside a real VS Code: code-server's Node
// extension host, the workbench in headless Chromium. The suite is loaded through the workbench's
// `payload` (extensionDevelopmentPath + extensionTestsPath), the same contract as
// @vscode/test-electron, and the workbench reports the exit code through window.codeAutomationExit.
// While the suite runs it can ask for screenshots: it writes <dir>/shots/<name>.request and waits
// for <name>.done; the PNG goes to test-results/<name>.png.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureVsCode, freePort, launchChromium, startCodeServer } from './lib/vscode-server.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const resultsDir = path.join(root, 'test-results');
const timeoutMs = Number(process.env.PERFLENS_E2E_TIMEOUT_MS || 300_000);

function log(message) {
  process.stdout.write(`[e2e] ${message}\n`);
}

/** A fresh copy of examples/ (tests edit and profile it), with the TypeScript example compiled. */
export function prepareWorkspace(into) {
  cpSync(path.join(root, 'examples'), into, { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) && !src.endsWith(`${path.sep}out`) });
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(into, 'ts-app')], { stdio: 'inherit' });
  return into;
}

/** One VS Code session running the suite; returns its test results. */
async function runSuite({ suite, trusted }) {
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'perflens-e2e-'));
  const workspace = prepareWorkspace(path.join(runDir, 'workspace'));
  const shots = path.join(runDir, 'shots');
  mkdirSync(shots, { recursive: true });
  const resultsFile = path.join(runDir, 'results.json');
  const port = await freePort();
  const t0 = Date.now();
  const server = await startCodeServer({
    port, smokeDriver: true, runDir: path.join(runDir, 'vscode'), trust: !trusted,
    env: { PERFLENS_E2E_DIR: runDir, PERFLENS_E2E_RESULTS: resultsFile, PERFLENS_E2E_WORKSPACE: workspace },
  });
  const label = trusted ? 'trusted workspace' : 'untrusted workspace';
  log(`${label}: code-server ready on ${server.base} in ${Date.now() - t0} ms`);
  let browser;
  let code = 'not started';
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const authority = new URL(server.base).host;
    const remote = (p) => `vscode-remote://${authority}${p}`;
    const payload = [['extensionDevelopmentPath', remote(root)], ['extensionTestsPath', remote(suite)]];
    let finish;
    const exited = new Promise((resolve) => (finish = resolve));
    await page.exposeFunction('codeAutomationExit', (exitCode) => finish(exitCode));
    page.on('console', (m) => {
      const text = m.text();
      if (m.type() === 'error' && !/Failed to load resource|ERR_NAME_NOT_RESOLVED|ERR_CONNECTION_REFUSED|open-vsx|DataCloneError/.test(text)) log(`[page] ${text.slice(0, 300)}`);
    });
    const poll = setInterval(async () => {
      for (const file of readdirSync(shots).filter((f) => f.endsWith('.request'))) {
        const name = file.slice(0, -'.request'.length);
        rmSync(path.join(shots, file));
        try {
          await page.screenshot({ path: path.join(resultsDir, `${name}.png`) });
          log(`screenshot test-results/${name}.png`);
        } catch (error) {
          log(`screenshot ${name} failed: ${error.message}`);
        }
        writeFileSync(path.join(shots, `${name}.done`), '');
      }
    }, 200);
    if (process.env.PERFLENS_E2E_DEBUG_SHOT_MS) {
      setTimeout(() => page.screenshot({ path: path.join(resultsDir, 'e2e-debug.png') }).catch(() => {}), Number(process.env.PERFLENS_E2E_DEBUG_SHOT_MS));
    }
    await page.goto(`${server.base}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    let timer;
    code = await Promise.race([exited, new Promise((r) => { timer = setTimeout(() => r('timeout'), timeoutMs); })]);
    clearTimeout(timer);
    clearInterval(poll);
    if (code !== 0) await page.screenshot({ path: path.join(resultsDir, `e2e-final-${trusted ? 'trusted' : 'untrusted'}.png`) }).catch(() => {});
  } finally {
    await browser?.close().catch(() => {});
    server.stop();
  }
  log(`${label}: extension tests finished (exit ${code}) in ${Math.round((Date.now() - t0) / 1000)} s`);
  let tests = [];
  if (existsSync(resultsFile)) {
    tests = JSON.parse(readFileSync(resultsFile, 'utf8')).tests.map((t) => ({ ...t, name: `[${label}] ${t.name}` }));
  } else {
    tests.push({ name: `[${label}] the suite wrote no results (exit ${code})`, status: 'failed', ms: 0, error: server.log().slice(-3000) });
  }
  if (code !== 0 && !tests.some((t) => t.status === 'failed')) tests.push({ name: `[${label}] suite exit code`, status: 'failed', ms: 0, error: `exit ${code}` });
  if (process.env.PERFLENS_E2E_KEEP) log(`kept ${runDir}`);
  else rmSync(runDir, { recursive: true, force: true });
  return tests;
}

async function main() {
  if (!process.argv.includes('--no-build')) execFileSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, stdio: 'inherit' });
  const suite = path.join(root, 'dist-test', 'e2e', 'index.js');
  if (!existsSync(suite)) throw new Error(`${suite} is missing: the build did not produce the test bundle`);
  ensureVsCode();
  mkdirSync(resultsDir, { recursive: true });
  const tests = [...await runSuite({ suite, trusted: true }), ...await runSuite({ suite, trusted: false })];
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const t of tests) {
    const mark = t.status === 'passed' ? 'ok  ' : t.status === 'skipped' ? 'skip' : 'FAIL';
    process.stdout.write(`  ${mark} ${t.name} (${t.ms} ms)${t.error && t.status !== 'passed' ? `\n       ${t.error.replace(/\n/g, '\n       ')}` : ''}\n`);
    if (t.status === 'passed') passed++;
    else if (t.status === 'skipped') skipped++;
    else failed++;
  }
  writeFileSync(path.join(resultsDir, 'e2e.json'), JSON.stringify({ tests }, null, 1));
  process.stdout.write(`e2e: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  main().catch((error) => {
    process.stderr.write(`[e2e] ${error.stack ?? error}\n`);
    process.stdout.write('e2e: 0 passed, 1 failed\n');
    process.exitCode = 1;
  });
}
