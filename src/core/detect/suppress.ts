import type { Finding, LanguageId } from './types';

/**
 * Honours suppression comments:
 *   JavaScript/TypeScript: `// perflens-ignore-next-line <rule>[, <rule>]` on the line above
 *   (no rule: every rule); Python: `# perflens: ignore[<rule>]` at the end of the line or alone on
 *   the line above (`# perflens: ignore` without a rule: every rule).
 */
export function applySuppressions(findings: Finding[], text: string, language: LanguageId): Finding[] {
  if (!text.includes('perflens')) return findings;
  const lines = text.split('\n');
  const suppressed = new Map<number, Set<string> | 'all'>();
  const add = (line: number, rules: string | undefined): void => {
    const list = rules?.split(/[\s,]+/).filter(Boolean) ?? [];
    if (list.length === 0) { suppressed.set(line, 'all'); return; }
    const prev = suppressed.get(line);
    if (prev === 'all') return;
    const set = prev ?? new Set<string>();
    for (const r of list) set.add(r);
    suppressed.set(line, set);
  };
  lines.forEach((line, i) => {
    if (language === 'python') {
      const m = /#\s*perflens:\s*ignore(?:\[([^\]]*)\])?/.exec(line);
      if (!m) return;
      const alone = /^\s*#/.test(line);
      add(alone ? i + 2 : i + 1, m[1]);
    } else {
      const m = /\/\/\s*perflens-ignore-next-line\b([^\n]*)/.exec(line) ?? /\/\*\s*perflens-ignore-next-line\b(.*?)\*\//.exec(line);
      if (m) add(i + 2, m[1]!.replace(/--.*$/, '').trim() || undefined);
      const same = /\/\/\s*perflens-ignore-line\b([^\n]*)/.exec(line);
      if (same) add(i + 1, same[1]!.replace(/--.*$/, '').trim() || undefined);
    }
  });
  return findings.filter((f) => {
    const s = suppressed.get(f.line);
    return !(s === 'all' || s?.has(f.rule));
  });
}
