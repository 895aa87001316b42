import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers';

const bin = path.join(repoRoot, 'bin', 'perflens.js');
let work: string;

function check(args: string[], cwd = work): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, 'check', ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, stdio: 'pipe' });
  work = mkdtempSync(path.join(os.tmpdir(), 'perflens-check-'));
  mkdirSync(path.join(work, 'src'), { recursive: true });
  mkdirSync(path.join(work, 'node_modules', 'dep'), { recursive: true });
  mkdirSync(path.join(work, 'build'), { recursive: true });
  writeFileSync(path.join(work, '.gitignore'), 'build/\n*.log\n');
  writeFileSync(path.join(work, 'src', 'server.js'), `const fs = require('fs');
const { loadRows } = require('./rows');
const app = require('express')();
app.get('/report', async (req, res) => {
  const rows = await loadRows(req.query.ids);
  res.send(fs.readFileSync('report.html', 'utf8') + rows.length);
});
`);
  writeFileSync(path.join(work, 'src', 'rows.js'), `const { Pool } = require('pg');
const pool = new Pool();
async function loadRows(ids) {
  const out = [];
  for (const id of ids) {
    out.push(await pool.query('SELECT * FROM rows WHERE id = $1', [id]));
  }
  return out;
}
module.exports = { loadRows };
`);
  writeFileSync(path.join(work, 'src', 'clean.py'), 'def f():\n    return 1\n');
  writeFileSync(path.join(work, 'src', 'logo.js'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]));
  // Ignored: node_modules and .gitignore'd build output would otherwise be findings.
  const noisy = "const fs = require('fs');\nasync function f() { return fs.readFileSync('x'); }\n";
  writeFileSync(path.join(work, 'node_modules', 'dep', 'index.js'), noisy);
  writeFileSync(path.join(work, 'build', 'out.js'), noisy);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('perflens check', () => {
  it('--format json: findings and skipped files, paths relative to the current folder', () => {
    const r = check(['--format', 'json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { findings: Record<string, unknown>[]; skipped: unknown[] };
    expect(out.findings.map((f) => `${f.rule} ${f.file}:${f.line}`)).toEqual(['n-plus-one src/rows.js:6', 'blocking-call src/server.js:6']);
    const f = out.findings[1]!;
    expect(Object.keys(f).sort()).toEqual(['column', 'endColumn', 'endLine', 'file', 'line', 'message', 'related', 'rule', 'severity']);
    expect(f).toMatchObject({ column: 12, severity: 'warning', related: [{ file: 'src/server.js', line: 4 }] });
    expect(out.skipped).toEqual([{ file: 'src/logo.js', reason: 'binary' }]);
  });

  it('--format sarif: SARIF 2.1.0 with rule ids, levels, regions and related locations', () => {
    const r = check(['src', '--format=sarif']);
    expect(r.code).toBe(1);
    const sarif = JSON.parse(r.stdout);
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0];
    expect(run.tool.driver.rules.map((x: { id: string }) => x.id)).toEqual(['blocking-call', 'n-plus-one']);
    const results = run.results as { ruleId: string; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[]; relatedLocations?: unknown[] }[];
    expect(results.map((x) => [x.ruleId, x.level, x.locations[0]!.physicalLocation.artifactLocation.uri, x.locations[0]!.physicalLocation.region.startLine]))
      .toEqual([['n-plus-one', 'warning', 'src/rows.js', 6], ['blocking-call', 'warning', 'src/server.js', 6]]);
    expect(results[1]!.message.text).toContain('fs.readFileSync');
    expect(results[0]!.relatedLocations).toHaveLength(1);
  });

  it('--format text: findings on stdout, skipped files on stderr', () => {
    const r = check(['--format', 'text']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('src/server.js:6:12  warning');
    expect(r.stdout).toContain('[n-plus-one]');
    expect(r.stdout).not.toContain('node_modules');
    expect(r.stdout).not.toContain('build/');
    expect(r.stderr).toContain('skipped src/logo.js (binary)');
  });

  it('exit codes: 0 below the failing level or without findings, 2 on usage errors', () => {
    expect(check(['--fail-on', 'error']).code).toBe(0);
    expect(check(['--fail-on', 'none', '--format', 'json']).code).toBe(0);
    expect(check(['src/clean.py']).code).toBe(0);
    expect(check(['--format', 'xml']).code).toBe(2);
    expect(check(['--bogus']).code).toBe(2);
    expect(check(['missing-folder']).code).toBe(2);
  });
});

describe('perflens check with custom rules in .perflens/rules', () => {
  let folder: string;
  beforeAll(() => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'perflens-check-custom-'));
    mkdirSync(path.join(folder, '.perflens', 'rules'), { recursive: true });
    writeFileSync(path.join(folder, '.perflens', 'rules', 'json-parse-in-loop.scm'), readFileSync(path.join(repoRoot, 'examples', '.perflens', 'rules', 'json-parse-in-loop.scm')));
    writeFileSync(path.join(folder, 'app.js'), 'for (const l of lines) {\n  const row = JSON.parse(l);\n}\n');
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('reports their findings in every format, with the rule in SARIF', () => {
    const json = check(['--format', 'json'], folder);
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { findings: { rule: string; file: string; line: number; column: number }[] }).findings.map((f) => [f.rule, f.file, f.line, f.column])).toEqual([['json-parse-in-loop', 'app.js', 2, 15]]);
    const sarif = JSON.parse(check(['--format', 'sarif'], folder).stdout);
    const run = sarif.runs[0];
    expect(run.tool.driver.rules.map((x: { id: string }) => x.id)).toEqual(['blocking-call', 'n-plus-one', 'json-parse-in-loop']);
    expect(run.results.map((x: { ruleId: string; ruleIndex: number }) => [x.ruleId, x.ruleIndex])).toEqual([['json-parse-in-loop', 2]]);
    expect(check(['--format', 'text'], folder).stdout).toContain('app.js:2:15  warning');
  });

  it('exits 2 with the place of the error when a rule file does not compile', () => {
    writeFileSync(path.join(folder, '.perflens', 'rules', 'broken.scm'), '; id: broken\n; message: m\n; languages: javascript\n(call_expression\n');
    try {
      const r = check(['--format', 'json'], folder);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/\.perflens\/rules\/broken\.scm:5:1: Bad syntax/);
    } finally {
      rmSync(path.join(folder, '.perflens', 'rules', 'broken.scm'));
    }
  });
});
