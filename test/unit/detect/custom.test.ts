import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Language } from 'web-tree-sitter';
import { compileCustomRule, parseRuleHeader, placeholderText, positionAt, runCustomRules, type CustomRule } from '../../../src/core/detect/custom';
import { DetectorEngine } from '../../../src/core/detect/engine';
import { ParserPool } from '../../../src/core/detect/grammars';
import type { LanguageId } from '../../../src/core/detect/types';
import { fixturesRoot, repoRoot } from './helpers';

const customDir = path.join(fixturesRoot, 'custom');
const pool = new ParserPool();
const languages = new Map<LanguageId, Language>();
const languageOf = (id: LanguageId): Language => languages.get(id)!;

beforeAll(async () => {
  for (const id of ['javascript', 'typescript', 'tsx', 'python'] as const) languages.set(id, await pool.language(id));
});
afterAll(() => pool.dispose());

const header = (extra = ''): string => `; id: no-eval\n; message: do not call {{fn}}\n; severity: error\n; languages: javascript, typescript\n${extra}`;

describe('custom rule header', () => {
  it('reads id, message, severity, languages and description', () => {
    const { meta, problems } = parseRuleHeader(`${header('; description: eval is slow\n')}\n((identifier) @fn (#eq? @fn "eval"))\n`);
    expect(problems).toEqual([]);
    expect(meta).toEqual({ id: 'no-eval', message: 'do not call {{fn}}', severity: 'error', languages: ['javascript', 'typescript'], description: 'eval is slow' });
  });

  it('defaults the severity to warning and allows free comment lines', () => {
    const { meta } = parseRuleHeader('; A rule about eval.\n; id: no-eval\n; message: m\n;\n; languages: python\n(call) @match\n');
    expect(meta?.severity).toBe('warning');
    expect(meta?.languages).toEqual(['python']);
  });

  it('reports each bad header entry at its place', () => {
    const text = '; id: Bad Id\n; severity: loud\n; languages: javascript, cobol\n; colour: red\n(call_expression) @match\n';
    const { meta, problems } = parseRuleHeader(text);
    expect(meta).toBeUndefined();
    const at = problems.map((p) => [positionAt(text, p.start).line, p.message]);
    expect(at).toEqual(expect.arrayContaining([
      [0, expect.stringContaining('rule id `Bad Id`')],
      [1, expect.stringContaining('severity `loud`')],
      [2, expect.stringContaining('unknown language `cobol`')],
      [3, expect.stringContaining('unknown header key `colour`')],
      [0, expect.stringContaining('`; message: …`')],
    ]));
  });

  it('refuses the ids of built-in rules', () => {
    const { problems } = parseRuleHeader('; id: n-plus-one\n; message: m\n; languages: javascript\n(call_expression) @match\n');
    expect(problems.map((p) => p.message)).toEqual([expect.stringContaining('built-in rule')]);
  });
});

