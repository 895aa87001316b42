// `npm run test:electron`: the same extension-host suite (dist-test/e2e/index.js, an exported
// run()) under @vscode/test-electron, on machines that can download VS Code. Here, where only the
// npm registry is reachable, `npm test` runs the suite in code-server instead.
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { prepareWorkspace } from './test-e2e.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
execFileSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, stdio: 'inherit' });
const workspace = prepareWorkspace(path.join(mkdtempSync(path.join(os.tmpdir(), 'perflens-electron-')), 'workspace'));
const { runTests } = await import('@vscode/test-electron');
try {
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'dist-test', 'e2e', 'index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
  });
} catch (error) {
  process.stderr.write(`test:electron failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
