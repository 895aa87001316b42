import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DetectorEngine } from '../../../src/core/detect/engine';
import { expectedMarkers, findingKeys, fixturesRoot, sourceFilesUnder } from './helpers';

// test/fixtures/detectors/holdout: labelled projects written from the spec after the rules
// (see its README). Not every label is found yet: this records precision and recall per rule so
// that neither falls below what the engine reaches today; the misses are listed in the closing
// note of issue 3.
const dir = path.join(fixturesRoot, 'holdout');

describe('holdout corpus', () => {
  it('keeps precision ≥ 0.95 and recall ≥ 0.90 (at its measured floor) for each rule', async () => {
    const files = sourceFilesUnder(dir);
    const engine = new DetectorEngine();
    try {
      const results = await engine.analyseFiles(files);
      const found = new Set<string>();
      const labels = new Set<string>();
      for (const r of results) {
        for (const k of findingKeys(r.findings)) found.add(`${r.file}:${k}`);
        for (const k of expectedMarkers(r.file)) labels.add(`${r.file}:${k}`);
      }
      const score = (rule: string): { precision: number; recall: number; labels: number } => {
        const f = [...found].filter((k) => k.includes(`:${rule}:`));
        const l = [...labels].filter((k) => k.includes(`:${rule}:`));
        const tp = f.filter((k) => labels.has(k)).length;
        return { precision: tp / f.length, recall: tp / l.length, labels: l.length };
      };
      const blocking = score('blocking-call');
      const n1 = score('n-plus-one');
      expect(blocking.labels).toBeGreaterThan(100);
      expect(n1.labels).toBeGreaterThan(100);
      expect(blocking.precision).toBeGreaterThanOrEqual(0.95);
      expect(n1.precision).toBeGreaterThanOrEqual(0.95);
      // Measured 1.000 and 0.981 (2026-11-24, session 3; the issue asks for 0.90).
      expect(blocking.recall).toBeGreaterThanOrEqual(0.99);
      expect(n1.recall).toBeGreaterThanOrEqual(0.97);
    } finally {
      engine.dispose();
    }
  });
});
