import { UserFacingError } from './log';

/**
 * Splits a command line typed by the user into argv, the way a POSIX shell would for plain words
 * and quotes — but nothing else: no variables, globs, pipes or redirections, because the command is
 * started without a shell. Characters that would mean something to a shell are refused with a
 * clear message rather than passed on silently.
 */
export function splitCommandLine(text: string): string[] {
  const args: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) current += text[++i];
      else current += c;
      continue;
    }
    if (c === '"' || c === "'") { quote = c; inWord = true; continue; }
    if (c === '\\' && i + 1 < text.length) { current += text[++i]; inWord = true; continue; }
    if (/\s/.test(c)) {
      if (inWord) args.push(current);
      current = '';
      inWord = false;
      continue;
    }
    if ('|&;<>`$()'.includes(c)) {
      throw new UserFacingError(`"${c}" needs a shell, and PerfLens starts commands without one; put the pipeline in a script or an npm script and profile that.`);
    }
    current += c;
    inWord = true;
  }
  if (quote) throw new UserFacingError(`unclosed ${quote} quote in the command line`);
  if (inWord) args.push(current);
  return args;
}
