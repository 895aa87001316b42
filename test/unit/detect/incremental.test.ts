import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DetectorEngine } from '../../../src/core/detect/engine';
import type { FileResult } from '../../../src/core/detect/types';
import { repoRoot, sourceFilesUnder } from './helpers';

const engine = new DetectorEngine();
afterAll(() => engine.dispose());

const comparable = (r: FileResult): unknown => r.findings.map((f) => ({ ...f, related: f.related.map((x) => ({ ...x })) }));

// Edits of whitespace between tokens reuse the previous findings (moved along the line); every
// other edit analyses again. Either way the answer must be what a fresh analysis of the text gives.
describe.each([
  ['examples/express-app/server.js', 'server.js'],
  ['examples/fastapi-app/app.py', 'app.py'],
])('re-diagnosis after small edits of %s', (relative, name) => {
  it('matches a fresh analysis after each of 120 one-character edits', async () => {
    const original = readFileSync(path.join(repoRoot, relative), 'utf8');
    const file = path.join(repoRoot, 'test', 'fixtures', 'detectors', 'incremental', name);
    const doc = await engine.openDocument(file, original);
    const fresh = new DetectorEngine();
    try {
      expect(doc.analyse().findings.length).toBeGreaterThan(0);
      let text = original;
      let seed = 7;
      const random = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
      for (let i = 0; i < 120; i++) {
        const offset = random(text.length);
        // Alternate: insert a space (often between tokens), delete a space, insert a letter, a newline.
        const kind = i % 4;
        let change: { rangeOffset: number; rangeLength: number; text: string };
        if (kind === 1) {
          const at = text.indexOf(' ', offset);
          if (at < 0) continue;
          change = { rangeOffset: at, rangeLength: 1, text: '' };
        } else change = { rangeOffset: offset, rangeLength: 0, text: kind === 2 ? 'x' : kind === 3 ? '\n' : ' ' };
        text = text.slice(0, change.rangeOffset) + change.text + text.slice(change.rangeOffset + change.rangeLength);
        const updated = doc.update([change]);
        const expected = await fresh.analyseFile(file, text);
        expect(comparable(updated), `edit ${i} at ${change.rangeOffset} (${JSON.stringify(change.text)}, -${change.rangeLength})`).toEqual(comparable(expected));
      }
    } finally {
      doc.dispose();
      fresh.dispose();
    }
  });
});

describe('re-diagnosis of edits inside statements that cannot matter', () => {
  it('answers them without analysing again, and always as a fresh analysis would', async () => {
    const file = path.join(repoRoot, 'test', 'fixtures', 'detectors', 'incremental', 'mixed.js');
    const original = readFileSync(file, 'utf8');
    const doc = await engine.openDocument(file, original);
    const fresh = new DetectorEngine();
    try {
      expect(doc.analyse().findings.map((f) => [f.rule, f.line])).toEqual([['blocking-call', 46], ['n-plus-one', 53]]);
      let text = original;
      let lastTyped: { rangeOffset: number; rangeLength: number; text: string } | undefined;
      let seed = 11;
      const random = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
      const inserts = ['x', '\n', '1', ' ', '(', '"'];
      // A character typed and deleted again at 100 places, then 100 edits that stay.
      for (let i = 0; i < 300; i++) {
        const offset = random(text.length);
        const typed = inserts[i % inserts.length]!;
        const steps = i < 200
          ? (i % 2 === 0 ? [{ rangeOffset: offset, rangeLength: 0, text: typed }] : [])
          : [i % 3 === 0 ? { rangeOffset: offset, rangeLength: 1, text: '' } : { rangeOffset: offset, rangeLength: 0, text: typed }];
        if (i < 200 && i % 2 === 1) { const undo = lastTyped!; steps.push({ rangeOffset: undo.rangeOffset, rangeLength: undo.text.length, text: '' }); }
        for (const change of steps) {
          text = text.slice(0, change.rangeOffset) + change.text + text.slice(change.rangeOffset + change.rangeLength);
          const updated = doc.update([change]);
          const expected = await fresh.analyseFile(file, text);
          expect(comparable(updated), `edit ${i} at ${change.rangeOffset} (${JSON.stringify(change.text)}, -${change.rangeLength})`).toEqual(comparable(expected));
          expect(updated.notes).toEqual(expected.notes);
          lastTyped = change;
        }
      }
      // Most of the module is formatting and maths: most of the typing lands there.
      expect(doc.reused).toBeGreaterThan(90);
    } finally {
      doc.dispose();
      fresh.dispose();
    }
  });
});

