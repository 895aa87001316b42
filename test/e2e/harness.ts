// A small test runner for the extension host: the suite registers tests, `runAll` runs them in
// order and writes results as JSON for scripts/test-e2e.mjs. It keeps to the extensionTestsPath
// contract (a promise that rejects when a test failed), so @vscode/test-electron can run it too.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

interface TestCase { name: string; fn: () => Promise<void>; timeoutMs: number }
export interface TestResult { name: string; status: 'passed' | 'failed' | 'skipped'; ms: number; error?: string }

const tests: TestCase[] = [];

export function test(name: string, fn: () => Promise<void>, timeoutMs = 90_000): void {
  tests.push({ name, fn, timeoutMs });
}

export class Skip extends Error {}

export async function runAll(): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const t of tests) {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        t.fn(),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${t.timeoutMs} ms`)), t.timeoutMs); }),
      ]);
      results.push({ name: t.name, status: 'passed', ms: Date.now() - started });
    } catch (error) {
      if (error instanceof Skip) results.push({ name: t.name, status: 'skipped', ms: Date.now() - started, error: error.message });
      else results.push({ name: t.name, status: 'failed', ms: Date.now() - started, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    } finally {
      clearTimeout(timer);
    }
  }
  const file = process.env.PERFLENS_E2E_RESULTS;
  if (file) writeFileSync(file, JSON.stringify({ tests: results }, null, 1));
  return results;
}

/** Asks the driver (scripts/test-e2e.mjs) for a screenshot of the workbench; a no-op elsewhere. */
export async function screenshot(name: string): Promise<boolean> {
  const dir = process.env.PERFLENS_E2E_DIR;
  if (!dir) return false;
  const shots = path.join(dir, 'shots');
  mkdirSync(shots, { recursive: true });
  const done = path.join(shots, `${name}.done`);
  rmSync(done, { force: true });
  writeFileSync(path.join(shots, `${name}.request`), '');
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (existsSync(done)) return true;
    await sleep(100);
  }
  return false;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` returns a value (not undefined/false), or fails with `what`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
