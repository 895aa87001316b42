import * as path from 'node:path';
import * as vscode from 'vscode';
import { positionAt, type CustomRuleLoad } from '../core/detect/custom';
import { DetectorEngine, DocumentAnalysis, type TextChange } from '../core/detect/engine';
import { ParserPool } from '../core/detect/grammars';
import { CancelledError, type FileResult, type Finding, type FindingFix, type DetectorOptions, type Severity } from '../core/detect/types';
import { detectorOptionsFrom } from '../core/detectorSettings';
import { formatPercent } from '../core/format';
import { matchesAnyGlob } from '../core/glob';
import { scanWorkspaceInWorker } from '../core/scan/scanWorkspace';
import type { ExtensionLog } from './log';
import { currentSettings } from './settings';

const LANGUAGES = new Set(['javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'python']);
const DEBOUNCE_MS = 250;
/** Warm-up while idle (DocumentAnalysis.warm): slices this long, this far apart. */
const WARM_SLICE_MS = 4;
const WARM_PAUSE_MS = 20;
const RULES_GLOB = '.perflens/rules/*.scm';

interface OpenDocument {
  analysis: DocumentAnalysis;
  pending: TextChange[];
  timer?: NodeJS.Timeout;
  /** The next slice of warm-up while the document is idle. */
  warming?: NodeJS.Timeout;
  /** Cancels the analysis under way when a newer edit arrives. */
  token: { isCancellationRequested: boolean };
}

/**
 * Diagnostics for `blocking-call` and `n-plus-one` on open JavaScript, TypeScript and Python files,
 * as the user types: each document keeps its syntax tree and is re-analysed incrementally after a
 * short pause; a newer edit cancels the older analysis. Nothing of the workspace is executed, so
 * this runs in untrusted workspaces too. The grammars load on the first supported document.
 */
export class DetectorDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('perflens');
  private engine: DetectorEngine | undefined;
  private engineReady: Promise<DetectorEngine> | undefined;
  private readonly documents = new Map<string, OpenDocument>();
  /** Edits the engine attached to findings, by document and `rule:line:column` (quick fixes). */
  private readonly fixes = new Map<string, Map<string, FindingFix>>();
  private cachedSettings: { options: DetectorOptions; ignore: string[] } | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires after a document's diagnostics were set (tests wait on it). */
  readonly onDidUpdate = this.changed.event;
  /** Custom rules of each workspace folder (trusted workspaces only), as last compiled. */
  private readonly customRules = new Map<string, CustomRuleLoad[]>();
  /** Rule files that have problems shown, per folder (to clear them on reload). */
  private readonly ruleFileProblems = new Map<string, vscode.Uri[]>();
  private readonly ruleWatchers: vscode.Disposable[] = [];
  private rulesTimer: NodeJS.Timeout | undefined;
  private rulesLoading: Promise<void> = Promise.resolve();

  constructor(private readonly extensionUri: vscode.Uri, private readonly log: ExtensionLog) {
    this.subscriptions.push(
      this.collection,
      this.changed,
      vscode.workspace.onDidOpenTextDocument((d) => void this.open(d)),
      vscode.workspace.onDidCloseTextDocument((d) => this.close(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.edit(e)),
      // Other files see a document's text as last opened or saved: refreshing their facts on every
      // keystroke would make each edit re-analyse every file that imports this one.
      vscode.workspace.onDidSaveTextDocument((d) => { if (this.documents.has(d.uri.toString())) this.engine?.setOverride(d.uri.fsPath, d.getText()); }),
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('perflens.detectors')) this.reset(); }),
      // Custom rules are workspace content the user did not write here: only trusted workspaces load them.
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.scheduleRulesReload(0)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.scheduleRulesReload(0)),
    );
    for (const document of vscode.workspace.textDocuments) void this.open(document);
  }

  /** Settings changed: a new engine with the new options, and every open document again. */
  private reset(): void {
    this.cachedSettings = undefined;
    for (const document of vscode.workspace.textDocuments) this.close(document);
    this.disposeCustomRules();
    this.engine?.dispose();
    this.engine = undefined;
    this.engineReady = undefined;
    for (const document of vscode.workspace.textDocuments) void this.open(document);
  }

  /** Detector settings, read (and their problems logged) once per configuration change. */
  private settings(): { options: DetectorOptions; ignore: string[] } {
    if (!this.cachedSettings) {
      const settings = currentSettings(this.log);
      const { options, warnings } = detectorOptionsFrom(settings);
      for (const w of warnings) this.log.warn(w);
      this.cachedSettings = { options, ignore: settings['detectors.ignore'] };
    }
    return this.cachedSettings;
  }

  private ignored(uri: vscode.Uri, ignore: readonly string[]): boolean {
    if (ignore.length === 0) return false;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    return folder !== undefined && matchesAnyGlob(path.relative(folder.uri.fsPath, uri.fsPath), ignore);
  }

  /**
   * *PerfLens: Scan workspace*: every supported file of every workspace folder, on a worker
   * thread, with progress and cancel. Open documents keep their live diagnostics.
   */
  async scanWorkspace(): Promise<{ files: number; findings: number; skipped: number } | undefined> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length === 0) {
      void vscode.window.showInformationMessage('PerfLens: open a folder to scan it.');
      return undefined;
    }
    const { options, ignore } = this.settings();
    const open = vscode.workspace.textDocuments.filter((d) => d.uri.scheme === 'file').map((d) => d.uri.fsPath);
    const abort = new AbortController();
    let files = 0;
    let findings = 0;
    let skipped = 0;
    let parsed = 0;
    let textOnly = 0;
    const started = Date.now();
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'PerfLens: scanning the workspace', cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => abort.abort());
          for (const folder of folders) {
            const filesExclude = vscode.workspace.getConfiguration('files', folder.uri).get<Record<string, boolean>>('exclude') ?? {};
            const exclude = [...Object.entries(filesExclude).filter(([, on]) => on === true).map(([glob]) => glob), ...ignore];
            let reported = 0;
            const summary = await scanWorkspaceInWorker(
              vscode.Uri.joinPath(this.extensionUri, 'dist', 'scan-worker.js').fsPath,
              { root: folder.uri.fsPath, exclude, skipFiles: open, options, customRules: this.customRulesAllowed, grammarDir: vscode.Uri.joinPath(this.extensionUri, 'dist', 'grammars').fsPath },
              {
                signal: abort.signal,
                onProgress: (done, total) => {
                  const share = total === 0 ? 100 : (100 * done) / total;
                  progress.report({ increment: share - reported, message: `${folder.name}: ${done} of ${total} files (${formatPercent(share)})` });
                  reported = share;
                },
                onResults: (results) => {
                  for (const result of results) {
                    findings += result.findings.length;
                    if (result.skipped && result.skipped !== 'unsupported') {
                      skipped++;
                      this.log.info(`Scan: skipped ${result.file} (${result.skipped}).`);
                    }
                    for (const note of result.notes) if (!note.startsWith('skipped')) this.log.debug(`Scan: ${result.file}: ${note}`);
                    this.setResult(result);
                  }
                },
              },
            );
            files += summary.files;
            parsed += summary.parsed;
            textOnly += summary.textOnly;
          }
        },
      );
    } catch (error) {
      if (abort.signal.aborted) {
        this.log.info('Workspace scan cancelled.');
        return undefined;
      }
      this.log.reportError('PerfLens: the workspace scan failed', error);
      return undefined;
    }
    this.log.info(`Scanned ${files} files in ${Date.now() - started} ms: ${findings} findings, ${skipped} skipped; ${parsed} parsed, ${textOnly} settled by their text alone (they name no API the rules look for and import no module that does).`);
    void vscode.window.showInformationMessage(
      `PerfLens scanned ${files} file${files === 1 ? '' : 's'}: ${findings} finding${findings === 1 ? '' : 's'}${skipped > 0 ? `, ${skipped} skipped (minified, generated, binary or too large; see the log)` : ''}.`,
      ...(findings > 0 ? ['Show Problems'] : []),
    ).then((choice) => { if (choice === 'Show Problems') void vscode.commands.executeCommand('workbench.actions.view.problems'); });
    return { files, findings, skipped };
  }

  private setResult(result: FileResult): void {
    this.publish(vscode.Uri.file(result.file), result.findings);
  }

  private publish(uri: vscode.Uri, findings: readonly Finding[]): void {
    const fixes = new Map<string, FindingFix>();
    for (const f of findings) if (f.fix) fixes.set(`${f.rule}:${f.line}:${f.column}`, f.fix);
    if (fixes.size > 0) this.fixes.set(uri.toString(), fixes); else this.fixes.delete(uri.toString());
    this.collection.set(uri, findings.map((f) => this.toDiagnostic(f)));
    this.changed.fire(uri);
  }

  /** The engine's edit for a diagnostic it published, if any. */
  fixFor(uri: vscode.Uri, diagnostic: vscode.Diagnostic): FindingFix | undefined {
    const rule = typeof diagnostic.code === 'object' ? String(diagnostic.code.value) : String(diagnostic.code ?? '');
    return this.fixes.get(uri.toString())?.get(`${rule}:${diagnostic.range.start.line + 1}:${diagnostic.range.start.character + 1}`);
  }

  /** Analyses a document now (tests and commands); resolves when its diagnostics are set. */
  async refresh(document: vscode.TextDocument): Promise<readonly vscode.Diagnostic[]> {
    this.close(document);
    await this.open(document);
    return this.collection.get(document.uri) ?? [];
  }

  private supported(document: vscode.TextDocument): boolean {
    return document.uri.scheme === 'file' && LANGUAGES.has(document.languageId);
  }

  private ready(): Promise<DetectorEngine> {
    this.engineReady ??= (async () => {
      const engine = new DetectorEngine(this.settings().options, {}, new ParserPool(vscode.Uri.joinPath(this.extensionUri, 'dist', 'grammars').fsPath));
      await engine.ready();
      this.engine = engine;
      await this.reloadCustomRules(engine);
      return engine;
    })();
    return this.engineReady;
  }

  private async open(document: vscode.TextDocument): Promise<void> {
    // A rule file opened first: load the rules, so its problems show.
    if (document.languageId === 'perflens-query' && this.customRulesAllowed) {
      this.ready().catch((error: unknown) => this.log.reportError('PerfLens could not load the tree-sitter grammars', error));
      return;
    }
    if (!this.supported(document) || this.documents.has(document.uri.toString())) return;
    if (this.ignored(document.uri, this.settings().ignore)) return;
    let engine: DetectorEngine;
    try {
      engine = await this.ready();
    } catch (error) {
      this.log.reportError('PerfLens could not load the tree-sitter grammars; blocking-call and n-plus-one diagnostics are off', error);
      return;
    }
    if (this.documents.has(document.uri.toString()) || document.isClosed) return;
    engine.setOverride(document.uri.fsPath, document.getText());
    const open: OpenDocument = { analysis: new DocumentAnalysis(engine, document.uri.fsPath, document.getText()), pending: [], token: { isCancellationRequested: false } };
    this.documents.set(document.uri.toString(), open);
    this.run(document.uri, open, () => open.analysis.analyse(open.token));
  }

  private edit(event: vscode.TextDocumentChangeEvent): void {
    const open = this.documents.get(event.document.uri.toString());
    if (!open || event.contentChanges.length === 0) return;
    // VS Code lists a change event's edits against the text before the event, last first when
    // there are several; applied in that order each offset is still valid.
    const ordered = [...event.contentChanges].sort((a, b) => b.rangeOffset - a.rangeOffset);
    for (const c of ordered) open.pending.push({ rangeOffset: c.rangeOffset, rangeLength: c.rangeLength, text: c.text });
    open.token.isCancellationRequested = true;
    if (open.timer) clearTimeout(open.timer);
    if (open.warming) clearTimeout(open.warming);
    const document = event.document;
    open.timer = setTimeout(() => {
      open.timer = undefined;
      const changes = open.pending.splice(0);
      open.token = { isCancellationRequested: false };
      const token = open.token;
      this.run(document.uri, open, () => open.analysis.update(changes, token));
    }, DEBOUNCE_MS);
  }

  private run(uri: vscode.Uri, open: OpenDocument, analyse: () => ReturnType<DocumentAnalysis['analyse']>): void {
    try {
      const result = analyse();
      for (const note of result.notes) this.log.debug(`${uri.fsPath}: ${note}`);
      this.publish(uri, result.findings);
      this.warmUp(uri, open);
    } catch (error) {
      if (error instanceof CancelledError) return;
      // A document that breaks the analysis keeps its old diagnostics; the log has the stack.
      this.log.error(error instanceof Error ? error : String(error));
      if (open.pending.length === 0) this.log.warn(`${uri.fsPath}: detector analysis failed; see the error above.`);
    }
  }

  /**
   * While the document is idle, computes in short slices what the next edits would (the code
   * before an edit, for each function that matters): typing then analyses only the code after it.
   * An edit stops it; the next analysis starts it again.
   */
  private warmUp(uri: vscode.Uri, open: OpenDocument): void {
    if (open.warming) clearTimeout(open.warming);
    const slice = (): void => {
      open.warming = undefined;
      if (open.timer || open.pending.length > 0 || this.documents.get(uri.toString()) !== open) return;
      try {
        if (open.analysis.warm(WARM_SLICE_MS)) open.warming = setTimeout(slice, WARM_PAUSE_MS);
      } catch (error) {
        this.log.error(error instanceof Error ? error : String(error));
      }
    };
    open.warming = setTimeout(slice, WARM_PAUSE_MS);
  }

  /** True when custom rules may load: a trusted workspace. */
  private get customRulesAllowed(): boolean {
    return vscode.workspace.isTrusted;
  }

  private scheduleRulesReload(delay = DEBOUNCE_MS): void {
    if (!this.engine) return;
    if (this.rulesTimer) clearTimeout(this.rulesTimer);
    this.rulesTimer = setTimeout(() => {
      this.rulesTimer = undefined;
      const engine = this.engine;
      if (!engine) return;
      this.rulesLoading = this.rulesLoading.then(() => this.reloadCustomRules(engine)).then(() => {
        for (const [key, open] of this.documents) this.run(vscode.Uri.parse(key), open, () => open.analysis.analyse(open.token));
      }).catch((error: unknown) => this.log.reportError('PerfLens could not load the custom rules', error));
    }, delay);
  }

  /** Compiles `.perflens/rules/*.scm` of every folder, installs the rules, and shows rule-file problems. */
  private async reloadCustomRules(engine: DetectorEngine): Promise<void> {
    for (const w of this.ruleWatchers.splice(0)) w.dispose();
    const folders = this.customRulesAllowed ? vscode.workspace.workspaceFolders ?? [] : [];
    const loaded = new Map<string, CustomRuleLoad[]>();
    for (const folder of folders) {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, RULES_GLOB));
      const changed = (): void => this.scheduleRulesReload();
      this.ruleWatchers.push(watcher, watcher.onDidCreate(changed), watcher.onDidChange(changed), watcher.onDidDelete(changed));
      loaded.set(folder.uri.fsPath, await engine.loadCustomRules(folder.uri.fsPath));
    }
    if (engine !== this.engine) {
      for (const loads of loaded.values()) for (const l of loads) l.rule?.dispose();
      return;
    }
    this.disposeCustomRules();
    for (const [folder, loads] of loaded) {
      this.customRules.set(folder, loads);
      engine.setCustomRules(folder, loads.flatMap((l) => (l.rule ? [l.rule] : [])));
      const withProblems: vscode.Uri[] = [];
      for (const load of loads) {
        const uri = vscode.Uri.file(load.file);
        if (load.problems.length === 0) continue;
        withProblems.push(uri);
        this.collection.set(uri, await this.ruleProblemDiagnostics(uri, load));
        this.changed.fire(uri);
      }
      this.ruleFileProblems.set(folder, withProblems);
      const ok = loads.filter((l) => l.rule).map((l) => l.rule!.meta.id);
      if (loads.length > 0) this.log.info(`Custom rules of ${folder}: ${ok.length > 0 ? ok.join(', ') : 'none loaded'}${withProblems.length > 0 ? `; ${withProblems.length} rule file(s) with problems` : ''}.`);
    }
  }

  private async ruleProblemDiagnostics(uri: vscode.Uri, load: CustomRuleLoad): Promise<vscode.Diagnostic[]> {
    let text = '';
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch {
      // Unreadable: the problems go on the first line.
    }
    return load.problems.map((p) => {
      const start = positionAt(text, p.start);
      const end = positionAt(text, Math.max(p.start, p.end));
      const diagnostic = new vscode.Diagnostic(new vscode.Range(start.line, start.column, end.line, end.column), p.message, vscode.DiagnosticSeverity.Error);
      diagnostic.source = 'PerfLens';
      diagnostic.code = 'custom-rule';
      return diagnostic;
    });
  }

  private disposeCustomRules(): void {
    for (const [folder, loads] of this.customRules) {
      this.engine?.setCustomRules(folder, []);
      for (const l of loads) l.rule?.dispose();
    }
    this.customRules.clear();
    for (const uris of this.ruleFileProblems.values()) for (const uri of uris) this.collection.delete(uri);
    this.ruleFileProblems.clear();
  }

  private toDiagnostic(finding: Finding): vscode.Diagnostic {
    const range = new vscode.Range(finding.line - 1, Math.max(0, finding.column - 1), finding.endLine - 1, Math.max(0, finding.endColumn - 1));
    const diagnostic = new vscode.Diagnostic(range, finding.message, severityOf(finding.severity));
    diagnostic.source = 'PerfLens';
    const ruleFile = this.customRuleFile(finding.rule);
    // Built-in rules link to their doc page; custom rules to the .scm file that defines them.
    diagnostic.code = { value: finding.rule, target: ruleFile ? vscode.Uri.file(ruleFile) : vscode.Uri.joinPath(this.extensionUri, 'docs', 'rules', `${finding.rule}.md`) };
    diagnostic.relatedInformation = finding.related.map((r) => new vscode.DiagnosticRelatedInformation(
      new vscode.Location(vscode.Uri.file(r.file), new vscode.Position(Math.max(0, r.line - 1), 0)),
      r.message,
    ));
    return diagnostic;
  }

  private customRuleFile(id: string): string | undefined {
    for (const loads of this.customRules.values()) for (const l of loads) if (l.rule?.meta.id === id) return l.file;
    return undefined;
  }

  private close(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    const open = this.documents.get(key);
    if (!open) return;
    if (open.timer) clearTimeout(open.timer);
    if (open.warming) clearTimeout(open.warming);
    open.token.isCancellationRequested = true;
    open.analysis.dispose();
    this.documents.delete(key);
    this.engine?.setOverride(document.uri.fsPath, undefined);
    this.collection.delete(document.uri);
    this.fixes.delete(document.uri.toString());
  }

  dispose(): void {
    for (const open of this.documents.values()) {
      if (open.timer) clearTimeout(open.timer);
      if (open.warming) clearTimeout(open.warming);
      open.analysis.dispose();
    }
    this.documents.clear();
    if (this.rulesTimer) clearTimeout(this.rulesTimer);
    for (const w of this.ruleWatchers.splice(0)) w.dispose();
    this.disposeCustomRules();
    this.engine?.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}

function severityOf(severity: Severity): vscode.DiagnosticSeverity {
  switch (severity) {
    case 'error': return vscode.DiagnosticSeverity.Error;
    case 'warning': return vscode.DiagnosticSeverity.Warning;
    case 'information': return vscode.DiagnosticSeverity.Information;
    case 'hint': return vscode.DiagnosticSeverity.Hint;
  }
}

/** The suppression comment the engine honours, for the line of a diagnostic. */
export function suppressionEdit(document: vscode.TextDocument, line: number, rule: string): vscode.TextEdit {
  const text = document.lineAt(line).text;
  const indent = /^\s*/.exec(text)?.[0] ?? '';
  if (document.languageId === 'python') {
    return vscode.TextEdit.insert(new vscode.Position(line, 0), `${indent}# perflens: ignore[${rule}]\n`);
  }
  return vscode.TextEdit.insert(new vscode.Position(line, 0), `${indent}// perflens-ignore-next-line ${rule}\n`);
}

export const DETECTOR_LANGUAGES = [...LANGUAGES];
