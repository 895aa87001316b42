// Detectors in the editor: diagnostics as you type, quick fixes, suppression, workspace scan.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { openEditor, trusted, trustedTest, workspace } from './context';
import { screenshot, sleep, test, waitFor } from './harness';

function perflensDiagnostics(uri: vscode.Uri, rule?: string): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'PerfLens' && (rule === undefined || (typeof d.code === 'object' && d.code.value === rule)));
}

const codeOf = (d: vscode.Diagnostic): string => (typeof d.code === 'object' ? String(d.code.value) : String(d.code));

test('a blocking call in an Express handler and an N+1 loop show in the Problems panel with their rule and line', async () => {
  const uri = vscode.Uri.file(path.join(workspace(), 'express-app', 'server.js'));
  const editor = await openEditor(uri.fsPath);
  const blocking = await waitFor('the blocking-call diagnostic', () => perflensDiagnostics(uri, 'blocking-call')[0], 30_000);
  assert.equal(blocking.range.start.line + 1, 12, 'on the line of fs.readFileSync');
  assert.match(blocking.message, /fs\.readFileSync.*handler for `GET \/report`/);
  assert.ok(typeof blocking.code === 'object' && blocking.code.target.path.endsWith('/docs/rules/blocking-call.md'), 'the code links to the rule\'s page');
  assert.ok(blocking.relatedInformation?.some((r) => r.location.range.start.line + 1 === 11), 'the handler is a related location');
  const n1 = perflensDiagnostics(uri, 'n-plus-one');
  assert.deepEqual(n1.map((d) => d.range.start.line + 1), [19], 'the per-order query, and nothing else');
  assert.equal(perflensDiagnostics(uri).length, 2, 'no other finding in the file');
  if (trusted) {
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    editor.revealRange(blocking.range, vscode.TextEditorRevealType.InCenter);
    await sleep(800);
    await screenshot('problems-panel');
  }
});

trustedTest('the quick fix makes the read asynchronous and the diagnostic goes away', async () => {
  const uri = vscode.Uri.file(path.join(workspace(), 'express-app', 'server.js'));
  const editor = await openEditor(uri.fsPath);
  const blocking = await waitFor('the blocking-call diagnostic', () => perflensDiagnostics(uri, 'blocking-call')[0], 30_000);
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, blocking.range);
  const fix = actions.find((a) => a.title === 'Use await fs.promises.readFile(…)');
  assert.ok(fix?.edit, `the quick fix is offered (got: ${actions.map((a) => a.title).join('; ')})`);
  assert.ok(await vscode.workspace.applyEdit(fix.edit));
  assert.match(editor.document.lineAt(11).text, /const template = await fs\.promises\.readFile\(`\$\{__dirname\}\/report\.html`, 'utf8'\);/);
  await waitFor('the blocking-call diagnostic to go away', () => perflensDiagnostics(uri, 'blocking-call').length === 0, 15_000);
  assert.equal(perflensDiagnostics(uri, 'n-plus-one').length, 1, 'the other finding stays');
});

trustedTest('a suppression comment silences a finding', async () => {
  const uri = vscode.Uri.file(path.join(workspace(), 'express-app', 'server.js'));
  const editor = await openEditor(uri.fsPath);
  const n1 = await waitFor('the n-plus-one diagnostic', () => perflensDiagnostics(uri, 'n-plus-one')[0], 30_000);
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, n1.range);
  const suppress = actions.find((a) => a.title === 'Suppress n-plus-one on this line');
  assert.ok(suppress?.edit, 'the suppression is offered');
  assert.ok(await vscode.workspace.applyEdit(suppress.edit));
  assert.match(editor.document.lineAt(n1.range.start.line).text, /^\s+\/\/ perflens-ignore-next-line n-plus-one$/);
  await waitFor('the n-plus-one diagnostic to go away', () => perflensDiagnostics(uri, 'n-plus-one').length === 0, 15_000);
  assert.deepEqual(perflensDiagnostics(uri).map(codeOf), [], 'nothing left');
  await vscode.commands.executeCommand('workbench.action.files.revert');
});

