import type { RunTarget } from '../core/run/types';

export class UsageError extends Error {}

export interface ProfileArgs {
  target?: RunTarget;
  importFiles: string[];
  json: boolean;
  outDir?: string;
  intervalUs?: number;
  top: number;
  timeoutSec?: number;
  heap: boolean;
  nodePath?: string;
  verbose: boolean;
}

export const PROFILE_USAGE = `Usage:
  perflens profile [options] <script.js|script.ts> [script args…]
  perflens profile [options] --npm <script> [-- args…]
  perflens profile [options] -- <command> [args…]
  perflens profile [options] --import <file.cpuprofile> [--import <file.heapprofile>]

Runs the program with the PerfLens capture agent in every Node.js process it starts, then prints
the hottest lines and functions, mapped to the original sources through source maps.

Options:
  --json             print one JSON object on stdout (the program's output goes to stderr)
  --out <dir>        keep the raw .cpuprofile/.heapprofile files and report.json in <dir>
  --interval <µs>    CPU sampling interval in microseconds (default 1000)
  --top <n>          rows in each text table (default 15; the JSON lists are always complete)
  --timeout <s>      end the whole process tree after <s> seconds and report what was captured
  --no-heap          do not record a sampling heap profile
  --node <path>      the node executable (default: node on PATH)
  --verbose          log what PerfLens does on stderr

Exit codes: 0 report printed; 1 report printed but the program failed, timed out or was
interrupted; 2 bad usage or unreadable input.`;

/** Parses `perflens profile …` arguments (everything after "profile"). */
export function parseProfileArgs(argv: readonly string[], cwd: string): ProfileArgs {
  const args: ProfileArgs = { importFiles: [], json: false, top: 15, heap: true, verbose: false };
  let i = 0;
  const value = (flag: string): string => {
    const v = argv[++i];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const positiveNumber = (flag: string, allowZero = false): number => {
    const raw = value(flag);
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) throw new UsageError(`${flag} needs a positive number, not "${raw}"`);
    return n;
  };
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      const [command, ...rest] = argv.slice(i + 1);
      if (args.target?.kind === 'npm') { args.target.args = argv.slice(i + 1); break; }
      if (!command) throw new UsageError('-- must be followed by a command');
      args.target = { kind: 'command', command, args: rest };
      break;
    }
    switch (a) {
      case '--json': args.json = true; break;
      case '--out': args.outDir = value(a); break;
      case '--interval': args.intervalUs = positiveNumber(a); break;
      case '--top': args.top = Math.floor(positiveNumber(a)); break;
      case '--timeout': args.timeoutSec = positiveNumber(a); break;
      case '--no-heap': args.heap = false; break;
      case '--node': args.nodePath = value(a); break;
      case '--verbose': args.verbose = true; break;
      case '--import': args.importFiles.push(value(a)); break;
      case '--npm': args.target = { kind: 'npm', script: value(a), packageDir: cwd }; break;
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
        if (args.target) throw new UsageError(`unexpected argument ${a}`);
        // The script; everything after it belongs to the script.
        args.target = { kind: 'script', file: a, args: argv.slice(i + 1) };
        i = argv.length;
    }
  }
  if (args.importFiles.length > 0 && args.target) throw new UsageError('--import reads saved profiles; it cannot be combined with a program to run');
  if (args.importFiles.length === 0 && !args.target) throw new UsageError('nothing to profile: give a script, --npm <script>, -- <command>, or --import <file>');
  return args;
}
