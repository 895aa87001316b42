/**
 * Glob patterns as VS Code settings write them (`**` any folders, `*` and `?` within a name,
 * `{a,b}` alternatives, `[abc]` classes), matched against `/`-separated relative paths.
 */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  let inGroup = false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slashAfter = glob[i + 2] === '/';
        out += slashAfter ? '(?:.*/)?' : '.*';
        i += slashAfter ? 2 : 1;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '{') { out += '(?:'; inGroup = true; }
    else if (c === '}' && inGroup) { out += ')'; inGroup = false; }
    else if (c === ',' && inGroup) out += '|';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else { out += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`; i = end; }
    } else out += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Whether a relative path (or one of its parent folders) matches any of the globs. */
export function matchesAnyGlob(relativePath: string, globs: readonly string[]): boolean {
  const rel = relativePath.split('\\').join('/');
  const parts = rel.split('/');
  const regexes = globs.map(globToRegExp);
  for (let n = parts.length; n >= 1; n--) {
    const prefix = parts.slice(0, n).join('/');
    if (regexes.some((r) => r.test(prefix))) return true;
  }
  return false;
}