test('Scan workspace reports findings in files that are not open', async () => {
  const app = vscode.Uri.file(path.join(workspace(), 'fastapi-app', 'app.py'));
  assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.fsPath === app.fsPath), 'app.py is not open');
  const summary = await vscode.commands.executeCommand<{ files: number; findings: number; skipped: number }>('perflens.scanWorkspace');
  assert.ok(summary && summary.files >= 5, `the scan covered the workspace (${JSON.stringify(summary)})`);
  const lines = perflensDiagnostics(app, 'blocking-call').map((d) => d.range.start.line + 1).sort((a, b) => a - b);
  assert.deepEqual(lines, [12, 18], 'time.sleep and requests.get inside the async endpoints');
  assert.ok(perflensDiagnostics(vscode.Uri.file(path.join(workspace(), 'scripts', 'word-stats.js'))).length === 0, 'a plain script has none');
}, 120_000);

trustedTest('Python quick fixes: time.sleep becomes await asyncio.sleep, other calls go to a thread', async () => {
  const uri = vscode.Uri.file(path.join(workspace(), 'fastapi-app', 'app.py'));
  const editor = await openEditor(uri.fsPath);
  const sleepDiag = await waitFor('the time.sleep diagnostic', () => perflensDiagnostics(uri, 'blocking-call').find((d) => d.range.start.line + 1 === 12), 30_000);
  const requestsDiag = perflensDiagnostics(uri, 'blocking-call').find((d) => d.range.start.line + 1 === 18);
  assert.ok(requestsDiag, 'requests.get is flagged too');
  const threadFix = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, requestsDiag.range))
    .find((a) => a.title === 'Run requests.get in a thread: await asyncio.to_thread(…)');
  assert.ok(threadFix, 'asyncio.to_thread is offered for requests.get');
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, sleepDiag.range);
  const fix = actions.find((a) => a.title === 'Use await asyncio.sleep(…)');
  assert.ok(fix?.edit, `the asyncio.sleep fix is offered (got ${actions.map((a) => a.title).join('; ')})`);
  assert.ok(await vscode.workspace.applyEdit(fix.edit));
  const text = editor.document.getText();
  assert.match(text, /^import asyncio\nimport time$/m, 'asyncio is imported');
  assert.match(text, /^    await asyncio\.sleep\(0\.5\)$/m);
  await waitFor('the time.sleep diagnostic to go away', () => !perflensDiagnostics(uri, 'blocking-call').some((d) => /time\.sleep/.test(d.message)), 15_000);
  assert.equal(perflensDiagnostics(uri, 'blocking-call').length, 1, 'requests.get is still flagged');
  await vscode.commands.executeCommand('workbench.action.files.revert');
});


trustedTest('Django N+1 quick fixes: select_related for a foreign key, prefetch_related for a related manager', async () => {
  const uri = vscode.Uri.file(path.join(workspace(), 'django-shop', 'views.py'));
  const editor = await openEditor(uri.fsPath);
  const lazy = await waitFor('the lazy foreign key diagnostic', () => perflensDiagnostics(uri, 'n-plus-one').find((d) => d.range.start.line + 1 === 9), 30_000);
  assert.match(lazy.message, /product\.vendor.*lazily/);
  const manager = perflensDiagnostics(uri, 'n-plus-one').find((d) => d.range.start.line + 1 === 15);
  assert.ok(manager, 'p.tags.all() in the comprehension is flagged');
  const actionsFor = (d: vscode.Diagnostic): Thenable<vscode.CodeAction[]> => vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range);
  const select = (await actionsFor(lazy)).find((a) => a.title.includes('.select_related("vendor")'));
  assert.ok(select?.edit, 'select_related is offered');
  const prefetch = (await actionsFor(manager)).find((a) => a.title.includes('.prefetch_related("tags")'));
  assert.ok(prefetch?.edit, 'prefetch_related is offered');
  assert.ok(await vscode.workspace.applyEdit(select.edit));
  assert.match(editor.document.getText(), /for product in Product\.objects\.select_related\("vendor"\)\.filter\(/);
  await waitFor('the foreign key diagnostic to go away', () => !perflensDiagnostics(uri, 'n-plus-one').some((d) => d.range.start.line + 1 === 9), 15_000);
  // The other finding is still there, and its fix still applies after the first edit.
  const again = await waitFor('the manager diagnostic', () => perflensDiagnostics(uri, 'n-plus-one').find((d) => d.range.start.line + 1 === 15), 15_000);
  const prefetchAgain = (await actionsFor(again)).find((a) => a.title.includes('.prefetch_related("tags")'));
  assert.ok(prefetchAgain?.edit);
  assert.ok(await vscode.workspace.applyEdit(prefetchAgain.edit));
  assert.match(editor.document.getText(), /products = Product\.objects\.prefetch_related\("tags"\)\.order_by\("title"\)/);
  await waitFor('no N+1 left in the file', () => perflensDiagnostics(uri, 'n-plus-one').length === 0, 15_000);
  await vscode.commands.executeCommand('workbench.action.files.revert');
});

