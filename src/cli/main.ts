import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryLogger, UserFacingError, type Logger } from '../core/log';
import { analyzeProfiles } from '../core/profile';
import { describeRunProblem, profileProgram } from '../core/profileSession';
import { parseProfileArgs, PROFILE_USAGE, UsageError, type ProfileArgs } from './args';
import { benchCommand } from './bench';
import { checkCommand } from './check';
import { reportJson, reportText } from './output';

const USAGE = `perflens — performance analysis for Node.js and Python code, in the editor and in CI

Commands:
  perflens profile …     run a program (or read saved profiles) and report its hot spots
  perflens check …       find blocking calls and N+1 queries in source files (text, JSON, SARIF)
  perflens bench …       record benchmark results in the history and check it for regressions
  perflens --version

Run "perflens <command> --help" for the options of each command.`;

/** A logger on stderr, for --verbose. */
function stderrLogger(verbose: boolean): Logger {
  if (!verbose) return new MemoryLogger();
  const write = (level: string) => (message: string | Error) =>
    process.stderr.write(`[perflens ${level}] ${message instanceof Error ? (message.stack ?? message.message) : message}\n`);
  return { trace: () => {}, debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

async function profileCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${PROFILE_USAGE}\n`);
    return 0;
  }
  const cwd = process.cwd();
  const args: ProfileArgs = parseProfileArgs(argv, cwd);
  const log = stderrLogger(args.verbose);
  const print = (text: string): void => { process.stdout.write(text.endsWith('\n') ? text : `${text}\n`); };

  if (args.importFiles.length > 0) {
    const cpu = args.importFiles.filter((f) => !f.endsWith('.heapprofile'));
    const heap = args.importFiles.filter((f) => f.endsWith('.heapprofile'));
    const sources = cpu.length > 0
      ? cpu.map((f, i) => ({ cpuProfilePath: path.resolve(f), heapProfilePath: heap[i] ? path.resolve(heap[i]) : undefined }))
      : heap.map((f) => ({ heapProfilePath: path.resolve(f) }));
    const report = await analyzeProfiles(sources, { log, workspaceRoot: cwd });
    for (const warning of report.warnings) process.stderr.write(`perflens: warning: ${warning}\n`);
    print(args.json ? JSON.stringify(reportJson(report)) : reportText(report, args.importFiles.map((f) => path.basename(f)).join(', '), args.top, cwd));
    return 0;
  }

  const target = args.target!;
  if (target.kind === 'script') target.file = path.resolve(cwd, target.file);
  const outDir = args.outDir ? path.resolve(args.outDir) : mkdtempSync(path.join(os.tmpdir(), 'perflens-'));
  if (args.outDir) mkdirSync(outDir, { recursive: true });
  const abort = new AbortController();
  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write('\nperflens: interrupted — ending the program and reporting what was captured…\n');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const programOut = args.json ? process.stderr : process.stdout;
    const { run, report } = await profileProgram({
      target,
      cwd,
      nodePath: args.nodePath,
      samplingIntervalUs: args.intervalUs,
      heapProfile: args.heap,
      timeoutMs: args.timeoutSec !== undefined ? args.timeoutSec * 1000 : undefined,
      outDir,
      signal: abort.signal,
      onOutput: (stream, text) => (stream === 'stdout' ? programOut : process.stderr).write(text),
      workspaceRoot: cwd,
      log,
    });
    const problem = describeRunProblem(run);
    if (problem) process.stderr.write(`perflens: ${problem}\n`);
    if (!report) {
      process.stderr.write('perflens: no process wrote a profile\n');
      return 2;
    }
    for (const warning of report.warnings) process.stderr.write(`perflens: warning: ${warning}\n`);
    const title = target.kind === 'script' ? path.relative(cwd, target.file) : target.kind === 'npm' ? `npm run ${target.script}` : [target.command, ...target.args].join(' ');
    print(args.json ? JSON.stringify(reportJson(report)) : reportText(report, title, args.top, cwd));
    if (args.outDir) writeFileSync(path.join(outDir, 'report.json'), JSON.stringify(report, null, 1));
    return problem ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    if (!args.outDir) rmSync(outDir, { recursive: true, force: true });
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'profile':
        return await profileCommand(rest);
      case 'check':
        return await checkCommand(rest);
      case 'bench':
        return await benchCommand(rest);
      case '--version':
      case '-v':
        process.stdout.write(`${PERFLENS_VERSION}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`perflens: ${error.message}\n${command === 'profile' ? 'Run "perflens profile --help" for usage.' : USAGE}\n`);
      return 2;
    }
    if (error instanceof UserFacingError) {
      process.stderr.write(`perflens: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`perflens: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 2;
  }
}

declare const PERFLENS_VERSION: string;

/** Runs the CLI with the process's arguments and sets its exit code (bin/perflens.js calls this). */
export function runCli(): void {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) runCli();
