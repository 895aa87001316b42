import { describe, expect, it } from 'vitest';
import { buildHistoryView, summarizeVerdicts } from '../../../src/core/bench/historyView';
import { analyzeHistory } from '../../../src/core/bench/analysis';
import { machineFromFacts } from '../../../src/core/bench/environment';
import type { HistoryRecord } from '../../../src/core/bench/types';
import { filterSeries, formatDelta, formatPValue, isCommitId, NO_FILTER, verdictOrder } from '../../../src/core/shared/historyProtocol';

const m1 = machineFromFacts({ os: 'linux 6.1', arch: 'x64', cpu: 'Xeon', cores: 8, memGB: 32, runtime: 'node 20' });
const m2 = machineFromFacts({ os: 'darwin 24.1', arch: 'arm64', cpu: 'M3', cores: 8, memGB: 16, runtime: 'node 20' });

function rec(i: number, suite: string, name: string, value: number, extra: Partial<HistoryRecord> = {}): HistoryRecord {
  return {
    v: 1, run: `r${i}`, ts: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(), commit: `${i.toString(16).padStart(7, '0')}abc`,
    branch: i % 2 ? 'main' : 'dev', dirty: false, machine: m1, suite, name, unit: 'ms', better: 'lower', value, ...extra,
  };
}

/** 40 runs of three series: a flat one, one with a 40% step at run 37, and one on another machine with samples. */
function history(): HistoryRecord[] {
  const out: HistoryRecord[] = [];
  for (let i = 0; i < 40; i++) {
    const wiggle = 1 + 0.01 * Math.sin(i * 1.7);
    out.push(rec(i, 'parser', 'flat', 10 * wiggle));
    out.push(rec(i, 'parser', 'stepped', (i >= 37 ? 14 : 10) * wiggle));
    out.push(rec(i, 'render', 'sampled <b>', 5 * wiggle, { machine: m2, samples: [4.5 * wiggle, 5 * wiggle, 5.6 * wiggle], branch: 'feature/y' }));
  }
  return out;
}

describe('buildHistoryView', () => {
  it('marks a latest run that jumped like the series\' earlier spikes as an outlier to rerun', () => {
    const values = Array.from({ length: 60 }, (_, i) => 10 * (1 + 0.01 * Math.sin(i * 1.7)));
    values[15] = values[15]! * 1.8;
    values[40] = values[40]! * 1.7;
    values.push(17);
    const { view } = buildHistoryView({ file: 'h.jsonl', records: values.map((v, i) => rec(i, 'io', 'spiky', v)), canOpenCommits: false });
    const s = view.series[0]!;
    expect(s.status).toBe('ok');
    expect(s.latestOutlier).toBe(true);
    expect(s.outliers).toContain(60);
    // A clean history: the same jump is a regression at once.
    const clean = values.map((v, i) => (i === 15 || i === 40 ? 10 : v));
    const cleanView = buildHistoryView({ file: 'h.jsonl', records: clean.map((v, i) => rec(i, 'io', 'spiky', v)), canOpenCommits: false }).view;
    expect(cleanView.series[0]!.latestOutlier).toBe(false);
    expect(cleanView.series[0]!.status).toBe('regressed');
  });

  const { view, analyses } = buildHistoryView({ file: '.perflens/history.jsonl', records: history(), canOpenCommits: true });

  it('has one series per suite, name and machine, sharing the runs', () => {
    expect(view.series.map((s) => `${s.suite}/${s.name}`)).toEqual(['parser/flat', 'parser/stepped', 'render/sampled <b>']);
    expect(view.runs).toHaveLength(40);
    const stepped = view.series[1]!;
    expect(stepped.runIndex).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(view.runs[stepped.runIndex[5]!]!.commit).toBe('0000005abc');
    expect(view.series[2]!.machine).toBe(m2.id);
    expect(view.series[2]!.machineLabel).toContain('M3');
  });

  it('keeps the analysis: the step is a change point and the verdict a regression', () => {
    const stepped = view.series[1]!;
    expect(stepped.changePoints).toContain(37);
    expect(stepped.latestChange).toBe(37);
    expect(stepped.status).toBe('regressed');
    expect(stepped.deltaPercent).toBeGreaterThan(30);
    expect(view.series[0]!.status).toBe('ok');
    expect(analyses).toHaveLength(3);
  });

  it('gives the sample spread where there are samples, and none where there are not', () => {
    expect(view.series[0]!.low).toBeNull();
    const sampled = view.series[2]!;
    expect(sampled.low).toHaveLength(40);
    expect(sampled.low![0]).toBeCloseTo(4.5 * (1 + 0.01 * Math.sin(0)));
    expect(sampled.high![0]).toBeCloseTo(5.6);
  });

  it('lists the branches of each series for the branch filter', () => {
    expect(view.series[0]!.branches.sort()).toEqual(['dev', 'main']);
    expect(view.series[2]!.branches).toEqual(['feature/y']);
  });

  it('shows budgets and their violations', () => {
    const withBudget = buildHistoryView({ file: 'h', records: history(), options: { budgets: [{ match: 'parser/stepped', max: 12 }] } }).view;
    const b = withBudget.series[1]!.budget!;
    expect(b.max).toBe(12);
    expect(b.violated).toBe(true);
    expect(b.violations[0]).toMatch(/above the maximum 12/);
    expect(withBudget.series[0]!.budget).toBeNull();
  });
});

