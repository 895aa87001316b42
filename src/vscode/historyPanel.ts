import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  buildHistoryView, BudgetFileError, formatHistoryWarning, parseBudgets, readBudgets, readHistory,
  type Budget, type SeriesAnalysis,
} from '../core/bench';
import { isCommitId, type FromWebview, type HistoryView, type ToWebview } from '../core/shared/historyProtocol';
import type { ExtensionLog } from './log';
import { currentSettings } from './settings';

export interface RenderReport { series: number; charts: number; ms: number }

export interface LoadedHistory {
  view: HistoryView;
  analyses: SeriesAnalysis[];
}

/** The workspace folder benchmarks run in and the history lives in. */
export function benchRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** Reads and analyses the history with the budgets of the settings and of .perflens/budgets.json. */
export async function loadHistory(root: string, log: ExtensionLog): Promise<LoadedHistory> {
  const settings = currentSettings(log, vscode.Uri.file(root));
  const file = path.resolve(root, settings['bench.historyFile']);
  const history = await readHistory(file);
  const warnings = history.warnings.map(formatHistoryWarning);
  for (const w of warnings) log.warn(w);
  let budgets: Budget[] = [];
  try {
    budgets = [
      ...parseBudgets(settings['bench.budgets'], 'setting perflens.bench.budgets'),
      ...await readBudgets(path.join(root, '.perflens', 'budgets.json')),
    ];
  } catch (error) {
    if (!(error instanceof BudgetFileError)) throw error;
    log.warn(error.message);
    warnings.push(`${error.message} (budgets ignored)`);
  }
  const { view, analyses } = buildHistoryView({
    file: vscode.workspace.asRelativePath(file, false),
    records: history.records,
    warnings,
    options: { budgets },
    canOpenCommits: vscode.workspace.isTrusted,
  });
  return { view, analyses };
}

/**
 * The *Benchmark history* webview: one panel at a time, reloaded on demand. Read-only, so it opens
 * in untrusted workspaces too; only opening a commit (which runs git) needs trust.
 */
