import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CustomRuleLoad, CustomRuleMeta } from '../core/detect/custom';
import { positionAt } from '../core/detect/custom';
import { DetectorEngine } from '../core/detect/engine';
import { RULES } from '../core/detect/rules';
import { RULE_IDS, type FileResult, type Finding, type Severity } from '../core/detect/types';
import { collectSourceFiles } from '../core/detect/workspaceFiles';
import { UsageError } from './args';

export const CHECK_USAGE = `Usage: perflens check [paths…] [--format text|json|sarif] [--fail-on <level>]

Finds blocking calls in async code and handlers, and N+1 queries in loops, in JavaScript,
TypeScript and Python files (default: the current folder; .gitignore and node_modules skipped).
Custom rules in .perflens/rules/*.scm of the current folder run too.

  --format text|json|sarif   output format (default text; sarif is SARIF 2.1.0)
  --fail-on <level>          exit 1 when a finding is at or above: error, warning (default),
                             note, none (never fail on findings)
Exit codes: 0 no findings at or above the level, 1 findings, 2 usage or input error (including a
custom rule file that does not compile).`;

type Format = 'text' | 'json' | 'sarif';
type FailOn = 'error' | 'warning' | 'note' | 'none';

const RANK: Record<Severity, number> = { error: 3, warning: 2, information: 1, hint: 1 };
const FAIL_RANK: Record<FailOn, number> = { error: 3, warning: 2, note: 1, none: Infinity };

interface CheckArgs {
  paths: string[];
  format: Format;
  failOn: FailOn;
}

export function parseCheckArgs(argv: readonly string[]): CheckArgs {
  const args: CheckArgs = { paths: [], format: 'text', failOn: 'warning' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (name: string): string => {
      const eq = a.indexOf('=');
      if (eq > 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    if (a === '--format' || a.startsWith('--format=')) {
      const v = value('--format');
      if (v !== 'text' && v !== 'json' && v !== 'sarif') throw new UsageError(`--format must be text, json or sarif, not "${v}"`);
      args.format = v;
    } else if (a === '--fail-on' || a.startsWith('--fail-on=')) {
      const v = value('--fail-on');
      const level = v === 'information' || v === 'hint' ? 'note' : v;
      if (level !== 'error' && level !== 'warning' && level !== 'note' && level !== 'none') throw new UsageError(`--fail-on must be error, warning, note or none, not "${v}"`);
      args.failOn = level;
    } else if (a === '--') {
      args.paths.push(...argv.slice(i + 1));
      break;
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else args.paths.push(a);
  }
  if (args.paths.length === 0) args.paths.push('.');
  return args;
}

function rel(cwd: string, file: string): string {
  return path.relative(cwd, file).split(path.sep).join('/');
}

function sarifLevel(s: Severity): 'error' | 'warning' | 'note' {
  return s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note';
}

export function toJson(results: FileResult[], cwd: string): unknown {
  return {
    findings: results.flatMap((r) => r.findings).map((f) => ({
      rule: f.rule,
      file: rel(cwd, f.file),
      line: f.line,
      column: f.column,
      endLine: f.endLine,
      endColumn: f.endColumn,
      severity: f.severity,
      message: f.message,
      related: f.related.map((x) => ({ file: rel(cwd, x.file), line: x.line, message: x.message })),
    })),
    skipped: results.filter((r) => r.skipped).map((r) => ({ file: rel(cwd, r.file), reason: r.skipped })),
  };
}

declare const PERFLENS_VERSION: string;

export function toSarif(results: FileResult[], cwd: string, customRules: readonly CustomRuleMeta[] = []): unknown {
  const ruleIds: string[] = [...RULE_IDS, ...customRules.map((r) => r.id)];
  const findings = results.flatMap((r) => r.findings);
  const location = (file: string, line: number, f?: Finding) => ({
    physicalLocation: {
      artifactLocation: { uri: encodeURI(rel(cwd, file)), uriBaseId: '%SRCROOT%' },
      region: f ? { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn } : { startLine: line },
    },
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'PerfLens',
          version: typeof PERFLENS_VERSION === 'string' ? PERFLENS_VERSION : '0.0.0',
          informationUri: 'https://github.com/perflens/perflens',
          rules: [...RULE_IDS.map((id) => ({
            id,
            name: RULES[id].name,
            shortDescription: { text: RULES[id].short },
            fullDescription: { text: RULES[id].full },
            helpUri: RULES[id].helpUri,
            help: { text: RULES[id].full },
            defaultConfiguration: { level: 'warning' },
            properties: { tags: ['performance'] },
          })), ...customRules.map((r) => ({
            id: r.id,
            shortDescription: { text: r.description ?? r.id },
            fullDescription: { text: r.description ?? r.message },
            defaultConfiguration: { level: sarifLevel(r.severity) },
            properties: { tags: ['performance', 'custom'] },
          }))],
        },
      },
      originalUriBaseIds: { '%SRCROOT%': { uri: `${pathToFileURL(cwd).href.replace(/\/?$/, '/')}` } },
      invocations: [{
        executionSuccessful: true,
        toolExecutionNotifications: results.filter((r) => r.skipped).map((r) => ({
          level: 'note',
          message: { text: `skipped: ${r.skipped}` },
          locations: [location(r.file, 1)],
        })),
      }],
      results: findings.map((f) => ({
        ruleId: f.rule,
        ruleIndex: ruleIds.indexOf(f.rule),
        level: sarifLevel(f.severity),
        message: { text: f.message },
        locations: [location(f.file, f.line, f)],
        ...(f.related.length > 0 ? { relatedLocations: f.related.map((r, i) => ({ id: i + 1, ...location(r.file, r.line), message: { text: r.message } })) } : {}),
      })),
    }],
  };
}

