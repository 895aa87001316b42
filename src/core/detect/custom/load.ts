import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Language } from 'web-tree-sitter';
import type { LanguageId } from '../types';
import { compileCustomRule, type CustomRuleLoad } from './rules';

/** Where a workspace folder keeps its custom rules. */
export const CUSTOM_RULES_DIR = path.join('.perflens', 'rules');

/** Compiles every `.perflens/rules/*.scm` of a folder (sorted by name); none when it has no such folder. */
export function loadCustomRulesFrom(folder: string, languageOf: (id: LanguageId) => Language): CustomRuleLoad[] {
  const dir = path.join(folder, CUSTOM_RULES_DIR);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.scm')).sort();
  } catch {
    return [];
  }
  const loads: CustomRuleLoad[] = [];
  const ids = new Map<string, string>();
  for (const name of names) {
    const file = path.join(dir, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      loads.push({ file, problems: [{ start: 0, end: 0, message: `cannot read the rule file: ${(error as Error).message}` }] });
      continue;
    }
    const load = compileCustomRule(file, text, languageOf);
    if (load.rule) {
      const other = ids.get(load.rule.meta.id);
      if (other) {
        load.rule.dispose();
        const at = text.indexOf(load.rule.meta.id);
        loads.push({ file, problems: [{ start: Math.max(0, at), end: Math.max(0, at) + load.rule.meta.id.length, message: `rule id \`${load.rule.meta.id}\` is already used by ${path.basename(other)}` }] });
        continue;
      }
      ids.set(load.rule.meta.id, file);
    }
    loads.push(load);
  }
  return loads;
}