describe('re-diagnosis moves findings along their line', () => {
  it('shifts the columns of a finding after a space inserted before it, and keeps its message', async () => {
    const text = "const fs = require('fs');\nasync function f() {\n  return fs.readFileSync('a');\n}\n";
    const file = path.join(repoRoot, 'test', 'fixtures', 'detectors', 'incremental', 'shift.js');
    const doc = await engine.openDocument(file, text);
    try {
      const before = doc.analyse().findings[0]!;
      expect([before.line, before.column]).toEqual([3, 10]);
      const after = doc.update([{ rangeOffset: text.indexOf('fs.readFileSync'), rangeLength: 0, text: '  ' }]).findings[0]!;
      expect([after.line, after.column, after.endColumn, after.message]).toEqual([3, 12, before.endColumn + 2, before.message]);
      const inside = doc.update([{ rangeOffset: text.indexOf('fs.readFileSync') + 4, rangeLength: 0, text: ' ' }]).findings[0]!;
      expect(inside.message).toBe(before.message);
    } finally {
      doc.dispose();
    }
  });
});

// Code that names the APIs throughout: an edit inside a function that matters re-analyses that
// statement alone against the snapshot of the last full analysis (analyzeJs.ts, `JsSnapshot`),
// when what the statement tells the rest of the file is unchanged. Every answer must still be a
// fresh analysis's: the holdout projects are handlers, loops, helpers across files and clients.
describe('re-diagnosis of edits inside statements that matter', () => {
  it('re-analyses the edited statement or function alone, and always as a fresh analysis would', async () => {
    const holdout = path.join(repoRoot, 'test', 'fixtures', 'detectors', 'holdout');
    const files = sourceFilesUnder(holdout).filter((f) => /\.[cm]?[jt]sx?$/.test(f));
    const fresh = new DetectorEngine();
    let edits = 0;
    let reanalysed = 0;
    let functions = 0;
    let findings = 0;
    try {
      let seed = 23;
      const random = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
      const inserts = ['x', ' ', '1', '.', '(', "'", 'await ', 'async '];
      for (const file of files) {
        let text = readFileSync(file, 'utf8');
        const doc = await engine.openDocument(file, text);
        try {
          findings += doc.analyse().findings.length;
          for (let i = 0; i < 30; i++) {
            const offset = random(text.length);
            // Insert, delete one character, or replace a word: on one line (no newline).
            const kind = i % 3;
            const change = kind === 0 ? { rangeOffset: offset, rangeLength: 0, text: inserts[random(inserts.length)]! }
              : kind === 1 ? { rangeOffset: offset, rangeLength: text[offset] === '\n' ? 0 : 1, text: '' }
              : { rangeOffset: offset, rangeLength: Math.max(0, (/^[\w$]+/.exec(text.slice(offset))?.[0].length ?? 0)), text: 'renamed' };
            text = text.slice(0, change.rangeOffset) + change.text + text.slice(change.rangeOffset + change.rangeLength);
            const updated = doc.update([change]);
            const expected = await fresh.analyseFile(file, text);
            expect(comparable(updated), `${path.relative(holdout, file)}: edit ${i} at ${change.rangeOffset} (${JSON.stringify(change.text)}, -${change.rangeLength})`).toEqual(comparable(expected));
            expect(updated.notes).toEqual(expected.notes);
            edits++;
          }
          reanalysed += doc.statementsReanalysed;
          functions += doc.functionsReanalysed;
        } finally {
          doc.dispose();
        }
      }
    } finally {
      fresh.dispose();
    }
    expect(findings).toBeGreaterThan(100);
    // Most edits land inside a statement that matters in these files, and most of those inside a
    // function that can be re-analysed alone (DocumentAnalysis.editedFunction): measured 1,039 of
    // 1,620 edits, 591 of them by function.
    expect(reanalysed / edits).toBeGreaterThan(0.5);
    expect(functions / reanalysed).toBeGreaterThan(0.5);
  });
});