// Custom rules: examples/.perflens/rules/json-parse-in-loop.scm is in the workspace (a copy of examples/).
const customDemo = `const fs = require('fs');
const lines = ['{"a":1}', '{"a":2}'];
for (const line of lines) {
  const row = JSON.parse(line);
  console.log(row);
}
async function handler() {
  return fs.readFileSync('x.txt', 'utf8');
}
module.exports = { handler };
`;

test('a custom rule in .perflens/rules reports in a trusted workspace only', async () => {
  const uri = vscode.Uri.file(path.join(workspace(), 'scripts', 'custom-rule-demo.js'));
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(customDemo));
  try {
    await openEditor(uri.fsPath);
    // The built-in rule shows that the file was analysed in both kinds of workspace.
    await waitFor('the blocking-call diagnostic', () => perflensDiagnostics(uri, 'blocking-call')[0], 30_000);
    if (trusted) {
      const custom = await waitFor('the json-parse-in-loop diagnostic', () => perflensDiagnostics(uri, 'json-parse-in-loop')[0], 30_000);
      assert.equal(custom.range.start.line + 1, 4, 'on the JSON.parse line');
      assert.equal(custom.severity, vscode.DiagnosticSeverity.Warning);
      assert.match(custom.message, /^`JSON\.parse\(line\)` parses/);
      assert.ok(typeof custom.code === 'object' && custom.code.target.path.endsWith('/.perflens/rules/json-parse-in-loop.scm'), 'the code links to the rule file');
    } else {
      await sleep(1500);
      assert.deepEqual(perflensDiagnostics(uri).map(codeOf), ['blocking-call'], 'custom rules do not load in an untrusted workspace');
    }
  } finally {
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await vscode.workspace.fs.delete(uri);
  }
});

trustedTest('a broken rule file gets a diagnostic on itself, loaded live, and loses it when fixed', async () => {
  const rule = vscode.Uri.file(path.join(workspace(), '.perflens', 'rules', 'broken-e2e.scm'));
  const header = '; id: no-console-log\n; message: {{call}} in a loop\n; severity: information\n; languages: javascript\n';
  await vscode.workspace.fs.writeFile(rule, new TextEncoder().encode(`${header}((call_expression function: (member_expression) @call) @match\n`));
  try {
    const problem = await waitFor('the diagnostic on the rule file', () => vscode.languages.getDiagnostics(rule).find((d) => d.source === 'PerfLens'), 30_000);
    assert.equal(problem.severity, vscode.DiagnosticSeverity.Error);
    assert.match(problem.message, /Bad syntax/);
    assert.equal(problem.range.start.line, 5, 'at the end of the unclosed pattern');
    await vscode.workspace.fs.writeFile(rule, new TextEncoder().encode(`${header}((call_expression function: (member_expression) @call) @match (#eq? @call "console.log"))\n`));
    await waitFor('the diagnostic on the rule file to go away', () => !vscode.languages.getDiagnostics(rule).some((d) => d.source === 'PerfLens'), 30_000);
    const editor = await openEditor(rule.fsPath);
    assert.equal(editor.document.languageId, 'perflens-query', 'rule files open as PerfLens Query');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  } finally {
    await vscode.workspace.fs.delete(rule);
  }
});
