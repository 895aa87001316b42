import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Finding } from '../../../src/core/detect/types';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const fixturesRoot = path.join(repoRoot, 'test', 'fixtures', 'detectors');

const SOURCE = /\.(?:[cm]?[jt]sx?|py)$/;

export function sourceFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFilesUnder(full));
    else if (SOURCE.test(name)) out.push(full);
  }
  return out;
}

/** `rule:line` keys of the `expect: <rule>` markers written next to the code. */
export function expectedMarkers(file: string): string[] {
  const keys: string[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/expect:\s*(blocking-call|n-plus-one)/g)) keys.push(`${m[1]}:${i + 1}`);
  });
  return keys.sort();
}

export function findingKeys(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.rule}:${f.line}`).sort();
}