export function toText(results: FileResult[], cwd: string): string {
  const lines: string[] = [];
  for (const f of results.flatMap((r) => r.findings)) {
    lines.push(`${rel(cwd, f.file)}:${f.line}:${f.column}  ${f.severity}  ${f.message}  [${f.rule}]`);
    for (const r of f.related) lines.push(`    ${rel(cwd, r.file)}:${r.line}  ${r.message}`);
  }
  const n = results.reduce((s, r) => s + r.findings.length, 0);
  const files = results.filter((r) => !r.skipped).length;
  lines.push(n === 0 ? `No findings in ${files} file${files === 1 ? '' : 's'}.` : `${n} finding${n === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}.`);
  return lines.join('\n');
}

/** `perflens check` — static detectors (blocking-call, n-plus-one). Returns the exit code. */
export async function checkCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${CHECK_USAGE}\n`);
    return 0;
  }
  const args = parseCheckArgs(argv);
  const cwd = process.cwd();
  for (const p of args.paths) {
    if (!existsSync(path.resolve(cwd, p))) {
      process.stderr.write(`perflens: no such file or folder: ${p}\n`);
      return 2;
    }
  }
  const files = collectSourceFiles(args.paths, cwd);
  const engine = new DetectorEngine();
  let loads: CustomRuleLoad[] = [];
  try {
    loads = await engine.loadCustomRules(cwd);
    const broken = loads.filter((l) => l.problems.length > 0);
    if (broken.length > 0) {
      for (const l of broken) {
        const text = readFileSync(l.file, 'utf8');
        for (const p of l.problems) {
          const at = positionAt(text, p.start);
          process.stderr.write(`perflens: ${rel(cwd, l.file)}:${at.line + 1}:${at.column + 1}: ${p.message}\n`);
        }
      }
      return 2;
    }
    const rules = loads.flatMap((l) => (l.rule ? [l.rule] : []));
    engine.setCustomRules(cwd, rules);
    const results = await engine.analyseFiles(files);
    if (args.format === 'json') process.stdout.write(`${JSON.stringify(toJson(results, cwd), null, 2)}\n`);
    else if (args.format === 'sarif') process.stdout.write(`${JSON.stringify(toSarif(results, cwd, rules.map((r) => r.meta)), null, 2)}\n`);
    else {
      process.stdout.write(`${toText(results, cwd)}\n`);
      for (const r of results) if (r.skipped) process.stderr.write(`perflens: skipped ${rel(cwd, r.file)} (${r.skipped})\n`);
    }
    const threshold = FAIL_RANK[args.failOn];
    return results.some((r) => r.findings.some((f) => RANK[f.severity] >= threshold)) ? 1 : 0;
  } finally {
    for (const l of loads) l.rule?.dispose();
    engine.dispose();
  }
}
