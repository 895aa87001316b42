import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DetectorEngine } from '../../../src/core/detect/engine';
import { expectedMarkers, findingKeys, fixturesRoot, sourceFilesUnder } from './helpers';

// Labelled projects written from the spec by sessions that did not see the engine (see each
// folder's README): precision and recall per rule must stay at or above the targets
// (precision 0.95, recall 0.90) and at the floor measured here.
// - holdout: written after the rules; its misses were then fixed (measured at first 0.990/0.897
//   blocking-call and 1.000/0.875 n-plus-one; now 1.000/1.000 and 1.000/0.981).
// - holdout2: written later; measured unseen at 1.000/1.000 blocking-call and 0.989/0.979
//   n-plus-one (2026-11-24), then its three misses were fixed: 1.000/1.000 for both.
describe.each([
  ['holdout', { blocking: 0.99, n1: 0.97 }],
  ['holdout2', { blocking: 0.99, n1: 0.99 }],
])('%s corpus', (folder, floor) => {
  it('keeps precision ≥ 0.95 and recall ≥ 0.90 (at its measured floor) for each rule', async () => {
    const files = sourceFilesUnder(path.join(fixturesRoot, folder));
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
      expect(blocking.labels).toBeGreaterThan(90);
      expect(n1.labels).toBeGreaterThan(90);
      expect(blocking.precision).toBeGreaterThanOrEqual(0.95);
      expect(n1.precision).toBeGreaterThanOrEqual(0.95);
      expect(blocking.recall).toBeGreaterThanOrEqual(floor.blocking);
      expect(n1.recall).toBeGreaterThanOrEqual(floor.n1);
    } finally {
      engine.dispose();
    }
  });
});
