import * as vscode from 'vscode';
import { formatBytes, formatMs, formatPercent, shortPath } from '../core/format';
import type { FunctionHotspot, LineHotspot } from '../core/profile/report';
import type { ProfileState } from './profileState';

/** Self and total time, samples, top callers and allocations of the line under the pointer. */
export class HeatHoverProvider implements vscode.HoverProvider {
  constructor(private readonly state: ProfileState) {}

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const live = this.state.forDocument(document);
    const index = this.state.reportIndex;
    if (!live || !index) return undefined;
    const line = position.line + 1;
    const hotspot = live.lines.get(line);
    const starting = live.functions.get(line)?.[0]?.fn;
    if (!hotspot && !starting) return undefined;
    // Function extents are those of the report, so look up by the line as profiled, not as moved by edits.
    const fn = starting ?? (hotspot ? index.functionAt(live.heat.file, hotspot.line) : undefined);
    return new vscode.Hover(hoverMarkdown(hotspot, fn), document.lineAt(position.line).range);
  }
}

export function hoverMarkdown(hotspot: LineHotspot | undefined, fn: FunctionHotspot | undefined): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = false;
  md.supportHtml = false;
  md.appendMarkdown('**PerfLens**');
  if (hotspot) {
    md.appendMarkdown(`\n\n$(flame) Line self time: **${formatPercent(hotspot.selfPercent)}** of samples · ${formatMs(hotspot.selfMs)} · ${hotspot.samples} sample${hotspot.samples === 1 ? '' : 's'}`);
    if (hotspot.allocBytes) md.appendMarkdown(`\n\nAllocated on this line: ${formatBytes(hotspot.allocBytes)}`);
  }
  if (fn) {
    md.appendMarkdown('\n\nFunction ');
    md.appendText(fn.name || '(anonymous)');
    md.appendMarkdown(`: self **${formatPercent(fn.selfPercent)}** · ${formatMs(fn.selfMs)}, total **${formatPercent(fn.totalPercent)}** · ${formatMs(fn.totalMs)}`);
    if (fn.allocBytes > 0) md.appendMarkdown(`, allocated ${formatBytes(fn.allocBytes)}`);
    const callers = fn.callers.slice(0, 3);
    if (callers.length > 0) {
      md.appendMarkdown('\n\nTop callers:');
      for (const caller of callers) {
        md.appendMarkdown('\n- ');
        md.appendText(`${caller.name || '(anonymous)'} (${shortPath(caller.file)}:${caller.line}) ${formatMs(caller.us / 1000)}`);
      }
    }
  }
  const generated = hotspot?.generated ?? fn?.generated;
  if (generated) {
    md.appendMarkdown('\n\n');
    md.appendText(`Mapped from ${shortPath(generated.file, 3)}:${generated.line}`);
  }
  return md;
}