export class HistoryPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  /** Disposables of the current panel (one webview's lifetime). */
  private panelDisposables: vscode.Disposable[] = [];
  private ready = false;
  private renderWaiters: ((r: RenderReport) => void)[] = [];
  lastRender: RenderReport | undefined;
  lastView: HistoryView | undefined;

  constructor(private readonly extensionUri: vscode.Uri, private readonly log: ExtensionLog) {}

  get visiblePanel(): vscode.WebviewPanel | undefined {
    return this.panel;
  }

  /** Opens (or reveals) the panel and sends it the current history; optionally scrolls to series. */
  async show(focusSeriesIds?: string[]): Promise<void> {
    const root = benchRoot();
    if (!this.panel) this.create();
    else this.panel.reveal(undefined, false);
    if (!root) {
      this.send({ type: 'error', message: 'Open a folder to see its benchmark history.' });
      return;
    }
    await this.reload(root);
    if (focusSeriesIds && focusSeriesIds.length > 0) this.send({ type: 'focus', seriesIds: focusSeriesIds });
  }

  /** Resolves with the webview's report of its next first render. */
  nextRender(): Promise<RenderReport> {
    return new Promise((resolve) => this.renderWaiters.push(resolve));
  }

  /** Re-reads the history into an open panel (after a run); a closed panel stays closed. */
  async refresh(): Promise<void> {
    const root = benchRoot();
    if (this.panel && root) await this.reload(root);
  }

  private async reload(root: string): Promise<void> {
    try {
      const { view } = await loadHistory(root, this.log);
      this.lastView = view;
      if (this.ready) this.send({ type: 'history', view });
    } catch (error) {
      this.log.error(error instanceof Error ? error : String(error));
      this.send({ type: 'error', message: `Could not read the benchmark history: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  private create(): void {
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const bundles = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel('perflens.history', 'Benchmark history', vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [bundles, media],
    });
    this.panel = panel;
    this.ready = false;
    panel.iconPath = vscode.Uri.joinPath(media, 'perflens.svg');
    panel.webview.html = this.html(panel.webview, bundles, media);
    this.panelDisposables.push(
      panel.webview.onDidReceiveMessage((m: FromWebview) => this.receive(m)),
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
        for (const d of this.panelDisposables) d.dispose();
        this.panelDisposables = [];
      }),
      // A hidden webview is discarded (retainContextWhenHidden false) and asks again when shown.
      panel.onDidChangeViewState(() => { if (!panel.visible) this.ready = false; }),
    );
    // Runs appended from elsewhere (`perflens bench run` in a terminal) show up without a reload.
    const root = benchRoot();
    if (root) {
      const file = currentSettings(this.log, vscode.Uri.file(root))['bench.historyFile'];
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(root, file));
      let timer: NodeJS.Timeout | undefined;
      const changed = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => void this.refresh(), 300);
      };
      this.panelDisposables.push(watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed), { dispose: () => clearTimeout(timer) });
    }
  }

  private receive(message: FromWebview): void {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        if (this.lastView) this.send({ type: 'history', view: this.lastView });
        break;
      case 'rendered': {
        this.lastRender = { series: message.series, charts: message.charts, ms: message.ms };
        this.log.debug(`Benchmark history drawn: ${message.series} series, ${message.charts} charts in ${message.ms.toFixed(0)} ms`);
        const waiters = this.renderWaiters;
        this.renderWaiters = [];
        for (const w of waiters) w(this.lastRender);
        break;
      }
      case 'openCommit':
        void this.openCommit(message.commit);
        break;
      case 'refresh':
        void this.refresh();
        break;
      default: {
        const unknown: never = message;
        this.log.warn(`Unknown message from the history webview: ${JSON.stringify(unknown)}`);
      }
    }
  }

  private send(message: ToWebview): void {
    void this.panel?.webview.postMessage(message);
  }

  /** Shows `git show <commit>` in a read-only document; the id is checked to be hex first. */
  private async openCommit(commit: unknown): Promise<void> {
    const root = benchRoot();
    if (!isCommitId(commit) || !root || !vscode.workspace.isTrusted) return;
    const uri = vscode.Uri.from({ scheme: COMMIT_SCHEME, path: `/${commit}.diff`, query: root });
    try {
      await vscode.window.showTextDocument(uri, { preview: true, viewColumn: vscode.ViewColumn.Beside });
    } catch (error) {
      this.log.reportError(`PerfLens could not show commit ${commit}`, error);
    }
  }

  private html(webview: vscode.Webview, bundles: vscode.Uri, media: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(bundles, 'history.main.js'));
    const chartCss = webview.asWebviewUri(vscode.Uri.joinPath(bundles, 'history.main.css'));
    const css = webview.asWebviewUri(vscode.Uri.joinPath(media, 'history.css'));
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${chartCss.toString()}">
<link rel="stylesheet" href="${css.toString()}">
<title>Benchmark history</title>
</head>
<body>
<div id="toolbar">
  <input id="search" type="search" placeholder="Search suite, name, machine" aria-label="Search series">
  <select id="suite" aria-label="Suite"></select>
  <select id="branch" aria-label="Branch"></select>
  <select id="machine" aria-label="Machine"></select>
  <label><input id="changed-only" type="checkbox"> changed only</label>
  <button id="mode" type="button">Table</button>
  <span id="count"></span>
</div>
<div id="warnings" hidden></div>
<main id="charts"><p class="empty">Reading the history…</p></main>
<div id="table" hidden></div>
<div id="tooltip" role="tooltip" hidden></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.panelDisposables) d.dispose();
    this.panelDisposables = [];
  }
}

export const COMMIT_SCHEME = 'perflens-commit';

/** `perflens-commit:/<hex>.diff?<repository root>` → the output of `git show`. */
export class CommitContentProvider implements vscode.TextDocumentContentProvider {
  provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const commit = path.posix.basename(uri.path, '.diff');
    const root = uri.query;
    if (!isCommitId(commit) || !vscode.workspace.isTrusted || !vscode.workspace.workspaceFolders?.some((f) => f.uri.fsPath === root)) {
      return Promise.resolve('PerfLens shows commits of a trusted workspace folder only.');
    }
    return new Promise((resolve) => {
      execFile('git', ['--no-pager', 'show', '--no-ext-diff', '--no-textconv', '--format=fuller', '--stat', '--patch', commit, '--'], {
        cwd: root, timeout: 15_000, maxBuffer: 32 * 1024 * 1024, windowsHide: true,
      }, (error, stdout, stderr) => {
        resolve(error ? `git show ${commit} failed: ${stderr.toString().trim() || error.message}` : stdout.toString());
      });
    });
  }
}
