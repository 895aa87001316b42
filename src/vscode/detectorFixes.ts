import * as vscode from 'vscode';
import type { FindingFix } from '../core/detect/types';
import { suppressionEdit } from './detectorDiagnostics';

const FS_PROMISE_METHODS = 'readFile|writeFile|appendFile|readdir|stat|lstat|mkdir|rm|rmdir|unlink|rename|copyFile|access|readlink|realpath|truncate|chmod|utimes';

/**
 * Quick fixes for PerfLens diagnostics, keyed on the diagnostic's code:
 * - everywhere: a suppression comment the engine honours;
 * - `blocking-call` in an async JavaScript context: `fs.readFileSync(…)` → `await fs.promises.readFile(…)`
 *   (and the other fs functions that have a promise form);
 * - `blocking-call` in an `async def`: `time.sleep(…)` → `await asyncio.sleep(…)`, any other call →
 *   `await asyncio.to_thread(callee, …args)`, importing asyncio when the file lacks it;
 * - `n-plus-one` on a lazy relation: the engine's edit that loads it with the loop's query
 *   (`select_related`, `prefetch_related`, `selectinload`).
 * An edit is offered only when the text under the diagnostic has the expected shape.
 */
export class DetectorFixProvider implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  /** `engineFix`: the edit the engine attached to a finding (eager loading of a relation). */
  constructor(private readonly engineFix: (uri: vscode.Uri, diagnostic: vscode.Diagnostic) => FindingFix | undefined) {}

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      if (diagnostic.source !== 'PerfLens') continue;
      const rule = typeof diagnostic.code === 'object' ? String(diagnostic.code.value) : String(diagnostic.code ?? '');
      const fix = rule === 'blocking-call' ? this.blockingFix(document, diagnostic) : this.engineAction(document, diagnostic);
      if (fix) actions.push(fix);
      const suppress = new vscode.CodeAction(`Suppress ${rule} on this line`, vscode.CodeActionKind.QuickFix);
      suppress.diagnostics = [diagnostic];
      suppress.edit = new vscode.WorkspaceEdit();
      suppress.edit.set(document.uri, [suppressionEdit(document, diagnostic.range.start.line, rule)]);
      actions.push(suppress);
    }
    return actions;
  }

  private engineAction(document: vscode.TextDocument, diagnostic: vscode.Diagnostic): vscode.CodeAction | undefined {
    const fix = this.engineFix(document.uri, diagnostic);
    if (!fix) return undefined;
    const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
    action.diagnostics = [diagnostic];
    action.isPreferred = true;
    action.edit = new vscode.WorkspaceEdit();
    for (const e of fix.edits) {
      action.edit.replace(document.uri, new vscode.Range(e.line - 1, e.column - 1, e.endLine - 1, e.endColumn - 1), e.text);
    }
    return action;
  }

  private blockingFix(document: vscode.TextDocument, diagnostic: vscode.Diagnostic): vscode.CodeAction | undefined {
    // An `await` is valid only inside an async function: the engine names the context, and the
    // context's own line (a related location) shows whether it is declared async.
    if (!contextIsAsync(document, diagnostic)) return undefined;
    const text = document.getText(diagnostic.range);
    if (document.languageId === 'python') return this.pythonFix(document, diagnostic, text);
    const m = new RegExp(`^([A-Za-z_$][\\w$]*)\\.(${FS_PROMISE_METHODS})Sync\\(`).exec(text);
    if (!m) return undefined;
    const [whole, moduleName, method] = m;
    const action = new vscode.CodeAction(`Use await ${moduleName}.promises.${method}(…)`, vscode.CodeActionKind.QuickFix);
    action.diagnostics = [diagnostic];
    action.isPreferred = true;
    action.edit = new vscode.WorkspaceEdit();
    const start = diagnostic.range.start;
    action.edit.replace(document.uri, new vscode.Range(start, start.translate(0, whole!.length)), `await ${moduleName}.promises.${method}(`);
    return action;
  }

  private pythonFix(document: vscode.TextDocument, diagnostic: vscode.Diagnostic, text: string): vscode.CodeAction | undefined {
    const call = /^([A-Za-z_][\w.]*)\(([\s\S]*)\)$/.exec(text.trim());
    if (!call) return undefined;
    const [, callee, args] = call;
    const edit = new vscode.WorkspaceEdit();
    let title: string;
    if (callee === 'time.sleep') {
      title = 'Use await asyncio.sleep(…)';
      edit.replace(document.uri, diagnostic.range, `await asyncio.sleep(${args})`);
    } else {
      title = `Run ${callee} in a thread: await asyncio.to_thread(…)`;
      edit.replace(document.uri, diagnostic.range, `await asyncio.to_thread(${callee}${args!.trim() ? `, ${args}` : ''})`);
    }
    if (!/^\s*(import asyncio\b|from asyncio import\b)/m.test(document.getText())) {
      edit.insert(document.uri, new vscode.Position(firstImportLine(document), 0), 'import asyncio\n');
    }
    const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
    action.diagnostics = [diagnostic];
    action.isPreferred = callee === 'time.sleep';
    action.edit = edit;
    return action;
  }
}

function contextIsAsync(document: vscode.TextDocument, diagnostic: vscode.Diagnostic): boolean {
  if (/\basync\b/.test(diagnostic.message)) return true;
  return (diagnostic.relatedInformation ?? []).some((r) =>
    r.location.uri.toString() === document.uri.toString()
    && r.location.range.start.line < document.lineCount
    && r.location.range.start.line <= diagnostic.range.start.line
    && /\basync\b/.test(document.lineAt(r.location.range.start.line).text));
}

/** Where `import asyncio` goes: before the first import, after a module docstring or shebang. */
function firstImportLine(document: vscode.TextDocument): number {
  for (let i = 0; i < document.lineCount; i++) {
    if (/^(import|from)\s/.test(document.lineAt(i).text)) return i;
  }
  return 0;
}
