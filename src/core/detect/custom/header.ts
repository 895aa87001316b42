import type { LanguageId, Severity } from '../types';

/** Metadata of a custom rule, read from the `;` comment header of its `.scm` file. */
export interface CustomRuleMeta {
  id: string;
  /** May hold `{{capture}}` placeholders, filled with the captured text. */
  message: string;
  severity: Severity;
  languages: LanguageId[];
  description?: string;
}

/** A problem in a rule file, at 0-based offsets into its text (end exclusive). */
export interface RuleFileProblem {
  start: number;
  end: number;
  message: string;
}

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'information', 'hint'];
const LANGUAGES: readonly LanguageId[] = ['javascript', 'typescript', 'tsx', 'python'];
const KEYS = ['id', 'message', 'severity', 'languages', 'description'] as const;
type Key = (typeof KEYS)[number];
/** Ids of the built-in rules: a custom rule cannot take them. */
const RESERVED_IDS = new Set(['blocking-call', 'n-plus-one']);
export const CUSTOM_RULE_ID = /^[a-z][a-z0-9]*(?:[-_/.][a-z0-9]+)*$/;

/**
 * Reads the header: the `;` comment lines at the top of the file (blank lines allowed), each
 * `; key: value`. Comment lines without a `key:` are free text. Problems point at the line or
 * value they concern.
 */
export function parseRuleHeader(text: string): { meta?: CustomRuleMeta; problems: RuleFileProblem[] } {
  const problems: RuleFileProblem[] = [];
  const values = new Map<Key, { value: string; start: number; end: number }>();
  let offset = 0;
  let headerEnd = 0;
  while (offset < text.length) {
    const nl = text.indexOf('\n', offset);
    const lineEnd = nl === -1 ? text.length : nl;
    const line = text.slice(offset, lineEnd).replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed !== '' && !trimmed.startsWith(';')) break;
    const m = /^(\s*;+\s*)([A-Za-z][\w-]*)\s*:(.*)$/.exec(line);
    if (m) {
      const key = m[2]!.toLowerCase();
      const keyStart = offset + m[1]!.length;
      const rawValue = m[3]!;
      const valueStart = offset + line.length - rawValue.length + (rawValue.length - rawValue.trimStart().length);
      const value = rawValue.trim();
      const at = { start: keyStart, end: offset + line.length };
      if (!(KEYS as readonly string[]).includes(key)) {
        problems.push({ ...at, message: `unknown header key \`${key}\` (expected one of: ${KEYS.join(', ')})` });
      } else if (values.has(key as Key)) {
        problems.push({ ...at, message: `\`${key}\` is given twice` });
      } else {
        values.set(key as Key, { value, start: valueStart, end: valueStart + value.length });
      }
    }
    headerEnd = lineEnd;
    offset = lineEnd + 1;
  }
  const headerSpan = { start: 0, end: Math.max(1, Math.min(headerEnd, text.length)) };
  const need = (key: Key): { value: string; start: number; end: number } | undefined => {
    const v = values.get(key);
    if (!v || v.value === '') {
      problems.push({ ...(v ?? headerSpan), message: `the header needs \`; ${key}: …\`` });
      return undefined;
    }
    return v;
  };
  const id = need('id');
  if (id && !CUSTOM_RULE_ID.test(id.value)) problems.push({ start: id.start, end: id.end, message: `rule id \`${id.value}\` must be lower case letters, digits and - _ / . (starting with a letter)` });
  else if (id && RESERVED_IDS.has(id.value)) problems.push({ start: id.start, end: id.end, message: `rule id \`${id.value}\` is a built-in rule` });
  const message = need('message');
  const severityValue = values.get('severity');
  let severity: Severity = 'warning';
  if (severityValue) {
    if ((SEVERITIES as readonly string[]).includes(severityValue.value)) severity = severityValue.value as Severity;
    else problems.push({ start: severityValue.start, end: severityValue.end, message: `severity \`${severityValue.value}\` is not one of ${SEVERITIES.join(', ')}` });
  }
  const languagesValue = need('languages');
  const languages: LanguageId[] = [];
  if (languagesValue) {
    for (const raw of languagesValue.value.split(',')) {
      const name = raw.trim();
      if ((LANGUAGES as readonly string[]).includes(name)) {
        if (!languages.includes(name as LanguageId)) languages.push(name as LanguageId);
      } else {
        problems.push({ start: languagesValue.start, end: languagesValue.end, message: `unknown language \`${name}\` (expected: ${LANGUAGES.join(', ')})` });
      }
    }
  }
  if (problems.length > 0 || !id || !message) return { problems };
  const description = values.get('description')?.value;
  return { meta: { id: id.value, message: message.value, severity, languages, ...(description ? { description } : {}) }, problems };
}

/** 0-based offset → 0-based line and column (UTF-16 units), for placing problems. */
export function positionAt(text: string, offset: number): { line: number; column: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart };
}