describe('compiling and running custom rules', () => {
  it('reports a query syntax error at its offset in the file', () => {
    const text = `${header()}(call_expression function: (identifier) @fn\n`;
    const load = compileCustomRule('/r/bad.scm', text, languageOf);
    expect(load.rule).toBeUndefined();
    expect(load.problems).toHaveLength(2); // once per language
    expect(load.problems[0]!.message).toMatch(/^javascript: Bad syntax/);
    expect(positionAt(text, load.problems[0]!.start)).toEqual({ line: 5, column: 0 }); // the end of the file: the pattern is not closed
  });

  it('reports an unknown node type with its position and length', () => {
    const text = '; id: x\n; message: m\n; languages: python\n(call_expresion) @match\n';
    const load = compileCustomRule('/r/bad.scm', text, languageOf);
    expect(load.problems).toHaveLength(1);
    expect(load.problems[0]!.message).toContain("Bad node name 'call_expresion'");
    expect(text.slice(load.problems[0]!.start, load.problems[0]!.end)).toBe('call_expresion');
  });

  it('needs a capture', () => {
    const load = compileCustomRule('/r/x.scm', '; id: x\n; message: m\n; languages: javascript\n(call_expression)\n', languageOf);
    expect(load.problems.map((p) => p.message)).toEqual([expect.stringContaining('no capture')]);
  });

  it('places findings at @match (else the first capture) and fills placeholders with escaped, shortened text', async () => {
    const text = `${header()}((call_expression function: (identifier) @fn) @match (#eq? @fn "eval"))\n`;
    const load = compileCustomRule('/r/no-eval.scm', text, languageOf);
    expect(load.problems).toEqual([]);
    const rule = load.rule!;
    const parser = await pool.parser('javascript');
    const tree = parser.parse('const a = 1;\n  eval(`x`);\nnotEval(1);\n')!;
    try {
      const findings = runCustomRules([rule], tree, 'javascript');
      expect(findings).toEqual([{ rule: 'no-eval', severity: 'error', message: 'do not call eval', startIndex: 15, start: { row: 1, column: 2 }, end: { row: 1, column: 11 } }]);
      expect(runCustomRules([rule], tree, 'python')).toEqual([]);
    } finally {
      tree.delete();
      rule.dispose();
    }
    expect(placeholderText('a\n  `b`\u0007' + 'c'.repeat(100))).toBe(`a 'b' ${'c'.repeat(53)}…`);
  });

  it('runs on Python trees', async () => {
    const load = compileCustomRule('/r/sleep.scm', '; id: no-sleep\n; message: {{call}} sleeps\n; languages: python\n((call function: (attribute) @call) (#eq? @call "time.sleep"))\n', languageOf);
    const parser = await pool.parser('python');
    const tree = parser.parse('import time\n\ndef f():\n    time.sleep(1)\n')!;
    try {
      expect(runCustomRules([load.rule!], tree, 'python').map((f) => [f.start.row, f.message])).toEqual([[3, 'time.sleep sleeps']]);
    } finally {
      tree.delete();
      load.rule!.dispose();
    }
  });
});

describe('the example rule in the engine', () => {
  const engine = new DetectorEngine();
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'perflens-custom-'));
    mkdirSync(path.join(work, '.perflens', 'rules'), { recursive: true });
    writeFileSync(path.join(work, '.perflens', 'rules', 'json-parse-in-loop.scm'), readFileSync(path.join(repoRoot, 'examples', '.perflens', 'rules', 'json-parse-in-loop.scm')));
    writeFileSync(path.join(work, '.perflens', 'rules', 'broken.scm'), '; id: broken\n; message: m\n; languages: javascript\n(call_expression\n');
    writeFileSync(path.join(work, 'loops.js'), readFileSync(path.join(customDir, 'loops.js')));
  });
  afterAll(() => {
    engine.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('finds the marked lines, honours suppression comments, and leaves other folders alone', async () => {
    const loads = await engine.loadCustomRules(work);
    expect(loads.map((l) => [path.basename(l.file), l.problems.length > 0])).toEqual([['broken.scm', true], ['json-parse-in-loop.scm', false]]);
    const rules = loads.flatMap((l) => (l.rule ? [l.rule] : [])) as CustomRule[];
    engine.setCustomRules(work, rules);
    try {
      const expected = readFileSync(path.join(customDir, 'loops.js'), 'utf8').split('\n').flatMap((l, i) => (/expect: json-parse-in-loop/.test(l) ? [i + 1] : []));
      const [result] = await engine.analyseFiles([path.join(work, 'loops.js')]);
      expect(result!.findings.map((f) => `${f.rule}:${f.line}`)).toEqual(expected.map((l) => `json-parse-in-loop:${l}`));
      expect(result!.findings[0]!.message).toBe('`JSON.parse(line)` parses the same kind of text again on every iteration: parse once before the loop, or cache the parsed value');
      const elsewhere = await engine.analyseFile(path.join(customDir, 'loops.js'));
      expect(elsewhere.findings).toEqual([]);
    } finally {
      engine.setCustomRules(work, []);
      for (const r of rules) r.dispose();
    }
  });
});
