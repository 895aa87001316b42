import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  appendRecords, BenchConfigError, BenchImportError, currentMachine, gitInfo, newRunId, parseBenchmarkConfigs, readBenchmarkConfigFile,
  profileRunResults, runBenchmarks, summarizeVerdicts, toRecords, type BenchmarkConfig, type ProfileRunFigures,
  type SeriesAnalysis,
} from '../core/bench';
import { formatDelta } from '../core/shared/historyProtocol';
import type { BenchStatus } from './benchStatus';
import { benchRoot, loadHistory, type HistoryPanel } from './historyPanel';
import type { ExtensionLog } from './log';
import { currentSettings } from './settings';

export interface BenchRunOutcome {
  /** Records appended to the history. */
  records: number;
  /** The status bar text ("2 regressions", "benchmarks ok"). */
  summary?: string;
  /** Series of this run that regressed or broke a budget, as "suite › name +12.3%". */
  failing?: string[];
  problem?: string;
}

function describeSeries(a: SeriesAnalysis): string {
  return `${a.suite} › ${a.name} ${a.status === 'regressed' ? formatDelta(a.deltaPercent) : 'over budget'}`;
}

/** *Run benchmarks*, *Benchmark history*, and the profile runs' figures going into the history. */
export class BenchCommands {
  private running: AbortController | undefined;

  constructor(private readonly log: ExtensionLog, private readonly panel: HistoryPanel, private readonly status: BenchStatus) {}

  /** The configured benchmarks: the setting first, then .perflens/config.json (what the CLI reads). */
  async configuredBenchmarks(root: string): Promise<BenchmarkConfig[]> {
    const fromSettings = currentSettings(this.log, vscode.Uri.file(root))['bench.benchmarks'];
    if (fromSettings.length > 0) return parseBenchmarkConfigs({ benchmarks: fromSettings }, 'setting perflens.bench');
    const file = path.join(root, '.perflens', 'config.json');
    return readBenchmarkConfigFile(file, vscode.workspace.asRelativePath(file, false));
  }

  async runBenchmarks(): Promise<BenchRunOutcome | undefined> {
    if (!vscode.workspace.isTrusted) {
      this.log.info('Run benchmarks refused: the workspace is not trusted.');
      void vscode.window.showWarningMessage(
        'PerfLens does not run benchmark commands in an untrusted workspace: they come from the workspace and execute its code. The benchmark history still opens read-only.',
        'Manage Workspace Trust', 'Open History',
      ).then((choice) => {
        if (choice === 'Manage Workspace Trust') void vscode.commands.executeCommand('workbench.trust.manage');
        else if (choice === 'Open History') void vscode.commands.executeCommand('perflens.showBenchmarkHistory');
      });
      return undefined;
    }
    if (this.running) {
      void vscode.window.showWarningMessage('PerfLens is already running the benchmarks. Cancel them from their progress notification first.');
      return undefined;
    }
    const root = benchRoot();
    if (!root) {
      void vscode.window.showInformationMessage('Open a folder to run its benchmarks.');
      return undefined;
    }
    let configs: BenchmarkConfig[];
    try {
      configs = await this.configuredBenchmarks(root);
    } catch (error) {
      if (!(error instanceof BenchConfigError)) throw error;
      this.log.reportError(`PerfLens: ${error.message}`);
      return { records: 0, problem: error.message };
    }
    if (configs.length === 0) {
      void vscode.window.showInformationMessage(
        'No benchmarks are configured. List them in the setting perflens.bench.benchmarks or in .perflens/config.json: { "benchmarks": [{ "name", "command", "format" }] }.',
        'Open Settings',
      ).then((choice) => {
        if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openWorkspaceSettings', 'perflens.bench');
      });
      return { records: 0, problem: 'no benchmarks configured' };
    }
    const historyFile = path.resolve(root, currentSettings(this.log, vscode.Uri.file(root))['bench.historyFile']);
    const abort = new AbortController();
    this.running = abort;
    try {
      const records = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'PerfLens: running benchmarks', cancellable: true },
        (progress, token) => {
          // Cancelling ends the running command and every process it started (its process group).
          const cancel = token.onCancellationRequested(() => abort.abort(new Error('Cancelled.')));
          return runBenchmarks(configs, {
            root, historyFile, signal: abort.signal,
            onProgress: (message) => {
              this.log.info(`Running benchmark ${message}`);
              progress.report({ message });
            },
          }).finally(() => cancel.dispose());
        },
      );
      this.log.info(`${records.length} benchmark result(s) appended to ${historyFile}`);
      const { analyses } = await loadHistory(root, this.log);
      const runId = records[0]?.run;
      const verdict = summarizeVerdicts(analyses, runId);
      const failing = verdict.failing.map(describeSeries);
      this.status.show(verdict.text, failing);
      await this.panel.refresh();
      if (failing.length > 0) {
        const named = failing.slice(0, 3).join(', ') + (failing.length > 3 ? ` and ${failing.length - 3} more` : '');
        const ids = verdict.failing.map((a) => `${a.suite}\u0000${a.name}\u0000${a.machine}`);
        void vscode.window.showWarningMessage(`PerfLens: ${verdict.text} — ${named}`, 'Show History').then((choice) => {
          if (choice === 'Show History') void this.panel.show(ids);
        });
      } else {
        void vscode.window.showInformationMessage(`PerfLens: ${records.length} benchmark result(s) recorded, no regression.`, 'Show History').then((choice) => {
          if (choice === 'Show History') void this.panel.show();
        });
      }
      return { records: records.length, summary: verdict.text, failing };
    } catch (error) {
      if (abort.signal.aborted) {
        this.log.info('Benchmarks cancelled; nothing was recorded.');
        return { records: 0, problem: 'Cancelled.' };
      }
      const message = error instanceof Error ? error.message : String(error);
      this.log.reportError(`PerfLens: the benchmarks failed, nothing was recorded`, error instanceof BenchImportError ? message : error);
      return { records: 0, problem: message };
    } finally {
      this.running = undefined;
    }
  }

  /** Cancels a run in progress (for tests and for the extension's shutdown). */
  cancel(): void {
    this.running?.abort(new Error('Cancelled.'));
  }

  showHistory(): Promise<void> {
    return this.panel.show();
  }

  /**
   * Appends a profiling run's wall time, CPU time and peak memory (suite `profile`). Trusted
   * workspaces only; failures are logged, never thrown.
   */
  async recordProfileRun(figures: ProfileRunFigures): Promise<void> {
    const root = benchRoot();
    if (!root || !vscode.workspace.isTrusted) return;
    try {
      const historyFile = path.resolve(root, currentSettings(this.log, vscode.Uri.file(root))['bench.historyFile']);
      const ts = new Date().toISOString();
      const records = toRecords(profileRunResults(figures), { run: newRunId(ts), ts, git: await gitInfo(root), machine: currentMachine() }, 'profile');
      await appendRecords(historyFile, records);
      this.log.debug(`Profile figures of ${figures.target} appended to ${historyFile}`);
      await this.panel.refresh();
    } catch (error) {
      this.log.error(error instanceof Error ? error : String(error));
    }
  }

  dispose(): void {
    this.cancel();
  }
}
