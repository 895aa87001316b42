// Analysis of histories recorded here by running real benchmarks repeatedly
// (test/fixtures/bench/history/<name>/record.sh says how).
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeHistory, readHistory } from '../../../src/core/bench';

const HIST = path.resolve(__dirname, '..', '..', 'fixtures', 'bench', 'history');

describe('real recorded histories', () => {
  it('hyperfine sleep 20 ms → 24 ms at run 21: the step is found where it happened, the control series stays quiet', async () => {
    const h = await readHistory(path.join(HIST, 'hyperfine-sleep', 'history.jsonl'));
    expect(h.warnings).toEqual([]);
    const a = analyzeHistory(h.records);
    const sleep = a.series.find((s) => s.name === 'sleep')!;
    expect(sleep.runs).toBe(30);
    expect(sleep.changePoints).toHaveLength(1);
    expect(Math.abs(sleep.changePoints[0]! - 20)).toBeLessThanOrEqual(2);
    const control = a.series.find((s) => s.name === 'true')!;
    expect(control.changePoints).toEqual([]);
    expect(control.status).not.toBe('regressed');
  });

  it('tinybench on a loaded machine (±20% noise, spikes, bimodal): no false change point or regression', async () => {
    const h = await readHistory(path.join(HIST, 'tinybench-sort', 'history.jsonl'));
    const a = analyzeHistory(h.records);
    expect(a.series.map((s) => s.name)).toEqual(['sort', 'join', 'constant']);
    for (const s of a.series) {
      expect(s.changePoints, s.name).toEqual([]);
      expect(s.status, s.name).toBe('ok');
      expect(s.noisePercent).toBeGreaterThan(5);
    }
  });
});
