// Profiling in the editor: runs, decorations, hovers, CodeLens, the Hotspots view, failures.
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ProfileOutcome } from '../../src/vscode/profileCommands';
import type { HotspotNode } from '../../src/vscode/hotspotsView';
import { api, openEditor, trustedTest, untrustedTest, workspace } from './context';
import { screenshot, sleep, waitFor } from './harness';

function hottestUserLine(outcome: ProfileOutcome | undefined) {
  assert.ok(outcome?.report, `a report was produced (problem: ${outcome?.problem ?? 'none'})`);
  const top = outcome.report.lines.find((l) => l.kind === 'user');
  assert.ok(top, 'the report has a line in the workspace');
  return { report: outcome.report, top };
}

trustedTest('profiles the TypeScript example and heats its hottest original .ts line the most', async () => {
  const main = path.join(workspace(), 'ts-app', 'src', 'main.ts');
  await openEditor(main);
  const outcome = await vscode.commands.executeCommand<ProfileOutcome>('perflens.profileScript', vscode.Uri.file(main));
  const { report, top } = hottestUserLine(outcome);
  const geometry = path.join(workspace(), 'ts-app', 'src', 'geometry.ts');
  assert.equal(top.file, geometry, 'the hottest line is in the original geometry.ts, not the compiled .js');
  assert.ok(top.generated?.file.endsWith(path.join('out', 'geometry.js')), 'it was mapped from out/geometry.js');
  const userSelf = report.lines.filter((l) => l.kind === 'user').reduce((s, l) => s + l.selfUs, 0);
  const inGeometry = report.lines.filter((l) => l.file === geometry).reduce((s, l) => s + l.selfUs, 0);
  assert.ok(inGeometry / userSelf > 0.9, `geometry.ts holds ${(100 * inGeometry / userSelf).toFixed(1)}% of the user self time`);

  const editor = await openEditor(geometry);
  api().refreshDecorations();
  const snapshot = await waitFor('decorations on geometry.ts', () => api().decorationsFor(editor.document.uri));
  assert.ok(snapshot.levels[4]!.includes(top.line), `line ${top.line} has the strongest heat (level 5 lines: ${snapshot.levels[4]!.join(',')})`);
  const inline = snapshot.inline.find((i) => i.line === top.line);
  assert.ok(inline && /^\d+(\.\d+)?% · [\d.]+ (ms|s)$/.test(inline.text), `an inline figure on the hottest line (${inline?.text})`);

  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(top.line - 1, 4));
  const hoverText = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
  assert.match(hoverText, /PerfLens/);
  assert.match(hoverText, /Line self time: \*\*\d+(\.\d+)?%\*\*/, `the hover gives the line's share: ${hoverText}`);
  assert.match(hoverText, /total \*\*\d+(\.\d+)?%\*\*/, 'and the function total');

  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
  assert.ok(lenses.some((l) => /self .*% .*total .*%/.test(l.command?.title ?? '')), 'a CodeLens with self and total time');

  const roots = api().hotspots.getChildren();
  const fileNode = roots.find((n): n is Extract<HotspotNode, { kind: 'file' }> => n.kind === 'file' && n.heat.file === geometry);
  assert.ok(fileNode, 'the Hotspots view lists geometry.ts');
  assert.equal(roots.find((n) => n.kind === 'file'), fileNode, 'as the hottest file');
  const listed = api().hotspots.getChildren(fileNode).flatMap((n) => (n.kind === 'function' ? n.lines.map((l) => l.line) : n.kind === 'line' ? [n.line.line] : []));
  assert.ok(listed.includes(top.line), `the hottest line ${top.line} is listed under it`);

  const allocations = roots.find((n): n is Extract<HotspotNode, { kind: 'group' }> => n.kind === 'group' && n.id === 'allocations');
  assert.ok(allocations && allocations.children.some((c) => c.kind === 'allocation' && c.site.file.startsWith(workspace())), 'heap allocation sites in the workspace are listed');

  const config = vscode.workspace.getConfiguration('perflens');
  await config.update('display.codeLens', false, vscode.ConfigurationTarget.Workspace);
  try {
    const none = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
    assert.ok(!none.some((l) => /self .*% .*total/.test(l.command?.title ?? '')), 'the CodeLens setting turns them off');
  } finally {
    await config.update('display.codeLens', undefined, vscode.ConfigurationTarget.Workspace);
  }

  await vscode.commands.executeCommand('perflens.showHotspots');
  editor.revealRange(new vscode.Range(top.line - 1, 0, top.line - 1, 0), vscode.TextEditorRevealType.InCenter);
  await sleep(1500);
  assert.ok(await screenshot('decorated-editor') || !process.env.PERFLENS_E2E_DIR, 'the screenshot was taken');
}, 120_000);

