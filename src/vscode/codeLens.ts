import * as vscode from 'vscode';
import { formatMs, formatPercent } from '../core/format';
import type { ProfileState } from './profileState';

/** A lens over every profiled function: self and total time. */
export class HeatCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly state: ProfileState, private readonly enabled: () => boolean) {
    this.subscription = state.onDidChange(() => this.changed.fire());
  }

  refresh(): void { this.changed.fire(); }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.enabled()) return [];
    const live = this.state.forDocument(document);
    if (!live) return [];
    const lenses: vscode.CodeLens[] = [];
    for (const [line, fns] of live.functions) {
      if (line < 1 || line > document.lineCount) continue;
      for (const { fn } of fns) {
        if (fn.totalUs <= 0) continue;
        const range = document.lineAt(line - 1).range;
        lenses.push(new vscode.CodeLens(range, {
          title: `$(flame) self ${formatPercent(fn.selfPercent)} · ${formatMs(fn.selfMs)}  |  total ${formatPercent(fn.totalPercent)} · ${formatMs(fn.totalMs)}`,
          tooltip: 'PerfLens: callers and callees of this function',
          command: 'perflens.showFunctionDetails',
          arguments: [fn.id],
        }));
      }
    }
    return lenses;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
