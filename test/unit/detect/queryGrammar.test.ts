import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers';

// A small TextMate line tokenizer (match rules, begin/end on one line, includes, capture
// patterns) — enough to check what scopes the grammar gives to real rule-file lines.
interface Rule { match?: string; begin?: string; end?: string; name?: string; include?: string; patterns?: Rule[]; captures?: Record<string, { name?: string; patterns?: Rule[] }> }
interface Grammar { scopeName: string; patterns: Rule[]; repository: Record<string, Rule> }

const grammarFile = path.join(repoRoot, 'syntaxes', 'perflens-query.tmLanguage.json');
const grammar = JSON.parse(readFileSync(grammarFile, 'utf8')) as Grammar;
const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { contributes: { languages: { id: string; filenamePatterns?: string[] }[]; grammars: { language: string; scopeName: string; path: string }[] } };

function expand(rules: Rule[]): Rule[] {
  return rules.flatMap((r) => (r.include ? expand([grammar.repository[r.include.slice(1)]!]) : r.patterns && !r.match && !r.begin ? expand(r.patterns) : [r]));
}

type Token = { text: string; scopes: string[] };

function tokenize(line: string, rules: Rule[], outer: string[] = []): Token[] {
  const flat = expand(rules);
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    let best: { rule: Rule; m: RegExpExecArray } | undefined;
    for (const rule of flat) {
      const source = rule.match ?? `${rule.begin!}(?:\\\\.|[^"\\\\])*${rule.end!}`;
      const re = new RegExp(source, 'dy');
      re.lastIndex = i;
      // Earliest start wins, then the first rule: scan forward position by position.
      const m = re.exec(line);
      if (m && m[0].length > 0) { best = { rule, m }; break; }
    }
    if (!best) {
      const last = tokens[tokens.length - 1];
      if (last && last.scopes.join() === outer.join()) last.text += line[i]; else tokens.push({ text: line[i]!, scopes: outer });
      i++;
      continue;
    }
    const { rule, m } = best;
    const scopes = rule.name ? [...outer, rule.name] : outer;
    const caps = rule.captures; // begin/end rules (strings) stay one token here
    if (caps && m.indices) {
      let at = m.index;
      const groups = Object.keys(caps).map(Number).filter((g) => g > 0 && m.indices![g]).sort((a, b) => m.indices![a]![0] - m.indices![b]![0]);
      const whole = caps['0']?.name ? [...scopes, caps['0'].name] : scopes;
      for (const g of groups) {
        const [s, e] = m.indices[g]!;
        if (s > at) tokens.push({ text: line.slice(at, s), scopes: whole });
        const cap = caps[String(g)]!;
        const inner = cap.name ? [...whole, cap.name] : whole;
        if (cap.patterns) tokens.push(...tokenize(line.slice(s, e), cap.patterns, inner));
        else tokens.push({ text: line.slice(s, e), scopes: inner });
        at = e;
      }
      if (at < m.index + m[0].length) tokens.push({ text: line.slice(at, m.index + m[0].length), scopes: whole });
    } else tokens.push({ text: m[0], scopes });
    i = m.index + m[0].length;
  }
  return tokens;
}

const scopeOf = (tokens: Token[], text: string): string => tokens.find((t) => t.text.trim() === text)?.scopes.join(' ') ?? `(no token "${text}")`;

describe('the perflens-query TextMate grammar', () => {
  it('is contributed for .perflens/rules/*.scm files', () => {
    expect(manifest.contributes.languages).toContainEqual(expect.objectContaining({ id: 'perflens-query', filenamePatterns: ['**/.perflens/rules/*.scm'] }));
    expect(manifest.contributes.grammars).toContainEqual({ language: 'perflens-query', scopeName: grammar.scopeName, path: './syntaxes/perflens-query.tmLanguage.json' });
    for (const r of expand(grammar.patterns)) expect(() => new RegExp(r.match ?? r.begin!, 'd')).not.toThrow();
  });

  it('colours header keys, severities, languages and placeholders', () => {
    const t = tokenize('; message: `{{match}}` runs per item', grammar.patterns);
    expect(scopeOf(t, 'message')).toContain('keyword.other.header-key.perflens-query');
    expect(scopeOf(t, '{{match}}')).toContain('variable.other.placeholder.perflens-query');
    expect(scopeOf(tokenize('; severity: warning', grammar.patterns), 'warning')).toContain('constant.language.severity.perflens-query');
    expect(scopeOf(tokenize('; languages: javascript, tsx', grammar.patterns), 'tsx')).toContain('constant.language.language-id.perflens-query');
    expect(scopeOf(tokenize(';; just a comment: with a colon', grammar.patterns), 'just a comment: with a colon')).toBe('comment.line.semicolon.perflens-query');
  });

  it('colours node types, fields, captures, predicates, strings and brackets', () => {
    const t = tokenize('[(call_expression function: (member_expression) @callee !arguments) (_)] @match (#eq? @callee "JSON.parse") ; tail', grammar.patterns);
    expect(scopeOf(t, 'call_expression')).toBe('entity.name.tag.node-type.perflens-query');
    expect(scopeOf(t, 'function')).toBe('variable.other.member.field.perflens-query');
    expect(scopeOf(t, 'callee')).toContain('variable.parameter.capture.perflens-query');
    expect(scopeOf(t, 'arguments')).toBe('variable.other.member.field.perflens-query');
    expect(scopeOf(t, '_')).toBe('constant.language.wildcard.perflens-query');
    expect(scopeOf(t, 'eq?')).toContain('support.function.predicate.perflens-query');
    expect(scopeOf(t, '"JSON.parse"')).toBe('string.quoted.double.perflens-query');
    expect(scopeOf(t, '[')).toBe('punctuation.section.brackets.begin.perflens-query');
    expect(scopeOf(t, 'tail')).toBe('comment.line.semicolon.perflens-query');
  });

  it('tokenizes the example rule without unscoped text other than spaces', () => {
    const example = readFileSync(path.join(repoRoot, 'examples', '.perflens', 'rules', 'json-parse-in-loop.scm'), 'utf8');
    for (const line of example.split('\n')) {
      const bare = tokenize(line, grammar.patterns).filter((t) => t.scopes.length === 0 && t.text.trim() !== '');
      expect(bare, line).toEqual([]);
    }
  });
});
