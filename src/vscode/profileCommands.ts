import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatBytes, formatMs, formatPercent, shortPath } from '../core/format';
import { UserFacingError } from '../core/log';
import { analyzeProfilesInWorker, type AnalyzeOptions, type ProfileSource } from '../core/profile';
import type { ProfileRunFigures } from '../core/bench/profileSeries';
import type { ProfileReport } from '../core/profile/report';
import { describeRunProblem, profileProgram, type ProfileSessionResult } from '../core/profileSession';
import { splitCommandLine } from '../core/commandLine';
import { AGENT_BUNDLE_NAME } from '../core/profile/codeKind';
import type { RunTarget } from '../core/run/types';
import type { ExtensionLog } from './log';
import type { ProfileState } from './profileState';
import type { ProgramTerminal } from './programTerminal';
import { currentSettings } from './settings';

const SCRIPT_EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts']);

export interface ProfileOutcome {
  result?: ProfileSessionResult;
  report?: ProfileReport;
  problem?: string;
}

/** The commands that run or open profiles, with progress, cancel and a summary. */
export class ProfileCommands {
  private running = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: ExtensionLog,
    private readonly state: ProfileState,
    private readonly terminal: ProgramTerminal,
    /** Receives each successful run's figures (the benchmark history's suite `profile`). */
    private readonly onProfiled?: (figures: ProfileRunFigures) => Promise<void>,
  ) {}

  async profileScript(uri?: vscode.Uri): Promise<ProfileOutcome | undefined> {
    if (!(await this.requireTrust())) return undefined;
    const file = await this.pickScript(uri);
    if (!file) return undefined;
    const settings = currentSettings(this.log, file);
    return this.run({ kind: 'script', file: file.fsPath, args: settings['profile.args'] }, path.basename(file.fsPath), file);
  }

  async profileNpmScript(packageJson?: vscode.Uri, script?: string): Promise<ProfileOutcome | undefined> {
    if (!(await this.requireTrust())) return undefined;
    let choice: { packageDir: string; script: string } | undefined;
    if (packageJson && script) choice = { packageDir: path.dirname(packageJson.fsPath), script };
    else choice = await this.pickNpmScript();
    if (!choice) return undefined;
    return this.run({ kind: 'npm', script: choice.script, packageDir: choice.packageDir }, `npm run ${choice.script}`, vscode.Uri.file(path.join(choice.packageDir, 'package.json')));
  }

  async profileCommand(commandLine?: string): Promise<ProfileOutcome | undefined> {
    if (!(await this.requireTrust())) return undefined;
    const text = commandLine ?? await vscode.window.showInputBox({
      title: 'PerfLens: profile a command line',
      prompt: 'Every Node.js process this command starts is profiled. It runs without a shell: no pipes or variables.',
      placeHolder: 'node server.js --port 8080',
      ignoreFocusOut: true,
    });
    if (!text) return undefined;
    let argv: string[];
    try {
      argv = splitCommandLine(text);
    } catch (error) {
      this.log.reportError('PerfLens could not read that command line', error);
      return undefined;
    }
    const [command, ...args] = argv;
    if (!command) return undefined;
    return this.run({ kind: 'command', command, args }, text, vscode.workspace.workspaceFolders?.[0]?.uri);
  }

  async openProfile(uri?: vscode.Uri): Promise<ProfileOutcome | undefined> {
    const picked = uri ? [uri] : await vscode.window.showOpenDialog({
      canSelectMany: true,
      openLabel: 'Open profile',
      filters: { 'V8 profiles': ['cpuprofile', 'heapprofile', 'json'], 'All files': ['*'] },
    });
    if (!picked || picked.length === 0) return undefined;
    const cpu = picked.filter((u) => !u.fsPath.endsWith('.heapprofile'));
    const heap = picked.filter((u) => u.fsPath.endsWith('.heapprofile'));
    const sources = cpu.length > 0
      ? cpu.map((u, i) => ({ cpuProfilePath: u.fsPath, heapProfilePath: heap[i]?.fsPath }))
      : heap.map((u) => ({ heapProfilePath: u.fsPath }));
    const name = picked.map((u) => path.basename(u.fsPath)).join(', ');
    const abort = new AbortController();
    try {
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `PerfLens: reading ${name}`, cancellable: true },
        async (_progress, token) => {
          token.onCancellationRequested(() => abort.abort());
          return this.analyze(sources, { log: this.log, workspaceRoot: workspaceRootFor(picked[0]!), signal: abort.signal });
        },
      );
      this.show(report, name);
      return { report };
    } catch (error) {
      if (abort.signal.aborted) return { problem: 'Cancelled.' };
      const problem = error instanceof UserFacingError ? error.message : `Could not read ${name}`;
      this.log.reportError(problem, error instanceof UserFacingError ? undefined : error);
      return { problem };
    }
  }

  private async run(target: RunTarget, title: string, scope: vscode.Uri | undefined): Promise<ProfileOutcome | undefined> {
    if (this.running) {
      void vscode.window.showWarningMessage('PerfLens is already profiling a program. Cancel it from its progress notification first.');
      return undefined;
    }
    this.running = true;
    const settings = currentSettings(this.log, scope);
    // Cancelling while the program runs ends it and still shows what it captured; cancelling
    // during the analysis that follows drops the analysis.
    const abort = new AbortController();
    const analysisAbort = new AbortController();
    let analysing = false;
    const cancel = (): void => (analysing ? analysisAbort : abort).abort();
    try {
      // Closing the terminal stops the program only; its profile is still shown.
      await this.terminal.start(title, () => abort.abort());
      this.log.info(`Profiling ${title}`);
      const started = Date.now();
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `PerfLens: profiling ${title}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(cancel);
          const ticker = setInterval(() => progress.report({ message: `running… ${Math.round((Date.now() - started) / 1000)} s` }), 1000);
          try {
            return await profileProgram({
              target,
              nodePath: settings['profile.nodePath'] || undefined,
              nodeArgs: settings['profile.nodeArgs'],
              env: settings['profile.env'],
              samplingIntervalUs: settings['profile.samplingIntervalMicros'],
              heapProfile: settings['profile.heapProfile'],
              timeoutMs: settings['profile.timeoutSeconds'] > 0 ? settings['profile.timeoutSeconds'] * 1000 : undefined,
              agentPath: vscode.Uri.joinPath(this.extensionUri, 'dist', AGENT_BUNDLE_NAME).fsPath,
              signal: abort.signal,
              onOutput: (_stream, text) => this.terminal.write(text),
              workspaceRoot: scope ? workspaceRootFor(scope) : undefined,
              log: this.log,
              analyze: (sources, options) => this.analyze(sources, { ...options, signal: analysisAbort.signal }),
              onPhase: (phase) => {
                if (phase !== 'analysing') return;
                analysing = true;
                clearInterval(ticker);
                progress.report({ message: 'analysing…' });
              },
            });
          } finally {
            clearInterval(ticker);
          }
        },
      );
      const problem = describeRunProblem(result.run);
      this.terminal.finish(problem ?? `finished in ${formatMs(result.run.wallMs)}`);
      if (problem) this.log.warn(`${title}: ${problem}${result.run.stderrTail ? `\n${result.run.stderrTail}` : ''}`);
      if (!result.report) {
        this.log.reportError(problem ? `PerfLens: ${problem}` : `PerfLens: ${title} finished but no process wrote a profile`);
        return { result, problem: problem ?? 'no profile' };
      }
      this.show(result.report, title);
      void this.summarize(result.report, title, problem);
      if (!problem && this.onProfiled && result.report.wallMs !== null) {
        const name = target.kind === 'script' ? vscode.workspace.asRelativePath(target.file, false) : title;
        void this.onProfiled({ target: name, wallMs: result.report.wallMs, cpuMs: result.report.cpuMs, peakMemoryBytes: result.report.peakRssBytes ?? undefined });
      }
      return { result, report: result.report, problem };
    } catch (error) {
      if (analysisAbort.signal.aborted) return { problem: 'Cancelled.' };
      const problem = error instanceof UserFacingError ? error.message : `Profiling ${title} failed`;
      this.log.reportError(`PerfLens: ${problem}`, error instanceof UserFacingError ? undefined : error);
      return { problem };
    } finally {
      this.running = false;
    }
  }

  /** Analysis runs on a worker thread: a 100 MB profile must not freeze the editor. */
  private analyze(sources: ProfileSource[], options: AnalyzeOptions): Promise<ProfileReport> {
    return analyzeProfilesInWorker(vscode.Uri.joinPath(this.extensionUri, 'dist', 'analysis-worker.js').fsPath, sources, options);
  }

  private show(report: ProfileReport, origin: string): void {
    this.state.setReport(report, origin);
    for (const warning of report.warnings) this.log.warn(warning);
  }

  private async summarize(report: ProfileReport, title: string, problem: string | undefined): Promise<void> {
    const top = report.lines.find((l) => l.kind === 'user') ?? report.lines.find((l) => l.kind !== 'system');
    const parts = [
      report.wallMs !== null ? `wall ${formatMs(report.wallMs)}` : undefined,
      `CPU ${formatMs(report.cpuMs)}`,
      report.peakRssBytes !== null ? `peak memory ${formatBytes(report.peakRssBytes)}` : undefined,
    ].filter(Boolean).join(', ');
    const hottest = top ? ` Hottest line: ${shortPath(top.file)}:${top.line} (${formatPercent(top.selfPercent)}).` : '';
    const message = `${problem ? `${problem} ` : ''}Profiled ${title}: ${parts}.${hottest}`;
    const actions = top ? ['Go to Hottest Line', 'Show Hotspots', 'Open Log'] : ['Show Hotspots', 'Open Log'];
    const choice = problem ? await vscode.window.showWarningMessage(message, ...actions) : await vscode.window.showInformationMessage(message, ...actions);
    if (choice === 'Show Hotspots') await vscode.commands.executeCommand('perflens.showHotspots');
    else if (choice === 'Open Log') this.log.show();
    else if (choice === 'Go to Hottest Line' && top) {
      const position = new vscode.Position(top.line - 1, 0);
      await vscode.window.showTextDocument(vscode.Uri.file(top.file), { selection: new vscode.Range(position, position) });
    }
  }

  /** False, with an explanation (not waited for), when the workspace is not trusted. */
  private async requireTrust(): Promise<boolean> {
    if (vscode.workspace.isTrusted) return true;
    this.log.info('Profiling refused: the workspace is not trusted.');
    void vscode.window.showWarningMessage(
      'PerfLens does not run programs in an untrusted workspace, because profiling executes the workspace\'s code. Trust the workspace to profile; opening saved profiles works without it.',
      'Manage Workspace Trust',
    ).then((choice) => {
      if (choice === 'Manage Workspace Trust') void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return false;
  }

  private async pickScript(uri: vscode.Uri | undefined): Promise<vscode.Uri | undefined> {
    const candidate = uri ?? vscode.window.activeTextEditor?.document.uri;
    if (candidate && candidate.scheme === 'file' && SCRIPT_EXTENSIONS.has(path.extname(candidate.fsPath).toLowerCase())) {
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === candidate.toString());
      if (open?.isDirty) await open.save();
      return candidate;
    }
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      openLabel: 'Profile',
      filters: { 'JavaScript and TypeScript': [...SCRIPT_EXTENSIONS].map((e) => e.slice(1)) },
    });
    return picked?.[0];
  }

  private async pickNpmScript(): Promise<{ packageDir: string; script: string } | undefined> {
    const manifests = await vscode.workspace.findFiles('**/package.json', '**/node_modules/**', 200);
    const items: (vscode.QuickPickItem & { packageDir: string; script: string })[] = [];
    for (const manifest of manifests.sort((a, b) => a.fsPath.length - b.fsPath.length)) {
      try {
        const parsed = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(manifest))) as { scripts?: Record<string, unknown> };
        for (const [name, command] of Object.entries(parsed.scripts ?? {})) {
          if (typeof command !== 'string') continue;
          const folder = vscode.workspace.asRelativePath(path.dirname(manifest.fsPath), true);
          items.push({ label: name, description: command, detail: folder, packageDir: path.dirname(manifest.fsPath), script: name });
        }
      } catch (error) {
        this.log.warn(`${manifest.fsPath}: not valid JSON, its scripts are not listed (${error instanceof Error ? error.message : String(error)})`);
      }
    }
    if (items.length === 0) {
      void vscode.window.showInformationMessage('PerfLens found no npm scripts in this workspace.');
      return undefined;
    }
    return vscode.window.showQuickPick(items, { title: 'PerfLens: profile npm script', placeHolder: 'Every Node.js process the script starts is profiled', matchOnDescription: true });
  }
}

function workspaceRootFor(uri: vscode.Uri): string | undefined {
  return vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}
