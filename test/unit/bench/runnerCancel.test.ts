import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../../src/core/bench/runner';

const dir = mkdtempSync(path.join(os.tmpdir(), 'perflens-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

describe.skipIf(process.platform !== 'linux')('runCommand cancellation', () => {
  it('aborting ends the command and the processes it started', async () => {
    const pidFile = path.join(dir, 'grandchild.pid');
    const script = `const { spawn } = require('node:child_process');
const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid));
setInterval(() => {}, 1000);`;
    const abort = new AbortController();
    const running = runCommand([process.execPath, '-e', script], dir, abort.signal);
    let grandchild = 0;
    for (let i = 0; i < 100 && !grandchild; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try { grandchild = Number(readFileSync(pidFile, 'utf8')); } catch { /* not yet */ }
    }
    expect(grandchild).toBeGreaterThan(0);
    expect(alive(grandchild)).toBe(true);
    abort.abort(new Error('Cancelled.'));
    await expect(running).rejects.toThrow('Cancelled.');
    for (let i = 0; i < 40 && alive(grandchild); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(grandchild)).toBe(false);
  });

  it('an already aborted signal runs nothing', async () => {
    const abort = new AbortController();
    abort.abort(new Error('Cancelled.'));
    await expect(runCommand([process.execPath, '-e', 'process.exit(0)'], dir, abort.signal)).rejects.toThrow('Cancelled.');
  });
});
