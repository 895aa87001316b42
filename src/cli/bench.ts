/** `perflens bench …` — benchmark history: run, import, check (issue 4). */
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  analyzeHistory, appendRecords, BenchConfigError, BENCH_FORMATS, BenchImportError, BudgetFileError, checkJson,
  checkMarkdown, currentMachine, formatHistoryWarning, gitInfo, importBenchOutput, isBenchFormat, newRunId,
  readBenchmarkConfigFile, readBudgets, readHistory, runBenchmarks, toRecords, type SeriesAnalysis,
} from '../core/bench';
import { UsageError } from './args';

export const BENCH_USAGE = `Usage:
  perflens bench run [--config .perflens/config.json] [--history path]
  perflens bench import --format <tool> <file> [--suite s] [--history path]
  perflens bench check [--history path] [--budgets path] [--json | --format markdown]

History: .perflens/history.jsonl (JSON Lines, docs/history-format.md). Budgets:
.perflens/budgets.json. Formats: ${BENCH_FORMATS.join(', ')}.
tinybench writes no file: give it the JSON of
bench.tasks.map((t) => ({ name: t.name, result: t.result })).

Exit codes (check): 0 no regression; 1 a regression or a budget violation in the latest run;
2 bad usage or unusable input.`;

interface BenchArgs {
  sub: string;
  positional: string[];
  format?: string;
  suite?: string;
  history: string;
  budgets: string;
  config: string;
  json: boolean;
  markdown: boolean;
}

function parseArgs(argv: string[], cwd: string): BenchArgs {
  const [sub, ...rest] = argv;
  if (!sub) throw new UsageError('"perflens bench" needs a subcommand: run, import or check');
  const a: BenchArgs = {
    sub, positional: [], history: path.join(cwd, '.perflens', 'history.jsonl'), budgets: path.join(cwd, '.perflens', 'budgets.json'),
    config: path.join(cwd, '.perflens', 'config.json'), json: false, markdown: false,
  };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--format': a.format = value(); break;
      case '--suite': a.suite = value(); break;
      case '--history': a.history = path.resolve(cwd, value()); break;
      case '--budgets': a.budgets = path.resolve(cwd, value()); break;
      case '--config': a.config = path.resolve(cwd, value()); break;
      case '--json': a.json = true; break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
        a.positional.push(arg);
    }
  }
  return a;
}

const print = (text: string): void => { process.stdout.write(text.endsWith('\n') ? text : `${text}\n`); };
const warn = (text: string): void => { process.stderr.write(`perflens: warning: ${text}\n`); };

async function importCommand(a: BenchArgs, cwd: string): Promise<number> {
  if (!a.format) throw new UsageError('bench import needs --format <tool>');
  if (!isBenchFormat(a.format)) throw new UsageError(`unknown format "${a.format}" (one of: ${BENCH_FORMATS.join(', ')})`);
  if (a.positional.length !== 1) throw new UsageError('bench import needs exactly one output file');
  const file = path.resolve(cwd, a.positional[0]!);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    process.stderr.write(`perflens: cannot read ${file}: ${(err as Error).message}\n`);
    return 2;
  }
  const dir = path.dirname(file);
  const results = importBenchOutput(a.format, text, {
    fileName: a.positional[0],
    readSibling: (rel) => { try { return readFileSync(path.join(dir, rel), 'utf8'); } catch { return undefined; } },
  });
  const ts = new Date().toISOString();
  const suite = a.suite ?? path.basename(file);
  const records = toRecords(a.suite ? results.map((r) => ({ ...r, suite: a.suite })) : results, {
    run: newRunId(ts), ts, git: await gitInfo(cwd), machine: currentMachine(),
  }, suite);
  await appendRecords(a.history, records);
  print(`perflens: ${records.length} result(s) from ${a.positional[0]} appended to ${path.relative(cwd, a.history) || a.history}`);
  return 0;
}

async function runCommandLine(a: BenchArgs, cwd: string): Promise<number> {
  const configs = await readBenchmarkConfigFile(a.config);
  if (configs.length === 0) {
    process.stderr.write(`perflens: ${a.config} lists no benchmarks\n`);
    return 2;
  }
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const records = await runBenchmarks(configs, {
      root: cwd, historyFile: a.history, signal: abort.signal,
      onProgress: (m) => process.stderr.write(`perflens: running ${m}\n`),
    });
    print(`perflens: ${records.length} result(s) from ${configs.length} benchmark(s) appended to ${path.relative(cwd, a.history) || a.history}`);
    return 0;
  } catch (err) {
    if (err instanceof BenchImportError) throw err;
    process.stderr.write(`perflens: ${(err as Error).message}\n`);
    return 2;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function summaryLine(s: SeriesAnalysis): string {
  const delta = s.deltaPercent === null ? '' : ` ${s.deltaPercent > 0 ? '+' : ''}${s.deltaPercent.toFixed(1)}%`;
  const budget = s.budget?.violated ? ` — over budget: ${s.budget.violations.join('; ')}` : '';
  return `${s.status.padEnd(17)} ${s.suite} › ${s.name} [${s.machine}]${delta}${budget}`;
}

async function checkCommandLine(a: BenchArgs): Promise<number> {
  if (a.format !== undefined && a.format !== 'markdown') throw new UsageError(`bench check --format accepts only "markdown"`);
  let exists = true;
  try { await fs.access(a.history); } catch { exists = false; }
  if (!exists) {
    process.stderr.write(`perflens: no history at ${a.history} (record one with "perflens bench run" or "bench import")\n`);
    return 2;
  }
  const history = await readHistory(a.history);
  for (const w of history.warnings) warn(formatHistoryWarning(w));
  if (history.records.length === 0) {
    process.stderr.write(`perflens: ${a.history} holds no usable record\n`);
    return 2;
  }
  const budgets = await readBudgets(a.budgets);
  const analysis = analyzeHistory(history.records, { budgets });
  if (a.json) print(JSON.stringify(checkJson(analysis)));
  else if (a.format === 'markdown') print(checkMarkdown(analysis));
  else for (const s of analysis.series) print(summaryLine(s));
  return analysis.failing ? 1 : 0;
}

export async function benchCommand(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    print(BENCH_USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const cwd = process.cwd();
  const a = parseArgs(argv, cwd);
  try {
    switch (a.sub) {
      case 'import': return await importCommand(a, cwd);
      case 'run': return await runCommandLine(a, cwd);
      case 'check': {
        if (a.format === 'markdown') a.markdown = true;
        return await checkCommandLine(a);
      }
      default: throw new UsageError(`unknown bench subcommand "${a.sub}"`);
    }
  } catch (err) {
    if (err instanceof BenchImportError || err instanceof BudgetFileError || err instanceof BenchConfigError) {
      process.stderr.write(`perflens: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
