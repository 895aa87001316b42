// `npm start`: installs what is missing, builds, and serves a real VS Code (code-server) in the
// browser on 127.0.0.1 with PerfLens loaded from this folder and examples/ open. Prints the URL.
// Uses only Node built-ins until `npm install` has run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const say = (m) => process.stdout.write(`[start] ${m}\n`);

if (!existsSync(path.join(root, 'node_modules', '.bin', 'esbuild'))) {
  say('installing npm dependencies…');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
say('building…');
execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
say('compiling the TypeScript example (examples/ts-app → out/)…');
execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'examples', 'ts-app')], { stdio: 'inherit' });

const { ensureVsCode, freePort, startCodeServer } = await import('./lib/vscode-server.mjs');
ensureVsCode();
const port = Number(process.env.PORT) || await freePort();
const server = await startCodeServer({ extensionPath: root, port, runDir: path.join(root, '.perflens-run', 'vscode') });
const url = `${server.base}/?folder=${encodeURIComponent(path.join(root, 'examples'))}`;
process.stdout.write(`\nPerfLens is running in VS Code at:\n\n  ${url}\n\nOpen a file in examples/ and click the flame button in the editor title. Ctrl-C stops the server.\n`);
const stop = () => { server.stop(); process.exit(0); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
server.server.on('exit', (code) => { say(`code-server exited (${code})`); process.exit(code ?? 1); });
