import { afterAll, describe, expect, it } from 'vitest';
import { ParserPool } from '../../../src/core/detect/grammars';
import jsNodes from '../../../src/core/detect/js/nodes.scm';
import pyNodes from '../../../src/core/detect/python/nodes.scm';
import type { LanguageId } from '../../../src/core/detect/types';

const pool = new ParserPool();
afterAll(() => pool.dispose());

async function capturesOf(language: LanguageId, source: string, text: string): Promise<string[]> {
  const parser = await pool.parser(language);
  const query = await pool.query(language, source);
  const tree = parser.parse(text)!;
  try {
    return query.captures(tree.rootNode).map((c) => `${c.name}:${c.node.text.split('\n')[0]}`);
  } finally {
    tree.delete();
  }
}

describe('tree-sitter queries', () => {
  for (const language of ['javascript', 'typescript', 'tsx'] as const) {
    it(`js/nodes.scm compiles and matches in ${language}`, async () => {
      const caps = await capturesOf(language, jsNodes, "import fs from 'fs';\nconst x = require('y');\nasync function f() { return new Map(fs.readFileSync('a')); }\n// g(1) in a comment\n");
      expect(caps).toContain("call:require('y')");
      expect(caps).toContain("call:fs.readFileSync('a')");
      expect(caps).toContain("new:new Map(fs.readFileSync('a'))");
      expect(caps).toContain("import:import fs from 'fs';");
      expect(caps).toContain("function:async function f() { return new Map(fs.readFileSync('a')); }");
      expect(caps.some((c) => c.includes('g(1)'))).toBe(false);
    });
  }
  it('python/nodes.scm compiles and matches', async () => {
    const caps = await capturesOf('python', pyNodes, 'import os\nfrom a import b as c\nasync def f():\n    with open("x") as fh:\n        y = os.system("ls")\n# g(1)\n');
    expect(caps).toEqual(expect.arrayContaining(['import:import os', 'import:from a import b as c', 'function:async def f():', 'call:open("x")', 'call:os.system("ls")', 'with:open("x") as fh', 'assignment:y = os.system("ls")']));
    expect(caps.some((c) => c.includes('g(1)'))).toBe(false);
  });
});