trustedTest('decorations follow the code while it is edited', async () => {
  const geometry = path.join(workspace(), 'ts-app', 'src', 'geometry.ts');
  const editor = await openEditor(geometry);
  const before = api().decorationsFor(editor.document.uri);
  assert.ok(before && before.levels[4]!.length > 0, 'decorated before the edit');
  const hot = before.levels[4]![0]!;
  await editor.edit((b) => b.insert(new vscode.Position(0, 0), '// a comment added above\n'));
  api().refreshDecorations();
  const moved = api().decorationsFor(editor.document.uri)!;
  assert.ok(moved.levels[4]!.includes(hot + 1), `the hot line moved from ${hot} to ${hot + 1}`);
  assert.ok(!moved.levels[4]!.includes(hot) || before.levels[4]!.includes(hot - 1), 'and left its old place');
  // Rewriting the hot line itself: its figures no longer describe it, so they go.
  const line = editor.document.lineAt(hot);
  await editor.edit((b) => b.replace(line.range, '    const changed = 0;'));
  api().refreshDecorations();
  const after = api().decorationsFor(editor.document.uri)!;
  assert.ok(!after.levels.flat().includes(hot + 1), 'the rewritten line lost its heat');
  await vscode.commands.executeCommand('workbench.action.files.revert');
});

trustedTest('profiles an npm script whose work happens in a child Node process', async () => {
  const manifest = vscode.Uri.file(path.join(workspace(), 'package.json'));
  const outcome = await vscode.commands.executeCommand<ProfileOutcome>('perflens.profileNpmScript', manifest, 'render');
  const { report, top } = hottestUserLine(outcome);
  assert.equal(path.basename(top.file), 'render-worker.js', 'the hottest line is in the child process');
  assert.ok(report.processes.length >= 2, `the parent and the child were both captured (${report.processes.length})`);
  assert.ok(!report.processes.some((p) => /npm-cli\.js/.test(p.argv.join(' '))), 'npm itself was not profiled');
}, 120_000);

trustedTest('a script that throws: the error is reported and the partial profile shown', async () => {
  const file = path.join(workspace(), 'e2e-throws.js');
  writeFileSync(file, "let x = 0;\nconst end = Date.now() + 300;\nwhile (Date.now() < end) x += Math.sqrt(x + 1);\nthrow new Error('boom from e2e');\n");
  const outcome = await vscode.commands.executeCommand<ProfileOutcome>('perflens.profileScript', vscode.Uri.file(file));
  assert.ok(outcome?.problem, 'a problem is reported');
  assert.match(outcome.problem, /exited with code 1/);
  assert.match(outcome.problem, /boom from e2e/);
  assert.ok(outcome.report && outcome.report.lines.some((l) => l.file === file), 'what was captured is shown');
}, 60_000);

function liveProcessesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir) && !readFileSync(`/proc/${entry}/stat`, 'utf8').includes(') Z ')) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

const HANG = "let x = 0;\nfor (;;) x += Math.sqrt(x + 1);\n";

trustedTest('closing the PerfLens terminal cancels the run, ends the program and keeps what was captured', async () => {
  const file = path.join(workspace(), 'e2e-hang-cancel.js');
  writeFileSync(file, HANG);
  const running = vscode.commands.executeCommand<ProfileOutcome>('perflens.profileScript', vscode.Uri.file(file));
  await waitFor('the program to start', () => liveProcessesUnder(file).length > 0, 20_000);
  await sleep(800);
  const terminal = vscode.window.terminals.find((t) => t.name === 'PerfLens');
  assert.ok(terminal, 'the program runs in the PerfLens terminal');
  terminal.dispose();
  const outcome = await running;
  assert.match(outcome?.problem ?? '', /Cancelled/);
  assert.ok(outcome?.report?.lines.some((l) => l.file === file && l.line === 2), 'the partial profile shows the busy line');
  assert.deepEqual(liveProcessesUnder(file), [], 'nothing of the program is left running');
}, 60_000);

