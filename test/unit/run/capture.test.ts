/**
 * What the agent captures, through real `node` runs of the fixture programs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runProfiled } from '../../../src/core/run/runner';
import type { CapturedProcess } from '../../../src/core/run/types';
import {
  agentFixture, OutputCollector, cpuFrames, heapNodes, isRunning, newLog, program, readJson, tempDir,
  type CpuProfile, type HeapProfile,
} from './helpers';

const fixture = agentFixture();

const options = fixture.options;

function only(processes: CapturedProcess[]): CapturedProcess {
  expect(processes).toHaveLength(1);
  return processes[0] as CapturedProcess;
}

describe('capture of a script', () => {
  it('writes a CPU profile with user frames (file URL, positionTicks), a heap profile with allocation sites, and the meta', async () => {
    const file = program('cpu-heap.js');
    const out = new OutputCollector();
    const result = await runProfiled(options({ kind: 'script', file, args: ['400'] }, { onOutput: out.onOutput }));
    expect(result.startError).toBeUndefined();
    expect(result.exitCode).toBe(0);
    expect(out.stdout).toBe('done true\n');
    // The agent adds nothing to the program's output.
    expect(out.stderr).toBe('');

    const proc = only(result.processes);
    expect(proc.threadId).toBe(0);
    expect(proc.argv.slice(1)).toEqual([file, '400']);
    expect(proc.ppid).toBeGreaterThan(0);
    expect(proc.cwd).toBe(path.dirname(file));
    expect(proc.endReason).toBe('exit');
    expect(proc.exitCode).toBe(0);
    expect(proc.endedAt - proc.startedAt).toBeGreaterThanOrEqual(400);
    expect(proc.maxRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(proc.cpuUserUs).toBeGreaterThan(100_000);
    expect(proc.cpuSystemUs).toBeGreaterThanOrEqual(0);

    const cpu = readJson<CpuProfile>(proc.cpuProfilePath as string);
    expect(cpu.samples.length).toBe(cpu.timeDeltas.length);
    expect(cpu.samples.length).toBeGreaterThan(100);
    expect(cpu.endTime).toBeGreaterThan(cpu.startTime);
    const hot = cpuFrames(cpu, 'hotLoop');
    expect(hot.length).toBeGreaterThan(0);
    expect(hot[0]?.callFrame.url).toBe(pathToFileURL(file).href);
    expect(hot[0]?.callFrame.lineNumber).toBe(3); // 0-based: `function hotLoop(n) {` is line 4
    const ticks = hot.flatMap((n) => n.positionTicks ?? []);
    expect(ticks.reduce((s, t) => s + t.ticks, 0)).toBeGreaterThan(10);
    expect(ticks.every((t) => t.line >= 4 && t.line <= 10)).toBe(true);

    const heap = readJson<HeapProfile>(proc.heapProfilePath as string);
    const sites = heapNodes(heap, 'allocateObjects');
    expect(sites.length).toBeGreaterThan(0);
    // Same URL form as the CPU profile, and the line of `function allocateObjects(count) {`.
    expect(sites[0]?.callFrame.url).toBe(pathToFileURL(file).href);
    expect(sites[0]?.callFrame.lineNumber).toBe(11);
    // Objects the GC already collected are counted too: far more than the last batch alive.
    expect(sites.reduce((s, n) => s + n.selfSize, 0)).toBeGreaterThan(5 * 1024 * 1024);
  });

  it('honours heapProfile: false and the sampling interval', async () => {
    const result = await runProfiled(options({ kind: 'script', file: program('cpu-heap.js'), args: ['300'] }, { heapProfile: false, samplingIntervalUs: 5000 }));
    const proc = only(result.processes);
    expect(proc.heapProfilePath).toBeUndefined();
    const cpu = readJson<CpuProfile>(proc.cpuProfilePath as string);
    // ~300 ms at 5 ms per sample: far fewer samples than at the default 1 ms.
    expect(cpu.samples.length).toBeLessThan(150);
    expect(cpu.samples.length).toBeGreaterThan(20);
  });

  it('captures a process.exit() called half-way', async () => {
    const out = new OutputCollector();
    const result = await runProfiled(options({ kind: 'script', file: program('exit-midway.js') }, { onOutput: out.onOutput }));
    expect(result.exitCode).toBe(3);
    expect(out.stdout).not.toContain('not reached');
    const proc = only(result.processes);
    expect(proc.endReason).toBe('exit');
    expect(proc.exitCode).toBe(3);
    expect(cpuFrames(readJson<CpuProfile>(proc.cpuProfilePath as string), 'spinFor').length).toBeGreaterThan(0);
  });

  it('captures a program dying of an uncaught exception, and keeps the error in the stderr tail', async () => {
    const result = await runProfiled(options({ kind: 'script', file: program('throws.js') }));
    expect(result.exitCode).toBe(1);
    expect(result.stderrTail).toContain('Error: fixture failure after work true');
    const proc = only(result.processes);
    expect(proc.endReason).toBe('uncaught-exception');
    expect(cpuFrames(readJson<CpuProfile>(proc.cpuProfilePath as string), 'workThenFail').length).toBeGreaterThan(0);
  });

  it('captures every process of a tree, a detached child included', async () => {
    const out = new OutputCollector();
    const result = await runProfiled(options({ kind: 'script', file: program('tree', 'parent.js') }, { onOutput: out.onOutput }));
    expect(result.exitCode).toBe(0);
    expect(out.stdout).toContain('parent done');
    expect(result.processes).toHaveLength(3);
    const parent = result.processes.find((p) => p.argv[1]?.endsWith('parent.js'));
    expect(parent).toBeDefined();
    for (const role of ['attached', 'detached']) {
      const child = result.processes.find((p) => p.argv[2] === role);
      expect(child?.ppid).toBe(parent?.pid);
      expect(cpuFrames(readJson<CpuProfile>(child?.cpuProfilePath as string), 'childWork').length).toBeGreaterThan(0);
    }
  });

  it('captures worker threads that end by themselves and workers terminated by a pool', async () => {
    const out = new OutputCollector();
    const result = await runProfiled(options({ kind: 'script', file: program('worker', 'main.js'), args: ['pool'] }, { onOutput: out.onOutput }));
    expect(result.exitCode).toBe(0);
    expect(out.stdout).toContain('idle worker terminated');
    const main = result.processes.filter((p) => p.threadId === 0);
    const workers = result.processes.filter((p) => p.threadId > 0);
    expect(main).toHaveLength(1);
    expect(workers).toHaveLength(2);
    expect(workers.every((w) => w.pid === main[0]?.pid)).toBe(true);
    expect(workers.map((w) => w.endReason).sort()).toEqual(['exit', 'worker-terminate']);
    for (const w of workers) {
      expect(cpuFrames(readJson<CpuProfile>(w.cpuProfilePath as string), 'workerFib').length).toBeGreaterThan(0);
      expect(w.heapProfilePath).toBeDefined();
    }
    // The main thread's profile does not contain the worker's function.
    expect(cpuFrames(readJson<CpuProfile>(main[0]?.cpuProfilePath as string), 'workerFib')).toHaveLength(0);
  });

  it('profiles the processes of an npm script but not npm itself', async () => {
    const out = new OutputCollector();
    const result = await runProfiled(options(
      { kind: 'npm', script: 'work', packageDir: program('npm-project'), args: ['--flag', 'two words'] },
      { onOutput: out.onOutput, env: { npm_config_update_notifier: 'false', npm_config_loglevel: 'silent' } },
    ));
    expect(result.exitCode).toBe(0);
    expect(out.stdout).toContain('npm child args ["--flag","two words"]');
    const proc = only(result.processes);
    expect(proc.argv[1]).toBe(program('npm-project', 'child.js'));
    expect(cpuFrames(readJson<CpuProfile>(proc.cpuProfilePath as string), 'npmChildWork').length).toBeGreaterThan(0);
    expect(result.command.join(' ')).toMatch(/npm.* run work -- --flag two words$/);
  });

  it('keeps the NODE_OPTIONS the user already had', async () => {
    const out = new OutputCollector();
    const userOptions = `--max-old-space-size=200 --require "${program('user-preload.js')}"`;
    const result = await runProfiled(options(
      { kind: 'script', file: program('print-env.js') },
      { onOutput: out.onOutput, env: { NODE_OPTIONS: userOptions } },
    ));
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(out.stdout) as { nodeOptions: string; heapLimitMb: number; userPreload: boolean };
    expect(report.userPreload).toBe(true);
    expect(report.nodeOptions.endsWith(userOptions)).toBe(true);
    expect(report.heapLimitMb).toBeLessThan(400); // the default limit is several GB
    expect(only(result.processes).cpuProfilePath).toBeDefined();
  });

  it('works with spaces (and a quote) in the paths of the agent and the script', async () => {
    const dir = tempDir('perflens "quoted" dir ');
    fixture.track(dir);
    const agentCopy = path.join(dir, 'agent folder', 'the agent.js');
    fs.mkdirSync(path.dirname(agentCopy));
    fs.copyFileSync(fixture.agentPath, agentCopy);
    const script = path.join(dir, 'script folder', 'my script.js');
    fs.mkdirSync(path.dirname(script));
    fs.copyFileSync(program('cpu-heap.js'), script);
    const outDir = path.join(dir, 'out dir');
    const result = await runProfiled({ target: { kind: 'script', file: script, args: ['100'] }, agentPath: agentCopy, outDir, log: newLog() });
    expect(result.exitCode).toBe(0);
    const proc = only(result.processes);
    expect(proc.argv[1]).toBe(script);
    expect(cpuFrames(readJson<CpuProfile>(proc.cpuProfilePath as string), 'hotLoop')[0]?.callFrame.url).toBe(pathToFileURL(script).href);
  });

  it('lets a program with its own SIGTERM handler shut down, and captures it at exit', async () => {
    const out = new OutputCollector();
    const controller = new AbortController();
    const running = runProfiled(options({ kind: 'script', file: program('graceful.js') }, { onOutput: out.onOutput, signal: controller.signal }));
    await out.waitFor((s) => s.includes('"pid"'));
    controller.abort();
    const result = await running;
    expect(out.stdout).toContain('graceful shutdown');
    expect(result.exitCode).toBe(0);
    expect(result.cancelled).toBe(true);
    const proc = only(result.processes);
    expect(proc.endReason).toBe('exit');
    expect(cpuFrames(readJson<CpuProfile>(proc.cpuProfilePath as string), 'shutdownWork').length).toBeGreaterThan(0);
  });

  it('re-raises SIGTERM after capturing a program without a handler, so the exit status stays honest', async () => {
    const out = new OutputCollector();
    const controller = new AbortController();
    // Without the watcher thread nothing but the re-raised signal ends the process before SIGKILL.
    const running = runProfiled(options({ kind: 'script', file: program('hang.js'), args: ['idle'] }, { onOutput: out.onOutput, signal: controller.signal, captureBusyProcesses: false }));
    await out.waitFor((s) => s.includes('"pid"'));
    controller.abort();
    const result = await running;
    expect(result.signal).toBe('SIGTERM');
    expect(result.exitCode).toBeNull();
    expect(only(result.processes).endReason).toBe('signal:SIGTERM');
    for (const pid of out.pids()) expect(isRunning(pid)).toBe(false);
  });
});
