/**
 * The small pieces of src/core/run on their own: NODE_OPTIONS quoting, the output tail,
 * /proc parsing, package-manager detection, heap frame repair and reading captures back.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CAPTURE_META_FORMAT } from '../../../src/core/run/captureFiles';
import { fillHeapFramesFromCpuProfile, type HeapNodeLike, type ProfileCallFrame } from '../../../src/core/run/heapFrames';
import { nodeOptionsWithAgent, quoteNodeOption } from '../../../src/core/run/nodeOptions';
import { OutputTail } from '../../../src/core/run/outputTail';
import { isPackageManagerFrontEnd } from '../../../src/core/run/packageManagers';
import { parseProcStat } from '../../../src/core/run/processTree';
import { readCaptures } from '../../../src/core/run/readCaptures';
import { newLog, tempDir } from './helpers';

const cleanup: string[] = [];
afterAll(() => {
  for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
});

describe('NODE_OPTIONS', () => {
  it('is parsed by node back into the same path, spaces, quotes and backslashes included', () => {
    const dir = tempDir('perflens q"uote \\ back ');
    cleanup.push(dir);
    const preload = path.join(dir, 'pre load.js');
    fs.writeFileSync(preload, 'process.stdout.write("preloaded:" + __filename);\n');
    const stdout = execFileSync(process.execPath, ['-e', 'process.stdout.write(" title:" + process.title)'], {
      env: { ...process.env, NODE_OPTIONS: nodeOptionsWithAgent(preload, '--max-old-space-size=100', ['--title=a "titled" run']) },
      encoding: 'utf8',
    });
    expect(stdout).toBe(`preloaded:${preload} title:a "titled" run`);
  });

  it('puts the agent first and keeps what the user had verbatim', () => {
    expect(nodeOptionsWithAgent('/a/agent.js', '  --inspect-port=0  --require "x y"  ')).toBe('--require "/a/agent.js" --inspect-port=0  --require "x y"');
    expect(nodeOptionsWithAgent('/a/agent.js', undefined)).toBe('--require "/a/agent.js"');
    expect(quoteNodeOption('C:\\Program Files\\a "b".js')).toBe('"C:\\\\Program Files\\\\a \\"b\\".js"');
  });
});

describe('OutputTail', () => {
  it('keeps at most the last 40 lines and 4 KB, however much went in', () => {
    const tail = new OutputTail();
    for (let i = 0; i < 100_000; i++) tail.push(`line ${i}\n`);
    const text = tail.toString();
    expect(text.split('\n').filter(Boolean)).toHaveLength(40);
    expect(text.startsWith('line 99960\n')).toBe(true);
    expect(text.endsWith('line 99999\n')).toBe(true);

    const wide = new OutputTail();
    wide.push('x'.repeat(1_000_000));
    wide.push('end');
    expect(wide.toString()).toHaveLength(4096);
    expect(wide.toString().endsWith('end')).toBe(true);
  });
});

describe('parseProcStat', () => {
  it('reads this process and names with spaces and parentheses', () => {
    const self = parseProcStat(fs.readFileSync('/proc/self/stat', 'utf8'));
    expect(self?.pid).toBeGreaterThan(0);
    expect(self?.ppid).toBeGreaterThan(0);
    expect(self?.state).toBe('R');
    const tricky = parseProcStat('4242 (we (ird) name) S 17 4242 4242 0 -1 4194560 1 0 0 0 3 4 0 0 20 0 1 0 987654 1 2');
    expect(tricky).toEqual({ pid: 4242, ppid: 17, pgid: 4242, startTime: '987654', state: 'S' });
    expect(parseProcStat('garbage')).toBeUndefined();
  });
});

describe('isPackageManagerFrontEnd', () => {
  it('recognises npm, npx, yarn, pnpm and corepack CLIs but not user scripts', () => {
    for (const cli of [
      '/usr/lib/node_modules/npm/bin/npm-cli.js',
      '/usr/lib/node_modules/npm/bin/npx-cli.js',
      'C:\\Program Files\\nodejs\\node_modules\\npm\\bin\\npm-cli.js',
      '/home/u/.nvm/versions/node/v20.1.0/lib/node_modules/pnpm/bin/pnpm.cjs',
      '/usr/local/lib/node_modules/yarn/bin/yarn.js',
      '/repo/.yarn/releases/yarn-4.5.0.cjs',
      '/usr/lib/node_modules/corepack/dist/pnpm.js',
    ]) expect(isPackageManagerFrontEnd(cli), cli).toBe(true);
    for (const user of ['/repo/src/index.js', '/repo/node_modules/vitest/vitest.mjs', '/repo/scripts/npm-helper.js', undefined]) {
      expect(isPackageManagerFrontEnd(user), String(user)).toBe(false);
    }
  });
});

describe('fillHeapFramesFromCpuProfile', () => {
  const frame = (functionName: string, scriptId: string, url = '', lineNumber = -1, columnNumber = -1): ProfileCallFrame => ({ functionName, scriptId, url, lineNumber, columnNumber });
  const heapNode = (callFrame: ProfileCallFrame, children: HeapNodeLike[] = []): HeapNodeLike => ({ callFrame, children });

  it('fills frames of collected scripts from the CPU profile, by call path when names repeat', () => {
    const cpu = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '0'), children: [2] },
        { id: 2, callFrame: frame('', '7', 'file:///app/main.js', 0, 0), children: [3, 4] },
        { id: 3, callFrame: frame('work', '7', 'file:///app/main.js', 10, 4), children: [5] },
        { id: 4, callFrame: frame('other', '7', 'file:///app/main.js', 20, 4), children: [6] },
        { id: 5, callFrame: frame('', '7', 'file:///app/main.js', 12, 20), children: [] },
        { id: 6, callFrame: frame('', '7', 'file:///app/main.js', 22, 20), children: [] },
      ],
    };
    const anonUnderWork = heapNode(frame('', '7'));
    const anonUnderOther = heapNode(frame('', '7'));
    const neverSampled = heapNode(frame('rare', '7'));
    const alive = heapNode(frame('lib', '9', '/app/lib.js', 3, 1));
    const head = heapNode(frame('(root)', '0'), [
      heapNode(frame('', '7'), [heapNode(frame('work', '7'), [anonUnderWork]), heapNode(frame('other', '7'), [anonUnderOther]), neverSampled]),
      alive,
    ]);
    const changed = fillHeapFramesFromCpuProfile(head, cpu, (p) => `file://${p}`);
    expect(anonUnderWork.callFrame).toMatchObject({ url: 'file:///app/main.js', lineNumber: 12, columnNumber: 20 });
    expect(anonUnderOther.callFrame).toMatchObject({ url: 'file:///app/main.js', lineNumber: 22, columnNumber: 20 });
    expect(head.children[0]?.children[0]?.callFrame).toMatchObject({ lineNumber: 10, columnNumber: 4 });
    // Not in the CPU profile: the script's URL is known, the line is not.
    expect(neverSampled.callFrame).toMatchObject({ url: 'file:///app/main.js', lineNumber: -1 });
    // Frames V8 resolved keep their position; their path becomes a URL like the CPU profile's.
    expect(alive.callFrame).toMatchObject({ url: 'file:///app/lib.js', lineNumber: 3, columnNumber: 1 });
    expect(changed).toBe(6);
  });
});

describe('readCaptures', () => {
  function write(dir: string, name: string, content: unknown): void {
    fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  const meta = (pid: number, extra: Record<string, unknown> = {}) => ({
    format: CAPTURE_META_FORMAT, version: 1, pid, ppid: 1, threadId: 0, argv: ['node', `/app/${pid}.js`], execArgv: [], cwd: '/app',
    startedAt: 2_000, endedAt: 3_000, maxRssBytes: 1, cpuUserUs: 2, cpuSystemUs: 3, endReason: 'exit', exitCode: 0,
    cpuProfile: `${pid}-0.cpuprofile`, ...extra,
  });

  it('skips missing, truncated, foreign, newer and older-run files with a warning, and lists processes that wrote nothing', async () => {
    const dir = tempDir('perflens-captures-');
    cleanup.push(dir);
    write(dir, '10-0.json', meta(10, { heapProfile: '10-0.heapprofile' }));
    write(dir, '10-0.cpuprofile', { nodes: [], samples: [], timeDeltas: [] });
    write(dir, '10-0.heapprofile', '{"head": {"callFrame": {}, "chil');
    write(dir, '11-0.json', meta(11));
    write(dir, '12-0.json', '{"format": "perflens-capture", "ver');
    write(dir, '13-0.json', meta(13, { version: 99 }));
    write(dir, '13-0.cpuprofile', '{}');
    write(dir, '14-0.json', { hello: 'world' });
    write(dir, '15-0.json', meta(15, { startedAt: 500 }));
    write(dir, '15-0.cpuprofile', '{}');
    write(dir, '16-0.started', { pid: 16, threadId: 0, argv: ['node', '/app/killed.js'], startedAt: 2_500 });
    write(dir, '17-0.started', { pid: 17, threadId: 0, argv: ['node', '/app/old.js'], startedAt: 100 });
    write(dir, 'notes.txt', 'not ours');

    const log = newLog();
    const { processes, uncaptured } = await readCaptures(dir, 1_000, log);
    expect(processes).toHaveLength(1);
    expect(processes[0]).toMatchObject({ pid: 10, cpuProfilePath: path.join(dir, '10-0.cpuprofile'), endReason: 'exit', exitCode: 0, maxRssBytes: 1 });
    expect(processes[0]?.heapProfilePath).toBeUndefined();
    expect(uncaptured).toEqual([{ pid: 16, threadId: 0, argv: ['node', '/app/killed.js'], startedAt: 2_500 }]);
    const warnings = log.text('warn');
    expect(warnings).toContain('10-0.heapprofile: missing or truncated');
    expect(warnings).toContain('11-0.cpuprofile: missing or truncated');
    expect(warnings).toContain('Skipped the capture record');
    expect(warnings).toContain('written by a newer PerfLens (format version 99');
    expect(warnings).toContain('14-0.json: not a PerfLens capture record');
  });

  it('returns nothing (with a warning) for a folder that does not exist', async () => {
    const log = newLog();
    expect(await readCaptures('/nonexistent/perflens', 0, log)).toEqual({ processes: [], uncaptured: [] });
    expect(log.text('warn')).toContain('Cannot read the profile folder');
  });
});
