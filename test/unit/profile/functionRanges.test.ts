import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeScript } from '../../../src/core/profile/functionRanges';
import { fixtureJson, programsDir, RECORDED } from './fixtures';

type RawProfile = { nodes: { callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; positionTicks?: { line: number }[] }[] };

describe('V8 function positions (measured on the forms program)', () => {
  const text = readFileSync(join(programsDir, 'forms', 'forms.js'), 'utf8');
  const script = analyzeScript(text);
  const profile = fixtureJson(`node-cpu-prof/${RECORDED}/forms.cpuprofile`) as RawProfile;
  const frames = profile.nodes.map((n) => n.callFrame).filter((f) => f.url.endsWith('/forms/forms.js'));

  it('every frame of every function form matches a parsed function at exactly its position, with the same name', () => {
    const names = new Set(frames.map((f) => f.functionName));
    // Declarations, arrows (with and without parentheses, async), named and anonymous function
    // expressions, constructor, method, static, getter, #private, shorthand, property, async, generator.
    for (const expected of ['decl', 'arrow', 'arrowBare', 'asyncArrow', 'inner', 'anon', 'Shape', 'method', 'create', 'get area', '#hidden', 'shorthand', 'prop', 'asyncDecl', 'generator', 'spaced']) {
      expect(names).toContain(expected);
    }
    for (const f of frames) {
      const fn = script.findByPosition(f.lineNumber, f.columnNumber);
      expect(fn, `${f.functionName} at ${f.lineNumber}:${f.columnNumber}`).toBeGreaterThanOrEqual(0);
      const parsed = script.functions[fn]!;
      expect([parsed.v8Line, parsed.v8Column]).toEqual([f.lineNumber, f.columnNumber]);
      expect(parsed.name).toBe(f.functionName);
    }
  });

  it('every line tick of every forms.js node lies on a line its function owns (no inlining there)', () => {
    for (const n of profile.nodes) {
      if (!n.callFrame.url.endsWith('/forms/forms.js')) continue;
      const fn = script.findByPosition(n.callFrame.lineNumber, n.callFrame.columnNumber);
      for (const t of n.positionTicks ?? []) expect(script.ownsLine(fn, t.line), `${n.callFrame.functionName} line ${t.line}`).toBe(true);
    }
  });
});

describe('analyzeScript', () => {
  const text = [
    '#!/usr/bin/env node', // 1
    "const helper = require('./helper');", // 2
    "import('../lib/x.js');", // 3
    'function outer(items) {', // 4
    '  const total = items.map((item) => {', // 5
    '    return item * 2;', // 6
    '  });', // 7
    '', // 8
    '  // a comment', // 9
    '  return total;', // 10
    '}', // 11
    'module.exports = { outer };', // 12
  ].join('\n');
  const script = analyzeScript(text);
  const outer = script.functions.findIndex((f) => f.name === 'outer');
  const arrow = script.functions.findIndex((f) => f.startLine === 5 && !f.isProgram && f.name === '');

  it('finds functions, their lines, and relative imports (hashbang and sloppy CommonJS accepted)', () => {
    expect(script.parsed).toBe(true);
    expect(script.lineCount).toBe(12);
    expect(script.functions[outer]).toMatchObject({ startLine: 4, endLine: 11, v8Line: 3, v8Column: 14 });
    expect(script.functions[arrow]).toMatchObject({ startLine: 5, endLine: 7, v8Line: 4, v8Column: 26 });
    expect(script.imports).toEqual(['./helper', '../lib/x.js']);
  });

  it("knows which lines hold a function's own code", () => {
    expect(script.ownsLine(outer, 5)).toBe(true); // `const total = items.map(` is outer's
    expect(script.ownsLine(arrow, 5)).toBe(true); // `(item) => {` is the arrow's
    expect(script.ownsLine(outer, 6)).toBe(false); // only the nested arrow
    expect(script.ownsLine(arrow, 6)).toBe(true);
    expect(script.ownsLine(outer, 8)).toBe(false); // blank
    expect(script.ownsLine(outer, 9)).toBe(false); // comment
    expect(script.ownsLine(outer, 10)).toBe(true);
    expect(script.ownsLine(outer, 13)).toBe(false); // past the end
    expect(script.ownersOf(12)).toEqual([0]); // top level
  });

  it('falls back to a script parse for sloppy-mode code, and gives up cleanly on what is not JavaScript', () => {
    expect(analyzeScript('with (Math) { var x = sqrt(4); }\nfunction f() { return 010; }').parsed).toBe(true);
    const ts = analyzeScript('export function f(a: number): number {\n  return a;\n}\n');
    expect(ts.parsed).toBe(false);
    expect(ts.lineCount).toBe(4);
  });
});
