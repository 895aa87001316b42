import * as vscode from 'vscode';
import { inlineLabel } from '../core/format';
import { heatLevel, HEAT_LEVELS } from '../core/reportIndex';
import type { ProfileState } from './profileState';

/** What was last drawn in an editor; tests read it through the extension API. */
export interface DecorationSnapshot {
  /** `levels[n]` holds the 1-based lines drawn at heat level n+1. */
  levels: number[][];
  inline: { line: number; text: string }[];
}

/**
 * Line heat in the gutter, the overview ruler and a faint background, plus inline figures on the
 * hottest lines. The decoration types are created once; only visible editors are updated, and
 * updates are debounced while the user types.
 */
export class HeatDecorations implements vscode.Disposable {
  private readonly levelTypes: vscode.TextEditorDecorationType[] = [];
  private readonly inlineType: vscode.TextEditorDecorationType;
  private readonly snapshots = new Map<string, DecorationSnapshot>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pending = new Set<string | undefined>();

  constructor(
    extensionUri: vscode.Uri,
    private readonly state: ProfileState,
    private readonly thresholds: () => { heat: number; inline: number },
  ) {
    for (let level = 1; level <= HEAT_LEVELS; level++) {
      this.levelTypes.push(vscode.window.createTextEditorDecorationType({
        isWholeLine: true,
        backgroundColor: new vscode.ThemeColor(`perflens.heat${level}Background`),
        overviewRulerColor: new vscode.ThemeColor(`perflens.heat${level}Ruler`),
        overviewRulerLane: vscode.OverviewRulerLane.Right,
        gutterIconPath: vscode.Uri.joinPath(extensionUri, 'media', `heat-${level}.svg`),
        gutterIconSize: 'contain',
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }));
    }
    this.inlineType = vscode.window.createTextEditorDecorationType({
      after: { color: new vscode.ThemeColor('perflens.inlineForeground'), margin: '0 0 0 2.5em', fontStyle: 'normal' },
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    this.subscriptions.push(
      state.onDidChange((file) => this.schedule(file)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.schedule(undefined)),
    );
  }

  /** Redraws now (tests and commands call this; events go through `schedule`). */
  refresh(): void {
    this.pending.clear();
    for (const editor of vscode.window.visibleTextEditors) this.draw(editor);
  }

  snapshot(uri: vscode.Uri): DecorationSnapshot | undefined {
    return this.snapshots.get(uri.toString());
  }

  private schedule(file: string | undefined): void {
    this.pending.add(file);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const files = this.pending;
      this.pending = new Set();
      for (const editor of vscode.window.visibleTextEditors) {
        if (files.has(undefined) || files.has(editor.document.uri.fsPath)) this.draw(editor);
      }
    }, 60);
  }

  private draw(editor: vscode.TextEditor): void {
    const live = this.state.forDocument(editor.document);
    const index = this.state.reportIndex;
    const byLevel: vscode.Range[][] = this.levelTypes.map(() => []);
    const inline: vscode.DecorationOptions[] = [];
    const snapshot: DecorationSnapshot = { levels: this.levelTypes.map(() => []), inline: [] };
    if (live && index) {
      const { heat: heatThreshold, inline: inlineThreshold } = this.thresholds();
      for (const [line, hotspot] of live.lines) {
        if (line < 1 || line > editor.document.lineCount) continue;
        const level = heatLevel(hotspot.selfPercent, index.maxLineSelfPercent, heatThreshold);
        if (level === 0) continue;
        const range = editor.document.lineAt(line - 1).range;
        byLevel[level - 1]!.push(range);
        snapshot.levels[level - 1]!.push(line);
        if (hotspot.selfPercent >= inlineThreshold) {
          const text = inlineLabel(hotspot.selfPercent, hotspot.selfMs);
          inline.push({ range: new vscode.Range(range.end, range.end), renderOptions: { after: { contentText: text } } });
          snapshot.inline.push({ line, text });
        }
      }
    }
    this.levelTypes.forEach((type, i) => editor.setDecorations(type, byLevel[i]!));
    editor.setDecorations(this.inlineType, inline);
    this.snapshots.set(editor.document.uri.toString(), snapshot);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const type of this.levelTypes) type.dispose();
    this.inlineType.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
