// Benchmark history in the editor: Run benchmarks, the status bar and the history webview.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { currentMachine, machineFromFacts, parseHistory, type HistoryRecord } from '../../src/core/bench';
import type { BenchRunOutcome } from '../../src/vscode/benchCommands';
import { api, trustedTest, untrustedTest, workspace } from './context';
import { screenshot, sleep, waitFor } from './harness';

function historyFile(): string {
  return path.join(workspace(), '.perflens', 'history.jsonl');
}

function readRecords(): HistoryRecord[] {
  return existsSync(historyFile()) ? parseHistory(readFileSync(historyFile(), 'utf8'), 'history').records : [];
}

function distinct(records: HistoryRecord[], key: (r: HistoryRecord) => string): number {
  return new Set(records.map(key)).size;
}

const seriesKey = (r: HistoryRecord): string => JSON.stringify([r.suite, r.name, r.machine.id]);

/**
 * A history made before the test: 30 fast runs of the example benchmark on this machine (so the
 * real run that follows is a clear regression), and 24 series of another machine, one with a
 * name that would run script if it were ever put into the page as HTML.
 */
function seedHistory(): void {
  const here = currentMachine();
  const other = machineFromFacts({ os: 'linux 6.1', arch: 'x64', cpu: 'CI runner', cores: 4, memGB: 16, runtime: 'node 20.19.0' });
  const lines: string[] = [];
  let seed = 7;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const start = Date.parse('2026-10-01T00:00:00Z');
  for (let i = 0; i < 30; i++) {
    const ts = new Date(start + i * 86_400_000).toISOString();
    const base = { v: 1, run: `seed-${i}`, ts, commit: (0x1000000 + i).toString(16).padEnd(40, 'a'), branch: i % 2 ? 'main' : 'feature/x', dirty: false, better: 'lower' };
    for (const name of ['concatenate 20k strings', 'join 20k strings']) {
      lines.push(JSON.stringify({ ...base, machine: here, suite: 'string-ops', name, unit: 'ms', value: 0.01 * (1 + 0.02 * random()) }));
    }
    for (let k = 0; k < 24; k++) {
      const name = k === 0 ? '<img src=x onerror="document.body.dataset.pwned=1">' : `parse case ${k}`;
      const step = k % 3 === 0 && i >= 20 ? 1.3 : 1;
      const samples = Array.from({ length: 5 }, () => 100 * (k + 1) * step * (1 + 0.03 * (random() - 0.5)));
      lines.push(JSON.stringify({ ...base, machine: other, suite: k < 12 ? 'parser' : 'render', name, unit: 'µs', value: samples.sort((a, b) => a - b)[2], samples }));
    }
  }
  mkdirSync(path.dirname(historyFile()), { recursive: true });
  writeFileSync(historyFile(), `${lines.join('\n')}\n`);
}

trustedTest('each profiling run added its wall time, CPU time and peak memory to the history (suite profile)', async () => {
  // The profiling suite ran before this one and profiled ts-app/src/main.ts.
  const names = await waitFor('profile records in the history', () => {
    const found = readRecords().filter((r) => r.suite === 'profile').map((r) => r.name);
    return found.length > 0 ? found : undefined;
  });
  for (const figure of ['wall time', 'CPU time', 'peak memory']) {
    assert.ok(names.includes(`ts-app/src/main.ts · ${figure}`), `"ts-app/src/main.ts · ${figure}" is recorded (${[...new Set(names)].join('; ')})`);
  }
  assert.ok(!names.some((n) => n.startsWith('e2e-throws.js')), 'a run that failed is not recorded');
});

trustedTest('Run benchmarks from the palette appends one run and names the regressions in the status bar', async () => {
  seedHistory();
  const before = readRecords();
  const outcome = await vscode.commands.executeCommand<BenchRunOutcome>('perflens.runBenchmarks');
  assert.ok(outcome, 'the command ran');
  assert.equal(outcome.problem, undefined, `no problem (${outcome.problem})`);
  const after = readRecords();
  assert.equal(distinct(after, (r) => r.run), distinct(before, (r) => r.run) + 1, 'the history grew by one run');
  const added = after.slice(before.length);
  assert.deepEqual(added.map((r) => r.name).sort(), ['concatenate 20k strings', 'join 20k strings']);
  assert.ok(added.every((r) => r.suite === 'string-ops' && r.machine.id === currentMachine().id), 'recorded under the configured name, on this machine');
  assert.equal(outcome.summary, '2 regressions', 'both were ~100× slower than the seeded runs');
  assert.equal(api().benchStatus.text, '2 regressions', 'the status bar says so');
  assert.equal(api().benchStatus.item.command, 'perflens.showBenchmarkHistory', 'and opens the history');
  assert.ok(outcome.failing?.some((f) => f.startsWith('string-ops › concatenate 20k strings +')), `the regressions are named: ${outcome.failing?.join('; ')}`);
}, 60_000);

