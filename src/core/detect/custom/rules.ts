import type { Language, Query, Tree } from 'web-tree-sitter';
import type { LanguageId, Severity } from '../types';
import { parseRuleHeader, type CustomRuleMeta, type RuleFileProblem } from './header';

/** A custom rule compiled for the languages it names. Call `dispose()` to free its queries. */
export interface CustomRule {
  meta: CustomRuleMeta;
  /** Absolute path of the `.scm` file. */
  file: string;
  queries: Map<LanguageId, Query>;
  /** Capture placed as the finding: `match` when the query has it, else the first capture. */
  dispose(): void;
}

export interface CustomRuleLoad {
  file: string;
  rule?: CustomRule;
  problems: RuleFileProblem[];
}

/** A finding of a custom rule before it is placed in a file result (0-based positions). */
export interface CustomFinding {
  rule: string;
  severity: Severity;
  message: string;
  startIndex: number;
  start: { row: number; column: number };
  end: { row: number; column: number };
}

interface QueryErrorLike { index?: unknown; length?: unknown; message: string }

/**
 * Compiles one rule file: header, then the query for each of its languages. `languageOf` gives
 * the loaded grammar. Nothing of the workspace runs: a query is data for tree-sitter.
 */
export function compileCustomRule(file: string, text: string, languageOf: (id: LanguageId) => Language): CustomRuleLoad {
  const { meta, problems } = parseRuleHeader(text);
  if (!meta) return { file, problems };
  const queries = new Map<LanguageId, Query>();
  const dispose = (): void => {
    for (const q of queries.values()) q.delete();
    queries.clear();
  };
  for (const language of meta.languages) {
    try {
      // The header is made of comments, so offsets in the query are offsets in the file.
      const QueryClass = queryClass();
      queries.set(language, new QueryClass(languageOf(language), text));
    } catch (error) {
      const e = error as QueryErrorLike;
      const index = typeof e.index === 'number' ? e.index : 0;
      const length = typeof e.length === 'number' && e.length > 0 ? e.length : 1;
      const start = Math.min(index, text.length);
      problems.push({ start, end: Math.min(text.length, start + length), message: `${meta.languages.length > 1 ? `${language}: ` : ''}${e.message}` });
    }
  }
  for (const [language, q] of queries) {
    if (q.captureNames.length === 0) {
      problems.push({ start: 0, end: Math.min(text.length, 1), message: `${meta.languages.length > 1 ? `${language}: ` : ''}the query has no capture: add \`@match\` where the finding should be` });
      break;
    }
  }
  if (problems.length > 0) {
    dispose();
    return { file, problems };
  }
  return { file, problems, rule: { meta, file, queries, dispose } };
}

// web-tree-sitter's classes, loaded like grammars.ts does (CommonJS build for the bundles).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const queryClass = (): typeof import('web-tree-sitter').Query => (require('web-tree-sitter') as typeof import('web-tree-sitter')).Query;

const MAX_FINDINGS_PER_RULE = 1000;
const QUERY_TIMEOUT_MICROS = 2_000_000;
const MAX_PLACEHOLDER = 60;

/** The captured text as it appears in a message: one line, no control characters, short. */
export function placeholderText(raw: string): string {
  const flat = raw.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim().replace(/`/g, "'");
  return flat.length > MAX_PLACEHOLDER ? `${flat.slice(0, MAX_PLACEHOLDER - 1)}…` : flat;
}

/** Runs the rules that apply to `language` on a tree: one finding per match, at `@match` or the first capture. */
export function runCustomRules(rules: readonly CustomRule[], tree: Tree, language: LanguageId): CustomFinding[] {
  const out: CustomFinding[] = [];
  for (const rule of rules) {
    const query = rule.queries.get(language);
    if (!query) continue;
    const seen = new Set<number>();
    const matches = query.matches(tree.rootNode, { timeoutMicros: QUERY_TIMEOUT_MICROS });
    for (const match of matches) {
      if (match.captures.length === 0) continue;
      const placed = match.captures.find((c) => c.name === 'match') ?? match.captures[0]!;
      const node = placed.node;
      if (seen.has(node.startIndex)) continue;
      seen.add(node.startIndex);
      const message = rule.meta.message.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (whole, name: string) => {
        const c = match.captures.find((x) => x.name === name);
        return c ? placeholderText(c.node.text) : whole;
      });
      out.push({ rule: rule.meta.id, severity: rule.meta.severity, message, startIndex: node.startIndex, start: node.startPosition, end: node.endPosition });
      if (seen.size >= MAX_FINDINGS_PER_RULE) break;
    }
  }
  return out;
}
