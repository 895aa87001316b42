// The real VS Code used for development and tests: code-server (VS Code's own server and web
// workbench) on its own Node 24, both from the npm registry, driven by Debian's Chromium.
// Desktop VS Code and @vscode/test-electron download from hosts this kind of machine cannot reach;
// code-server installs from npm alone. Everything lands in a cache folder and is installed once.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const CODE_SERVER_VERSION = '4.139.1';
export const NODE24_VERSION = '24.21.0';
export const CACHE = process.env.PERFLENS_VSCODE_DIR || path.join(os.homedir(), '.cache', 'perflens-vscode');
export const CHROMIUM = process.env.PERFLENS_CHROMIUM || '/usr/bin/chromium';
const here = path.dirname(new URL(import.meta.url).pathname);

const node24Bin = () => path.join(CACHE, 'node24', 'node_modules', 'node', 'bin', 'node');
const codeServerEntry = () => path.join(CACHE, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');

function say(message) {
  process.stderr.write(`[vscode] ${message}\n`);
}

function run(command, args, options = {}) {
  execFileSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
}

/** Debian packages: chromium drives the workbench; libkrb5-dev lets one native module of code-server compile. */
export function ensureSystemPackages() {
  const missing = [];
  if (!existsSync(CHROMIUM)) missing.push('chromium');
  if (!existsSync('/usr/include/gssapi/gssapi.h')) missing.push('libkrb5-dev');
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages: ${missing.join(' ')} — install them with: sudo apt-get install -y ${missing.join(' ')}`);
  }
  say(`installing ${missing.join(', ')} with apt-get (about a minute)…`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

function npmInstallInto(dir, spec, env = process.env) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n');
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', spec], { cwd: dir, env });
}

function installedCodeServerVersion() {
  try {
    const out = execFileSync(node24Bin(), [codeServerEntry(), '--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split(/\s+/)[0];
  } catch {
    return undefined;
  }
}

/** Installs what is missing (idempotent; the first time takes about three minutes). */
export function ensureVsCode() {
  ensureSystemPackages();
  if (!existsSync(node24Bin())) {
    say(`installing Node ${NODE24_VERSION} for code-server from the npm registry…`);
    npmInstallInto(path.join(CACHE, 'node24'), `node@${NODE24_VERSION}`);
  }
  if (installedCodeServerVersion() !== CODE_SERVER_VERSION) {
    say(`installing code-server ${CODE_SERVER_VERSION} (VS Code) from the npm registry; it compiles a few native modules (2–4 minutes)…`);
    const platformDir = readdirSync(path.join(CACHE, 'node24', 'node_modules', 'node', 'node_modules')).find((d) => d.startsWith('node-'));
    const nodeHome = path.join(CACHE, 'node24', 'node_modules', 'node', 'node_modules', platformDir ?? '');
    // code-server's install compiles native modules for Node 24: node-gyp must use Node 24 and its headers.
    const env = { ...process.env, PATH: `${path.dirname(node24Bin())}${path.delimiter}${process.env.PATH}`, npm_config_nodedir: nodeHome };
    npmInstallInto(path.join(CACHE, 'code-server'), `code-server@${CODE_SERVER_VERSION}`, env);
    const version = installedCodeServerVersion();
    if (version !== CODE_SERVER_VERSION) throw new Error(`code-server did not install (found ${version ?? 'nothing'}); see the npm output above`);
  }
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitHealthy(base, server, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`code-server exited with code ${server.exitCode}`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`code-server did not answer on ${base} within ${timeoutMs / 1000} s`);
}

/**
 * Serves VS Code on 127.0.0.1 with the extension folder loaded (symlinked, no packaging).
 * `smokeDriver` turns on the workbench's automation hooks that extension tests need.
 * Returns the base URL and a stop() that ends the server's whole process group.
 */
export async function startCodeServer({ extensionPath, port, smokeDriver = false, env = {}, runDir, trust = false }) {
  const dir = runDir ?? mkdtempSync(path.join(os.tmpdir(), 'perflens-vscode-'));
  const userData = path.join(dir, 'user-data');
  const extensions = path.join(dir, 'extensions');
  mkdirSync(path.join(userData, 'User'), { recursive: true });
  mkdirSync(extensions, { recursive: true });
  copyFileSync(path.join(here, '..', 'vscode-settings.json'), path.join(userData, 'User', 'settings.json'));
  if (extensionPath) {
    // A symlink to the folder: no packaging, and a rebuild shows after a window reload.
    const pkg = JSON.parse(readFileSync(path.join(extensionPath, 'package.json'), 'utf8'));
    for (const old of readdirSync(extensions)) rmSync(path.join(extensions, old), { recursive: true, force: true });
    symlinkSync(extensionPath, path.join(extensions, `${pkg.publisher}.${pkg.name}-${pkg.version}`));
  }
  const args = [
    codeServerEntry(),
    '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override',
    '--user-data-dir', userData, '--extensions-dir', extensions,
  ];
  if (!trust) args.push('--disable-workspace-trust');
  if (smokeDriver) args.push('--vscode-option', 'enable-smoke-test-driver');
  const server = spawn(node24Bin(), args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, XDG_CONFIG_HOME: path.join(dir, 'xdg'), XDG_DATA_HOME: path.join(dir, 'xdg'), ...env },
  });
  const logLines = [];
  const keep = (chunk) => { logLines.push(chunk.toString()); if (logLines.length > 400) logLines.shift(); };
  server.stdout.on('data', keep);
  server.stderr.on('data', keep);
  const stop = () => {
    try { process.kill(-server.pid, 'SIGTERM'); } catch { /* already gone */ }
    setTimeout(() => { try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ } }, 2000).unref();
  };
  process.on('exit', stop);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(base, server);
  } catch (error) {
    stop();
    throw new Error(`${error.message}\n${logLines.join('').slice(-4000)}`);
  }
  return { base, dir, server, stop, log: () => logLines.join('') };
}

/** Headless Chromium through playwright-core, with the flags this closed network needs. */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}