trustedTest('the time limit setting ends a program that hangs', async () => {
  const file = path.join(workspace(), 'e2e-hang-timeout.js');
  writeFileSync(file, HANG);
  const config = vscode.workspace.getConfiguration('perflens');
  await config.update('profile.timeoutSeconds', 2, vscode.ConfigurationTarget.Workspace);
  try {
    const started = Date.now();
    const outcome = await vscode.commands.executeCommand<ProfileOutcome>('perflens.profileScript', vscode.Uri.file(file));
    assert.match(outcome?.problem ?? '', /time limit/);
    assert.ok(Date.now() - started < 20_000, 'it stopped soon after the limit');
    assert.ok(outcome?.report?.lines.some((l) => l.file === file), 'what was captured is shown');
    assert.deepEqual(liveProcessesUnder(file), []);
  } finally {
    await config.update('profile.timeoutSeconds', undefined, vscode.ConfigurationTarget.Workspace);
  }
}, 60_000);

trustedTest('a garbage profile gives an error naming the file and keeps the current profile', async () => {
  const current = api().state.report;
  const file = path.join(workspace(), 'garbage.cpuprofile');
  writeFileSync(file, '{"nodes": [1, 2, 3], "samples": "no');
  const outcome = await vscode.commands.executeCommand<ProfileOutcome>('perflens.openProfile', vscode.Uri.file(file));
  assert.ok(outcome?.problem, 'a problem is reported');
  assert.match(outcome.problem, /garbage\.cpuprofile/);
  assert.equal(api().state.report, current, 'the profile on screen is unchanged');
});

trustedTest('Clear profile decorations removes every decoration', async () => {
  const editor = await openEditor(path.join(workspace(), 'ts-app', 'src', 'geometry.ts'));
  await vscode.commands.executeCommand('perflens.clearDecorations');
  api().refreshDecorations();
  const snapshot = api().decorationsFor(editor.document.uri)!;
  assert.equal(snapshot.levels.flat().length + snapshot.inline.length, 0);
  assert.equal(api().hotspots.getChildren().length, 0, 'the Hotspots view is empty');
});

untrustedTest('in an untrusted workspace the profiling commands run nothing', async () => {
  const marker = path.join(workspace(), 'ran.marker');
  const script = path.join(workspace(), 'e2e-untrusted.js');
  writeFileSync(script, `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);
  const viaScript = await vscode.commands.executeCommand<ProfileOutcome | undefined>('perflens.profileScript', vscode.Uri.file(script));
  const viaNpm = await vscode.commands.executeCommand<ProfileOutcome | undefined>('perflens.profileNpmScript', vscode.Uri.file(path.join(workspace(), 'package.json')), 'render');
  const viaCommand = await vscode.commands.executeCommand<ProfileOutcome | undefined>('perflens.profileCommand', `node ${script}`);
  assert.equal(viaScript, undefined);
  assert.equal(viaNpm, undefined);
  assert.equal(viaCommand, undefined);
  await sleep(1500);
  assert.equal(existsSync(marker), false, 'the script did not run');
  assert.equal(api().state.report, undefined, 'no profile was produced');
});

untrustedTest('in an untrusted workspace a saved profile still opens', async () => {
  // dist-test/e2e/index.js → the repository's fixtures.
  const fixture = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'e2e', 'word-stats.cpuprofile');
  const outcome = await vscode.commands.executeCommand<ProfileOutcome>('perflens.openProfile', vscode.Uri.file(fixture));
  assert.ok(outcome?.report, `the profile was read (${outcome?.problem ?? ''})`);
  const top = outcome.report.functions.find((f) => f.kind === 'user');
  assert.equal(top?.name, 'countWords', 'its hottest function is the known one');
  assert.ok(api().hotspots.getChildren().length > 0, 'the Hotspots view shows it');
});

