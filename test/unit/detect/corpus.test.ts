import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DetectorEngine } from '../../../src/core/detect/engine';
import { repoRoot, sourceFilesUnder } from './helpers';

const corpusRoot = path.resolve(repoRoot, '..', 'shared', 'corpus', 'detectors');
const present = existsSync(path.join(corpusRoot, 'labels.json'));

// The shared labelled corpus: every label found, nothing else flagged.
describe.skipIf(!present)('shared detector corpus', () => {
  const engine = new DetectorEngine();
  afterAll(() => engine.dispose());

  it('finds exactly the labelled findings', async () => {
    const labels = JSON.parse(readFileSync(path.join(corpusRoot, 'labels.json'), 'utf8')) as { file: string; line: number; rule: string }[];
    const results = await engine.analyseFiles(sourceFilesUnder(corpusRoot));
    const found = results.flatMap((r) => r.findings.map((f) => `${f.rule} ${path.relative(corpusRoot, f.file).split(path.sep).join('/')}:${f.line}`));
    const expected = labels.map((l) => `${l.rule} ${l.file}:${l.line}`);
    expect(results.filter((r) => r.skipped)).toEqual([]);
    expect([...new Set(found)].sort()).toEqual([...new Set(expected)].sort());
  });
});
