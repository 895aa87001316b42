import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DetectorEngine } from '../../../src/core/detect/engine';
import type { FileResult } from '../../../src/core/detect/types';
import { expectedMarkers, findingKeys, fixturesRoot, sourceFilesUnder } from './helpers';

// Each fixture folder is scanned as a small workspace; every finding must be marked
// `expect: <rule>` on its line, and every marker must be found.
for (const rule of ['blocking-call', 'n-plus-one']) {
  describe(`${rule} fixtures`, () => {
    const dir = path.join(fixturesRoot, rule);
    const files = sourceFilesUnder(dir);
    let engine: DetectorEngine;
    let results: Map<string, FileResult>;
    beforeAll(async () => {
      engine = new DetectorEngine();
      results = new Map((await engine.analyseFiles(files)).map((r) => [r.file, r]));
    });
    afterAll(() => engine.dispose());

    it('has positive and negative fixtures', () => {
      expect(files.some((f) => expectedMarkers(f).length > 0)).toBe(true);
      expect(files.some((f) => expectedMarkers(f).length === 0)).toBe(true);
    });
    for (const file of files) {
      it(path.relative(dir, file), () => {
        const result = results.get(file)!;
        expect(result.skipped).toBeUndefined();
        expect(findingKeys(result.findings)).toEqual(expectedMarkers(file));
      });
    }
  });
}
