/**
 * Process lifetime: cancel, timeout, SIGKILL after the grace period, leftovers, output floods,
 * start errors and the host process going away — with real `node` runs.
 */
import * as esbuild from 'esbuild';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserFacingError } from '../../../src/core/log';
import { runProfiled } from '../../../src/core/run/runner';
import {
  agentFixture, OutputCollector, REPO, cpuFrames, isRunning, newLog, program, readJson, tempDir, type CpuProfile,
} from './helpers';

const fixture = agentFixture();

const options = fixture.options;

const twoPids = (s: string): boolean => s.split('\n').filter((l) => l.startsWith('{"pid"')).length >= 2;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('ending the process tree', () => {
  it('cancels through the AbortSignal: a busy root and a detached child end quickly, profiles kept, nothing left', async () => {
    const out = new OutputCollector();
    const controller = new AbortController();
    const running = runProfiled(options({ kind: 'script', file: program('hang.js'), args: ['busy', 'with-child'] }, { onOutput: out.onOutput, signal: controller.signal }));
    await out.waitFor(twoPids);
    await sleep(300); // the root is in its endless loop by now
    const abortedAt = Date.now();
    controller.abort();
    const result = await running;
    const elapsed = Date.now() - abortedAt;

    expect(result.cancelled).toBe(true);
    expect(result.timedOut).toBe(false);
    // Well under the 3 s grace: the busy root was made to write its profile and end, not SIGKILLed.
    expect(elapsed).toBeLessThan(2500);
    expect(result.signal).toBe('SIGTERM');
    const pids = out.pids();
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(isRunning(pid)).toBe(false);

    const busy = result.processes.find((p) => p.argv[2] === 'busy');
    const idle = result.processes.find((p) => p.argv[2] === 'idle');
    expect(busy?.endReason).toBe('cancelled');
    expect(idle?.endReason).toBe('signal:SIGTERM');
    expect(cpuFrames(readJson<CpuProfile>(busy?.cpuProfilePath as string), 'spinForever').length).toBeGreaterThan(0);
    expect(result.uncaptured).toBeUndefined();
  });

  it('without the watcher thread (captureBusyProcesses: false) a busy process is lost: SIGKILLed and listed as uncaptured', async () => {
    const out = new OutputCollector();
    const controller = new AbortController();
    const running = runProfiled(options({ kind: 'script', file: program('hang.js'), args: ['busy'] }, { onOutput: out.onOutput, signal: controller.signal, killGraceMs: 800, captureBusyProcesses: false }));
    await out.waitFor((s) => s.includes('"pid"'));
    await sleep(300);
    controller.abort();
    const result = await running;
    expect(result.signal).toBe('SIGKILL');
    expect(result.processes).toEqual([]);
    expect(result.uncaptured?.map((p) => p.pid)).toEqual(out.pids());
    for (const pid of out.pids()) expect(isRunning(pid)).toBe(false);
  });

  it('ends the tree at timeoutMs the same way', async () => {
    const out = new OutputCollector();
    const started = Date.now();
    const result = await runProfiled(options({ kind: 'script', file: program('hang.js'), args: ['busy', 'with-child'] }, { onOutput: out.onOutput, timeoutMs: 1500 }));
    const elapsed = Date.now() - started;
    expect(result.timedOut).toBe(true);
    expect(result.cancelled).toBe(false);
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    expect(elapsed).toBeLessThan(1500 + 2500);
    for (const pid of out.pids()) expect(isRunning(pid)).toBe(false);
    expect(result.processes.map((p) => p.endReason).sort()).toEqual(['cancelled', 'signal:SIGTERM']);
  });

  it('SIGKILLs a process that ignores SIGTERM after killGraceMs, keeping the profile it wrote on the stop request', async () => {
    const out = new OutputCollector();
    const controller = new AbortController();
    const log = newLog();
    const running = runProfiled(options({ kind: 'script', file: program('ignore-sigterm.js') }, { onOutput: out.onOutput, signal: controller.signal, killGraceMs: 1000, log }));
    await out.waitFor((s) => s.includes('"pid"'));
    const abortedAt = Date.now();
    controller.abort();
    const result = await running;
    const elapsed = Date.now() - abortedAt;
    expect(out.stdout).toContain('ignoring SIGTERM');
    expect(result.signal).toBe('SIGKILL');
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(3000);
    expect(log.text('info')).toContain('Killing 1 process(es)');
    for (const pid of out.pids()) expect(isRunning(pid)).toBe(false);
    expect(result.processes).toHaveLength(1);
    expect(result.processes[0]?.endReason).toBe('cancelled');
  });

  it('ends processes the program left running when it exited (found by the run id in their environment)', async () => {
    const out = new OutputCollector();
    const log = newLog();
    const result = await runProfiled(options({ kind: 'script', file: program('leave-child.js') }, { onOutput: out.onOutput, log }));
    expect(result.exitCode).toBe(0);
    const [childPid] = out.pids();
    expect(childPid).toBeGreaterThan(0);
    expect(isRunning(childPid as number)).toBe(false);
    expect(log.text('info')).toContain('left 1 process(es) running');
    const child = result.processes.find((p) => p.pid === childPid);
    expect(child?.endReason).toBe('signal:SIGTERM');
    expect(result.processes).toHaveLength(2);
  });

  it('does not leave the tree running when the host process exits during a run', async () => {
    const dir = tempDir('perflens-driver-');
    fixture.track(dir);
    const driver = path.join(dir, 'driver.ts');
    fs.writeFileSync(driver, `
      import { runProfiled } from ${JSON.stringify(path.join(REPO, 'src', 'core', 'run', 'runner'))};
      import { silentLogger } from ${JSON.stringify(path.join(REPO, 'src', 'core', 'log'))};
      const [agentPath, script] = process.argv.slice(2);
      let seen = '';
      void runProfiled({
        target: { kind: 'script', file: script as string, args: ['busy', 'with-child'] },
        agentPath, log: silentLogger,
        onOutput: (_stream, text) => {
          seen += text;
          const pids = seen.split('\\n').filter((l) => l.startsWith('{"pid"'));
          if (pids.length >= 2) { process.stdout.write(pids.join('\\n') + '\\n'); process.exit(0); }
        },
      });
    `);
    const bundle = path.join(dir, 'driver.js');
    await esbuild.build({ entryPoints: [driver], outfile: bundle, bundle: true, platform: 'node', format: 'cjs', external: ['esbuild'], logLevel: 'silent' });
    const host = spawn(process.execPath, [bundle, fixture.agentPath, program('hang.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    host.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number | null>((resolve) => host.on('close', resolve));
    expect(code).toBe(0);
    const pids = stdout.trim().split('\n').map((l) => (JSON.parse(l) as { pid: number }).pid);
    expect(pids).toHaveLength(2);
    await sleep(100);
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
  });
});

describe('output', () => {
  it('streams a 200 MB stdout flood with bounded memory, decodes UTF-8 across chunks, and keeps a bounded stderr tail', async () => {
    let bytes = 0;
    let chunks = 0;
    let broken = false;
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const result = await runProfiled(options({ kind: 'script', file: program('flood.js'), args: ['200'] }, {
      heapProfile: false,
      onOutput: (stream, text) => {
        if (stream !== 'stdout') return;
        bytes += Buffer.byteLength(text);
        if (text.includes('\uFFFD')) broken = true;
        if (++chunks % 200 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      },
    }));
    expect(result.exitCode).toBe(0);
    const written = Number(/wrote (\d+) bytes/.exec(result.stderrTail)?.[1]);
    expect(written).toBeGreaterThanOrEqual(200 * 1024 * 1024);
    expect(bytes).toBe(written);
    expect(broken).toBe(false);
    // Holding the output would take 200 MB or more.
    expect(rssPeak - rssBefore).toBeLessThan(150 * 1024 * 1024);
    expect(result.stderrTail.length).toBeLessThanOrEqual(4096);
    expect(result.stderrTail.split('\n').filter(Boolean).length).toBeLessThanOrEqual(40);
    expect(result.stderrTail).toContain('stderr line 99');
    expect(result.stderrTail).not.toContain('stderr line 10\n');
  });
});

describe('start errors and bad targets', () => {
  it('reports a node that cannot be found as startError', async () => {
    const result = await runProfiled(options({ kind: 'script', file: program('cpu-heap.js') }, { nodePath: '/nonexistent/bin/node' }));
    expect(result.startError).toContain('node was not found at /nonexistent/bin/node');
    expect(result.exitCode).toBeNull();
    expect(result.processes).toEqual([]);
  });

  it('reports a missing working directory as startError', async () => {
    const result = await runProfiled(options({ kind: 'script', file: program('cpu-heap.js') }, { cwd: '/nonexistent/perflens/cwd' }));
    expect(result.startError).toBe('The working directory /nonexistent/perflens/cwd does not exist.');
  });

  it('reports an unknown command as startError', async () => {
    const result = await runProfiled(options({ kind: 'command', command: 'perflens-no-such-command', args: [] }));
    expect(result.startError).toContain('perflens-no-such-command was not found');
  });

  it('runs a command line, with nodeArgs carried in NODE_OPTIONS', async () => {
    const out = new OutputCollector();
    const result = await runProfiled(options({ kind: 'command', command: 'node', args: [program('print-env.js'), 'a b'] }, { onOutput: out.onOutput, nodeArgs: ['--max-old-space-size=150'] }));
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(out.stdout) as { heapLimitMb: number; argv: string[] };
    expect(report.argv).toEqual(['a b']);
    expect(report.heapLimitMb).toBeLessThan(300);
    expect(result.processes).toHaveLength(1);
  });

  it('rejects an npm script that does not exist, naming the ones that do', async () => {
    const run = runProfiled(options({ kind: 'npm', script: 'missing', packageDir: program('npm-project') }));
    await expect(run).rejects.toBeInstanceOf(UserFacingError);
    await expect(run).rejects.toThrow(/There is no npm script "missing" in .*package\.json\. Scripts: work, other\./);
  });

  it('rejects a folder without package.json, a missing script file, an unsupported file type and a missing agent', async () => {
    await expect(runProfiled(options({ kind: 'npm', script: 'x', packageDir: program('tree') }))).rejects.toThrow(/No package\.json in/);
    await expect(runProfiled(options({ kind: 'script', file: program('nope.js') }))).rejects.toThrow(/no such file/);
    await expect(runProfiled(options({ kind: 'script', file: program('npm-project', 'package.json') }))).rejects.toThrow(/only \.js, \.mjs, \.cjs, \.ts, \.mts and \.cts/);
    await expect(runProfiled(options({ kind: 'script', file: program('cpu-heap.js') }, { agentPath: '/nonexistent/agent.js' }))).rejects.toThrow(/capture agent was not found/);
  });

  it('does not start anything when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const out = new OutputCollector();
    const result = await runProfiled(options({ kind: 'script', file: program('cpu-heap.js') }, { signal: controller.signal, onOutput: out.onOutput }));
    expect(result.cancelled).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(out.stdout).toBe('');
  });
});