trustedTest('the Benchmark history webview draws every series of the history', async () => {
  const records = readRecords();
  const expected = distinct(records, seriesKey);
  assert.ok(expected >= 26, `the history holds the seeded and the new series (${expected})`);
  const rendered = api().history.nextRender();
  await vscode.commands.executeCommand('perflens.showBenchmarkHistory');
  const report = await Promise.race([rendered, sleep(20_000).then(() => undefined)]);
  assert.ok(report, 'the webview reported its first render');
  assert.equal(report.series, expected, 'it shows every series');
  assert.ok(report.charts > 0 && report.charts < expected, `only the visible charts were drawn (${report.charts})`);
  const regressed = api().history.lastView?.series.filter((s) => s.status === 'regressed').map((s) => s.name) ?? [];
  assert.ok(regressed.includes('concatenate 20k strings') && regressed.includes('join 20k strings'), `the view marks this run's regressions (${regressed.join(', ')})`);
  assert.ok(api().history.lastView?.series.some((s) => s.changePoints.includes(20)), 'and the seeded 30% steps as change points');
  await vscode.commands.executeCommand('workbench.action.closePanel');
  await vscode.commands.executeCommand('workbench.action.closeSidebar');
  await sleep(800);
  assert.ok(await screenshot('history-webview') || !process.env.PERFLENS_E2E_DIR, 'the screenshot was taken');
}, 60_000);

function liveProcessesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes(marker) && !readFileSync(`/proc/${entry}/stat`, 'utf8').includes(') Z ')) pids.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

trustedTest('cancelling Run benchmarks ends the benchmark and the processes it started, and records nothing', async () => {
  const marker = `perflens-e2e-hang-${Date.now()}`;
  const script = path.join(workspace(), 'bench', 'hang.js');
  writeFileSync(script, `const { spawn } = require('node:child_process');\nspawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '${marker}'], { stdio: 'ignore' });\nsetInterval(() => {}, 1000);\n`);
  const config = vscode.workspace.getConfiguration('perflens');
  await config.update('bench.benchmarks', [{ name: 'hang', command: ['node', 'bench/hang.js', marker], format: 'custom-smaller' }], vscode.ConfigurationTarget.Workspace);
  try {
    const before = readRecords().length;
    const running = vscode.commands.executeCommand<BenchRunOutcome>('perflens.runBenchmarks');
    await waitFor('the benchmark and its child to start', () => liveProcessesWith(marker).length >= 2, 20_000);
    api().bench.cancel();
    const outcome = await running;
    assert.equal(outcome?.problem, 'Cancelled.');
    await waitFor('every process of the benchmark to end', () => liveProcessesWith(marker).length === 0, 5_000);
    assert.equal(readRecords().length, before, 'nothing was recorded');
  } finally {
    await config.update('bench.benchmarks', undefined, vscode.ConfigurationTarget.Workspace);
  }
}, 60_000);

untrustedTest('in an untrusted workspace Run benchmarks runs nothing and the history still opens', async () => {
  seedHistory();
  const before = readFileSync(historyFile(), 'utf8');
  const outcome = await vscode.commands.executeCommand<BenchRunOutcome | undefined>('perflens.runBenchmarks');
  assert.equal(outcome, undefined, 'the command refused');
  await sleep(1500);
  assert.equal(readFileSync(historyFile(), 'utf8'), before, 'the history is unchanged');
  assert.equal(api().benchStatus.text, undefined, 'no status was shown');
  const rendered = api().history.nextRender();
  await vscode.commands.executeCommand('perflens.showBenchmarkHistory');
  const report = await Promise.race([rendered, sleep(20_000).then(() => undefined)]);
  assert.ok(report, 'the webview reported its first render');
  assert.equal(report.series, distinct(readRecords(), seriesKey), 'it shows every series');
  assert.equal(api().history.lastView?.canOpenCommits, false, 'commits cannot be opened (that runs git)');
}, 60_000);
