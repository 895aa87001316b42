import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { languageOf } from './grammars';

/** Folders never scanned. */
const ALWAYS_SKIPPED = new Set(['node_modules', '.git', '.hg', '.svn', '__pycache__', '.venv', 'venv', '.tox', '.mypy_cache', '.pytest_cache']);

interface IgnoreRule {
  base: string;
  regex: RegExp;
  negated: boolean;
  dirOnly: boolean;
}

/** Translates one `.gitignore` pattern to a regular expression over paths relative to its folder. */
function gitignoreRegex(pattern: string): RegExp {
  const anchored = pattern.includes('/') && !pattern.endsWith('/') ? true : pattern.slice(0, -1).includes('/');
  let p = pattern.replace(/\/$/, '').replace(/^\//, '');
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    if (ch === '*') {
      if (p[i + 1] === '*') {
        // `**/` any folders, `/**` everything inside
        if (p[i + 2] === '/') { re += '(?:.*/)?'; i += 2; } else { re += '.*'; i += 1; }
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = p.indexOf(']', i);
      if (end > i) { re += p.slice(i, end + 1); i = end; } else re += '\\[';
    } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  p = re;
  return new RegExp(`^${anchored ? '' : '(?:.*/)?'}${p}(?:/.*)?$`);
}

function readIgnore(dir: string): IgnoreRule[] {
  let text: string;
  try {
    text = readFileSync(path.join(dir, '.gitignore'), 'utf8');
  } catch {
    return [];
  }
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+$/, '');
    if (!line || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    const pattern = negated ? line.slice(1) : line;
    rules.push({ base: dir, regex: gitignoreRegex(pattern), negated, dirOnly: pattern.endsWith('/') });
  }
  return rules;
}

function ignored(rules: readonly IgnoreRule[], file: string, isDir: boolean): boolean {
  let result = false;
  for (const r of rules) {
    if (r.dirOnly && !isDir) {
      // a dir-only rule still hides files below the folder: checked when the folder was walked
      continue;
    }
    const rel = path.relative(r.base, file).split(path.sep).join('/');
    if (rel.startsWith('..')) continue;
    if (r.regex.test(rel)) result = !r.negated;
  }
  return result;
}

/**
 * Lists the analysable files under `paths` (files are taken as given), honouring `.gitignore`
 * files found from `root` downwards and skipping node_modules and VCS folders.
 */
export function collectSourceFiles(paths: readonly string[], root: string): string[] {
  const out = new Set<string>();
  const rootRules: IgnoreRule[] = [];
  // .gitignore files between root and each requested path apply too.
  const walkDir = (dir: string, inherited: IgnoreRule[]): void => {
    const rules = [...inherited, ...readIgnore(dir)];
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of entries) {
      const full = path.join(dir, name);
      let st;
      try {
        st = statSync(full);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        if (ALWAYS_SKIPPED.has(name) || ignored(rules, full, true)) continue;
        walkDir(full, rules);
      } else if (st.isFile() && languageOf(full) && !ignored(rules, full, false)) out.add(full);
    }
  };
  for (const p of paths) {
    const abs = path.resolve(root, p);
    const st = statSync(abs);
    if (st.isFile()) { out.add(abs); continue; }
    const chain: IgnoreRule[] = [...rootRules];
    const rel = path.relative(root, abs);
    if (!rel.startsWith('..') && rel !== '') {
      let d = root;
      for (const part of rel.split(path.sep).slice(0, -1)) {
        chain.push(...readIgnore(d));
        d = path.join(d, part);
      }
      chain.push(...readIgnore(d));
      walkDir(abs, chain);
    } else walkDir(abs, chain);
  }
  return [...out];
}
