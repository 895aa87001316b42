import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DetectorEngine } from '../../../src/core/detect/engine';
import type { FileResult, FixEdit } from '../../../src/core/detect/types';
import { expectedMarkers, findingKeys, fixturesRoot, sourceFilesUnder } from './helpers';

// Findings that carry an edit loading the relation with the loop's query (select_related,
// prefetch_related, selectinload): applying the edit removes the finding and keeps the code sound.
const dir = path.join(fixturesRoot, 'fixes');

/** Applies edits (1-based, end exclusive) to a text, last first. */
function apply(text: string, edits: readonly FixEdit[]): string {
  const lines = text.split('\n');
  const offset = (line: number, column: number): number => lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + column - 1;
  const sorted = [...edits].sort((a, b) => offset(b.line, b.column) - offset(a.line, a.column));
  let out = text;
  for (const e of sorted) out = out.slice(0, offset(e.line, e.column)) + e.text + out.slice(offset(e.endLine, e.endColumn));
  return out;
}

describe('eager-loading fixes for lazy relations in loops', () => {
  let engine: DetectorEngine;
  let results: FileResult[];
  beforeAll(async () => {
    engine = new DetectorEngine();
    results = await engine.analyseFiles(sourceFilesUnder(dir));
  });
  afterAll(() => engine.dispose());

  const cases: [string, number, string, string][] = [
    ['shop/views.py', 9, '.select_related("vendor")', 'for product in Product.objects.select_related("vendor").filter('],
    ['shop/views.py', 15, '.prefetch_related("tags")', 'products = Product.objects.prefetch_related("tags").order_by("title")'],
    ['orders.py', 25, '.options(selectinload(Order.customer))', 'session.scalars(select(Order).options(selectinload(Order.customer)).where(Order.id > 10))'],
  ];
  for (const [file, line, title, after] of cases) {
    it(`${file}:${line} — ${title}`, async () => {
      const full = path.join(dir, file);
      const result = results.find((r) => r.file === full)!;
      expect(findingKeys(result.findings)).toEqual(expectedMarkers(full));
      const finding = result.findings.find((f) => f.line === line)!;
      expect(finding.fix?.title).toContain(title);
      const fixed = apply(readFileSync(full, 'utf8'), finding.fix!.edits);
      expect(fixed).toContain(after);
      const again = await engine.analyseFile(full, fixed);
      expect(again.notes.join(' ')).not.toContain('syntax errors');
      const shift = fixed.split('\n').length - readFileSync(full, 'utf8').split('\n').length;
      expect(again.findings.filter((f) => f.line === line + shift)).toEqual([]);
      if (file === 'orders.py') expect(fixed.startsWith('from sqlalchemy.orm import selectinload\n')).toBe(true);
    });
  }

  it('moves the edits with the text when the document is edited before them', async () => {
    const full = path.join(dir, 'shop', 'views.py');
    const text = readFileSync(full, 'utf8');
    const doc = await engine.openDocument(full, text);
    try {
      doc.analyse();
      // A space between two tokens on the line of the query (reused), then a new line above it.
      const at = text.indexOf('in Product.objects.filter');
      for (const change of [{ rangeOffset: at, rangeLength: 0, text: ' ' }, { rangeOffset: text.indexOf('def catalogue'), rangeLength: 0, text: '# catalogue\n' }]) {
        const updated = doc.update([change]);
        const fresh = await engine.analyseFile(full, doc.currentText);
        expect(updated.findings.map((f) => f.fix)).toEqual(fresh.findings.map((f) => f.fix));
      }
      expect(doc.reused).toBeGreaterThan(0);
      const fix = doc.analyse().findings.find((f) => f.fix?.title.includes('select_related'))!.fix!;
      expect(apply(doc.currentText, fix.edits)).toContain('product  in Product.objects.select_related("vendor").filter(');
    } finally {
      doc.dispose();
    }
  });

  it('offers no edit where prefetching would not remove the query', async () => {
    // `author.books.filter(…).count()` queries again even when `books` was prefetched.
    const views = path.join(fixturesRoot, 'n-plus-one', 'py', 'views.py');
    const local = new DetectorEngine();
    try {
      const [result] = await local.analyseFiles([views]);
      const filtered = result!.findings.find((f) => f.line === 28)!;
      expect(filtered.message).toContain('author.books.filter');
      expect(filtered.fix).toBeUndefined();
      // The lazy foreign key in the same file does get one.
      expect(result!.findings.find((f) => f.line === 9)!.fix?.title).toContain('select_related("author")');
    } finally {
      local.dispose();
    }
  });
});
