import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import type { FunctionHotspot, LineHotspot, ProfileReport } from '../core/profile/report';
import { fileKey, lineFingerprint, ReportIndex, shiftThroughEdit, staleLines, type FileHeat } from '../core/reportIndex';

/** A profiled function placed in a document as it is now. */
export interface LiveFunction {
  fn: FunctionHotspot;
  line: number;
}

/** One file's profile data, kept in step with the document while the user edits it. */
export interface LiveFile {
  heat: FileHeat;
  lines: Map<number, LineHotspot>;
  functions: Map<number, LiveFunction[]>;
  /** Set once the stored line texts were compared with an open document. */
  verified: boolean;
  dropped: number;
}

/**
 * The profile the editor shows. One at a time: a new run or an opened profile replaces it.
 * Everything that draws (decorations, hovers, CodeLens, the Hotspots view) reads from here and
 * listens to `onDidChange`.
 */
export class ProfileState implements vscode.Disposable {
  private index: ReportIndex | undefined;
  private live = new Map<string, LiveFile>();
  private origin = '';
  private readonly changed = new vscode.EventEmitter<string | undefined>();
  /** Fires with a file path when only that file changed, or undefined when everything did. */
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly log: Logger) {
    this.subscriptions.push(vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)));
  }

  get report(): ProfileReport | undefined { return this.index?.report; }
  get reportIndex(): ReportIndex | undefined { return this.index; }
  /** What the current profile came from ("main.ts", "render-report.cpuprofile"). */
  get source(): string { return this.origin; }

  setReport(report: ProfileReport, origin: string): void {
    this.index = new ReportIndex(report);
    this.origin = origin;
    this.live.clear();
    for (const heat of this.index.files.values()) {
      const functions = new Map<number, LiveFunction[]>();
      for (const fn of heat.functions) pushTo(functions, fn.line, { fn, line: fn.line });
      this.live.set(fileKey(heat.file), { heat, lines: new Map(heat.lines), functions, verified: false, dropped: 0 });
    }
    void vscode.commands.executeCommand('setContext', 'perflens.hasProfile', true);
    this.changed.fire(undefined);
  }

  clear(): void {
    this.index = undefined;
    this.live.clear();
    this.origin = '';
    void vscode.commands.executeCommand('setContext', 'perflens.hasProfile', false);
    this.changed.fire(undefined);
  }

  /**
   * The live data for a document. The first time a document is seen, lines whose text differs
   * from what was profiled are dropped (the file changed since), and the log says so.
   */
  forDocument(document: vscode.TextDocument): LiveFile | undefined {
    if (document.uri.scheme !== 'file') return undefined;
    const live = this.live.get(fileKey(document.uri.fsPath));
    if (!live) return undefined;
    if (!live.verified) {
      live.verified = true;
      const stale = staleLines({ ...live.heat, lines: live.lines }, (line) => (line <= document.lineCount ? document.lineAt(line - 1).text : undefined));
      for (const line of stale) live.lines.delete(line);
      live.dropped += stale.length;
      if (stale.length > 0) {
        this.log.warn(`${document.uri.fsPath} changed since it was profiled: ${stale.length} of ${stale.length + live.lines.size} profiled lines no longer match and are not shown.`);
      }
    }
    return live;
  }

  private onEdit(event: vscode.TextDocumentChangeEvent): void {
    if (event.contentChanges.length === 0 || event.document.uri.scheme !== 'file') return;
    const live = this.live.get(fileKey(event.document.uri.fsPath));
    if (!live) return;
    const document = event.document;
    const matches = (line: number, value: LineHotspot): boolean =>
      value.text !== undefined && line >= 1 && line <= document.lineCount && lineFingerprint(document.lineAt(line - 1).text) === value.text;
    const single = event.contentChanges.length === 1;
    // Bottom-up, so each change's line numbers are still those of the text before it.
    const changes = [...event.contentChanges].sort((a, b) => b.range.start.line - a.range.start.line);
    for (const change of changes) {
      const edit = {
        startLine: change.range.start.line + 1,
        endLine: change.range.end.line + 1,
        newLineCount: change.text.split('\n').length,
      };
      live.lines = shiftThroughEdit(live.lines, edit, (line, value) => (single ? matches(line, value) : true));
      const fnLines = new Map<number, LiveFunction[]>();
      for (const [line, fns] of live.functions) fnLines.set(line, fns);
      const shifted = shiftThroughEdit(fnLines, edit, () => true);
      live.functions = new Map([...shifted].map(([line, fns]) => [line, fns.map((f) => ({ ...f, line }))]));
    }
    if (!single) {
      for (const [line, value] of live.lines) if (!matches(line, value)) live.lines.delete(line);
    }
    this.changed.fire(live.heat.file);
  }

  dispose(): void {
    this.changed.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
