import { describe, expect, it } from 'vitest';
import { heatLevel, lineFingerprint, shiftThroughEdit } from '../../../src/core/reportIndex';

describe('heat levels', () => {
  it('the hottest line gets the strongest heat; lines under the threshold get none', () => {
    expect(heatLevel(40, 40, 0.5)).toBe(5);
    expect(heatLevel(25, 40, 0.5)).toBe(4);
    expect(heatLevel(12, 40, 0.5)).toBe(3);
    expect(heatLevel(5, 40, 0.5)).toBe(2);
    expect(heatLevel(1, 40, 0.5)).toBe(1);
    expect(heatLevel(0.4, 40, 0.5)).toBe(0);
    expect(heatLevel(0, 0, 0)).toBe(0);
  });
});

describe('keeping line data on its code through edits', () => {
  const doc = (text: string) => text.split('\n');
  const data = new Map([[2, 'b'], [4, 'd'], [6, 'f']]);
  const matcher = (lines: string[]) => (line: number, value: string) => lineFingerprint(lines[line - 1] ?? '') === value;

  it('lines below an insertion move down; lines above stay', () => {
    const after = doc('a\nb\nNEW\nc\nd\ne\nf');
    const moved = shiftThroughEdit(data, { startLine: 3, endLine: 3, newLineCount: 2 }, matcher(after));
    expect([...moved]).toEqual([[2, 'b'], [5, 'd'], [7, 'f']]);
  });

  it('a line whose text was rewritten is dropped', () => {
    const after = doc('a\nb\nc\nchanged\ne\nf');
    const moved = shiftThroughEdit(data, { startLine: 4, endLine: 4, newLineCount: 1 }, matcher(after));
    expect([...moved]).toEqual([[2, 'b'], [6, 'f']]);
  });

  it('text inserted at the start of a profiled line pushes it down and keeps it', () => {
    const after = doc('a\nb\nc\nNEW\nd\ne\nf');
    const moved = shiftThroughEdit(data, { startLine: 4, endLine: 4, newLineCount: 2 }, matcher(after));
    expect([...moved]).toEqual([[2, 'b'], [5, 'd'], [7, 'f']]);
  });

  it('deleting lines pulls the rest up and drops what was deleted', () => {
    const after = doc('a\nb\ne\nf');
    const moved = shiftThroughEdit(data, { startLine: 3, endLine: 5, newLineCount: 1 }, matcher(after));
    expect([...moved]).toEqual([[2, 'b'], [4, 'f']]);
  });
});
