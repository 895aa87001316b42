// The extension analyses on a worker thread (dist/analysis-worker.js): same answers, same errors.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryLogger, UserFacingError } from '../../../src/core/log';
import { analyzeProfiles, analyzeProfilesInWorker } from '../../../src/core/profile';
import { ensureBuilt, repoRoot } from './cliHarness';

const worker = path.join(repoRoot, 'dist', 'analysis-worker.js');
const fixture = path.join(repoRoot, 'test', 'fixtures', 'e2e', 'word-stats.cpuprofile');

beforeAll(() => ensureBuilt(), 120_000);

describe('analysis on a worker thread', () => {
  it('gives the same report as in the calling thread', async () => {
    const here = await analyzeProfiles([{ cpuProfilePath: fixture }], { log: new MemoryLogger() });
    const there = await analyzeProfilesInWorker(worker, [{ cpuProfilePath: fixture }], { log: new MemoryLogger() });
    expect({ ...there, createdAt: '' }).toEqual({ ...here, createdAt: '' });
    expect(there.functions.find((f) => f.kind === 'user')?.name).toBe('countWords');
  });

  it('a bad profile is still a UserFacingError naming the file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'perflens-worker-'));
    const bad = path.join(dir, 'cut.cpuprofile');
    writeFileSync(bad, '{"nodes": [');
    const error = await analyzeProfilesInWorker(worker, [{ cpuProfilePath: bad }], { log: new MemoryLogger() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserFacingError);
    expect((error as Error).message).toMatch(/cut\.cpuprofile/);
  });

  it('warnings reach the caller\'s log', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'perflens-worker-'));
    const script = path.join(dir, 'gone.js');
    // The profiled script no longer exists: the analysis warns, and the warning must arrive here.
    const file = path.join(dir, 'moved.cpuprofile');
    writeFileSync(file, readFileSync(fixture, 'utf8').replaceAll(/file:\/\/[^"]*word-stats\.js/g, `file://${script}`));
    const log = new MemoryLogger();
    const report = await analyzeProfilesInWorker(worker, [{ cpuProfilePath: file }], { log });
    expect(report.functions.some((f) => f.name === 'countWords')).toBe(true);
    expect(log.text('warn')).toMatch(/gone\.js: file not found/);
    expect(report.warnings.join('\n')).toMatch(/gone\.js: file not found/);
  });

  it('cancelling ends the worker and rejects', async () => {
    const abort = new AbortController();
    const running = analyzeProfilesInWorker(worker, [{ cpuProfilePath: fixture }], { log: new MemoryLogger(), signal: abort.signal });
    abort.abort();
    await expect(running).rejects.toThrow(/cancelled/);
  });
});