describe('summarizeVerdicts', () => {
  it('counts the regressions and budget violations of the latest run', () => {
    const analysis = analyzeHistory(history(), { budgets: [{ match: 'parser/flat', max: 5 }] });
    const s = summarizeVerdicts(analysis.series, 'r39');
    expect(s.text).toBe('1 regression, 1 over budget');
    expect(s.failing.map((a) => a.name)).toEqual(['stepped', 'flat']);
  });

  it('says ok when nothing regressed, and ignores series the run did not measure', () => {
    const records = history().filter((r) => r.name !== 'stepped');
    expect(summarizeVerdicts(analyzeHistory(records).series, 'r39').text).toBe('benchmarks ok');
    expect(summarizeVerdicts(analyzeHistory(history()).series, 'another-run').text).toBe('benchmarks ok');
  });
});

describe('webview helpers', () => {
  const { view } = buildHistoryView({ file: 'h', records: history() });

  it('filters by search words, suite, branch, machine and changed-only', () => {
    expect(filterSeries(view.series, { ...NO_FILTER, text: 'PARSER step' }).map((s) => s.name)).toEqual(['stepped']);
    expect(filterSeries(view.series, { ...NO_FILTER, suite: 'render' }).map((s) => s.name)).toEqual(['sampled <b>']);
    expect(filterSeries(view.series, { ...NO_FILTER, branch: 'main' })).toHaveLength(2);
    expect(filterSeries(view.series, { ...NO_FILTER, machine: m2.id })).toHaveLength(1);
    expect(filterSeries(view.series, { ...NO_FILTER, text: 'M3' })).toHaveLength(1);
    expect(filterSeries(view.series, { ...NO_FILTER, changedOnly: true }).map((s) => s.name)).toEqual(['stepped']);
    expect(filterSeries(view.series, NO_FILTER)).toHaveLength(3);
  });

  it('orders regressions first', () => {
    expect([...view.series].sort(verdictOrder)[0]!.name).toBe('stepped');
  });

  it('lets only hex commit ids through to git', () => {
    expect(isCommitId('0123abcdef')).toBe(true);
    expect(isCommitId('a'.repeat(40))).toBe(true);
    for (const bad of ['--output=/tmp/x', 'HEAD', 'abc', '0123abc; rm -rf /', 'abcdefg', '', null, 42, 'a'.repeat(65)]) {
      expect(isCommitId(bad), String(bad)).toBe(false);
    }
  });

  it('formats changes and p-values', () => {
    expect(formatDelta(12.345)).toBe('+12.3%');
    expect(formatDelta(-3)).toBe('-3.0%');
    expect(formatDelta(null)).toBe('—');
    expect(formatPValue(0.0001)).toBe('p < 0.001');
    expect(formatPValue(0.04)).toBe('p = 0.040');
  });
});
