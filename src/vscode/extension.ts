import * as vscode from 'vscode';
import { formatMs, formatPercent, shortPath } from '../core/format';
import type { CallEdge } from '../core/profile/report';
import { BenchCommands } from './benchCommands';
import { BenchStatus } from './benchStatus';
import { HeatCodeLensProvider } from './codeLens';
import { HeatDecorations, type DecorationSnapshot } from './decorations';
import { DETECTOR_LANGUAGES, DetectorDiagnostics } from './detectorDiagnostics';
import { DetectorFixProvider } from './detectorFixes';
import { CommitContentProvider, COMMIT_SCHEME, HistoryPanel } from './historyPanel';
import { HeatHoverProvider } from './hover';
import { HotspotsProvider } from './hotspotsView';
import { ExtensionLog } from './log';
import { ProfileCommands } from './profileCommands';
import { ProfileState } from './profileState';
import { ProgramTerminal } from './programTerminal';
import { currentSettings } from './settings';

/** What activate() returns: used by the extension-host tests, and by other extensions if they like. */
export interface PerfLensApi {
  readonly state: ProfileState;
  readonly commands: ProfileCommands;
  readonly hotspots: HotspotsProvider;
  readonly detectors: DetectorDiagnostics;
  readonly bench: BenchCommands;
  /** The Benchmark history webview (its last render report, its next one). */
  readonly history: HistoryPanel;
  /** The status bar item shown after a benchmark run. */
  readonly benchStatus: BenchStatus;
  decorationsFor(uri: vscode.Uri): DecorationSnapshot | undefined;
  /** Redraws decorations now instead of after the debounce. */
  refreshDecorations(): void;
}

export function activate(context: vscode.ExtensionContext): PerfLensApi {
  const log = new ExtensionLog();
  context.subscriptions.push(log);
  try {
    return activateWith(context, log);
  } catch (error) {
    log.reportError('PerfLens failed to start', error);
    throw error;
  }
}

function activateWith(context: vscode.ExtensionContext, log: ExtensionLog): PerfLensApi {
  const state = new ProfileState(log);
  const terminal = new ProgramTerminal();
  // Read (and checked, with a warning per bad value) once per configuration change, not per draw.
  const readDisplay = () => {
    const s = currentSettings(log);
    return { heat: s['display.heatThresholdPercent'], inline: s['display.inlineThresholdPercent'], codeLens: s['display.codeLens'] };
  };
  let displaySettings = readDisplay();
  const display = () => displaySettings;
  const decorations = new HeatDecorations(context.extensionUri, state, display);
  const hotspots = new HotspotsProvider(state);
  const codeLens = new HeatCodeLensProvider(state, () => display().codeLens);
  const history = new HistoryPanel(context.extensionUri, log);
  const benchStatus = new BenchStatus();
  const bench = new BenchCommands(log, history, benchStatus);
  const commands = new ProfileCommands(context.extensionUri, log, state, terminal, (figures) => bench.recordProfileRun(figures));
  const detectors = new DetectorDiagnostics(context.extensionUri, log);
  const treeView = vscode.window.createTreeView('perflens.hotspots', { treeDataProvider: hotspots, showCollapseAll: true });
  void vscode.commands.executeCommand('setContext', 'perflens.hasProfile', false);

  const register = (id: string, fn: (...args: never[]) => unknown) =>
    vscode.commands.registerCommand(id, async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (error) {
        log.reportError(`PerfLens: ${id} failed`, error);
        return undefined;
      }
    });

  context.subscriptions.push(
    state, terminal, decorations, hotspots, codeLens, treeView, detectors, history, benchStatus, bench,
    vscode.workspace.registerTextDocumentContentProvider(COMMIT_SCHEME, new CommitContentProvider()),
    vscode.languages.registerCodeActionsProvider(
      DETECTOR_LANGUAGES.map((language) => ({ language, scheme: 'file' })),
      new DetectorFixProvider((uri, diagnostic) => detectors.fixFor(uri, diagnostic)),
      { providedCodeActionKinds: DetectorFixProvider.kinds },
    ),
    vscode.languages.registerHoverProvider({ scheme: 'file' }, new HeatHoverProvider(state)),
    vscode.languages.registerCodeLensProvider({ scheme: 'file' }, codeLens),
    register('perflens.profileScript', (uri?: vscode.Uri) => commands.profileScript(uri)),
    register('perflens.profileNpmScript', (packageJson?: vscode.Uri, script?: string) => commands.profileNpmScript(packageJson, script)),
    register('perflens.profileCommand', (commandLine?: string) => commands.profileCommand(commandLine)),
    register('perflens.openProfile', (uri?: vscode.Uri) => commands.openProfile(uri)),
    register('perflens.showHotspots', async () => {
      await vscode.commands.executeCommand('perflens.hotspots.focus');
    }),
    register('perflens.clearDecorations', () => state.clear()),
    register('perflens.openLog', () => log.show()),
    register('perflens.scanWorkspace', () => detectors.scanWorkspace()),
    register('perflens.runBenchmarks', () => bench.runBenchmarks()),
    register('perflens.showBenchmarkHistory', () => bench.showHistory()),
    register('perflens.showFunctionDetails', (id?: string) => showFunctionDetails(state, id)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('perflens.display')) return;
      displaySettings = readDisplay();
      decorations.refresh();
      codeLens.refresh();
    }),
  );
  log.info('PerfLens is active.');
  return {
    state,
    commands,
    hotspots,
    detectors,
    bench,
    history,
    benchStatus,
    decorationsFor: (uri) => decorations.snapshot(uri),
    refreshDecorations: () => decorations.refresh(),
  };
}

async function showFunctionDetails(state: ProfileState, id: string | undefined): Promise<void> {
  const fn = state.report?.functions.find((f) => f.id === id);
  if (!fn) return;
  type Item = vscode.QuickPickItem & { edge?: CallEdge };
  const edgeItem = (edge: CallEdge): Item => ({
    label: edge.name || '(anonymous)',
    description: `${shortPath(edge.file)}:${edge.line}`,
    detail: `${formatMs(edge.us / 1000)}`,
    edge,
  });
  const items: Item[] = [
    { label: 'Callers', kind: vscode.QuickPickItemKind.Separator },
    ...fn.callers.slice(0, 30).map(edgeItem),
    { label: 'Callees', kind: vscode.QuickPickItemKind.Separator },
    ...fn.callees.slice(0, 30).map(edgeItem),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: `${fn.name || '(anonymous)'} — self ${formatPercent(fn.selfPercent)}, total ${formatPercent(fn.totalPercent)}`,
    placeHolder: 'Go to a caller or callee',
  });
  if (picked?.edge && (picked.edge.file.startsWith('/') || /^[A-Za-z]:/.test(picked.edge.file))) {
    const position = new vscode.Position(Math.max(0, picked.edge.line - 1), 0);
    await vscode.window.showTextDocument(vscode.Uri.file(picked.edge.file), { selection: new vscode.Range(position, position) });
  }
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions.
}
