import * as vscode from 'vscode';
import { formatBytes, formatMs, formatPercent, shortPath } from '../core/format';
import type { AllocationSite, FunctionHotspot, LineHotspot } from '../core/profile/report';
import type { FileHeat } from '../core/reportIndex';
import type { ProfileState } from './profileState';

export type HotspotNode =
  | { kind: 'summary'; label: string; description: string }
  | { kind: 'group'; id: string; label: string; description: string; children: HotspotNode[] }
  | { kind: 'file'; heat: FileHeat }
  | { kind: 'function'; fn: FunctionHotspot; lines: LineHotspot[] }
  | { kind: 'line'; line: LineHotspot }
  | { kind: 'allocation'; site: AllocationSite };

const MAX_FILES = 200;
const MAX_LINES_PER_FILE = 100;

/**
 * The Hotspots tree: the run's summary, then files by self time (functions, then their hot
 * lines), dependencies and runtime code in their own groups, and heap allocation sites.
 */
export class HotspotsProvider implements vscode.TreeDataProvider<HotspotNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<HotspotNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly state: ProfileState) {
    this.subscription = state.onDidChange((file) => { if (file === undefined) this.changed.fire(undefined); });
  }

  getChildren(node?: HotspotNode): HotspotNode[] {
    if (!node) return this.roots();
    switch (node.kind) {
      case 'group': return node.children;
      case 'file': return this.fileChildren(node.heat);
      case 'function': return node.lines.map((line) => ({ kind: 'line', line }));
      case 'summary':
      case 'line':
      case 'allocation':
        return [];
    }
  }

  getTreeItem(node: HotspotNode): vscode.TreeItem {
    switch (node.kind) {
      case 'summary': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.description = node.description;
        item.iconPath = new vscode.ThemeIcon('pulse');
        return item;
      }
      case 'group': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `group:${node.id}`;
        item.description = node.description;
        return item;
      }
      case 'file': {
        const isPath = isFilePath(node.heat.file);
        const item = new vscode.TreeItem(shortPath(node.heat.file), vscode.TreeItemCollapsibleState.Expanded);
        item.id = `file:${node.heat.file}`;
        if (isPath) item.resourceUri = vscode.Uri.file(node.heat.file);
        item.description = `${formatPercent(node.heat.selfPercent)} · ${formatMs(node.heat.selfUs / 1000)}`;
        item.tooltip = node.heat.file;
        if (isPath) item.iconPath = vscode.ThemeIcon.File;
        return item;
      }
      case 'function': {
        const fn = node.fn;
        const item = new vscode.TreeItem(fn.name || '(anonymous)', node.lines.length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = `fn:${fn.id}`;
        item.description = `self ${formatPercent(fn.selfPercent)} · total ${formatPercent(fn.totalPercent)}`;
        item.tooltip = `${fn.name || '(anonymous)'} — ${shortPath(fn.file, 3)}:${fn.line}\nself ${formatMs(fn.selfMs)} (${formatPercent(fn.selfPercent)}), total ${formatMs(fn.totalMs)} (${formatPercent(fn.totalPercent)})${fn.allocBytes ? `\nallocated ${formatBytes(fn.allocBytes)}` : ''}`;
        item.iconPath = new vscode.ThemeIcon('symbol-function');
        item.command = openCommand(fn.file, fn.line);
        return item;
      }
      case 'line': {
        const line = node.line;
        const item = new vscode.TreeItem(`line ${line.line}`, vscode.TreeItemCollapsibleState.None);
        item.id = `line:${line.file}:${line.line}`;
        item.description = `${formatPercent(line.selfPercent)} · ${formatMs(line.selfMs)}${line.text ? `  ${line.text.slice(0, 60)}` : ''}`;
        item.tooltip = `${shortPath(line.file, 3)}:${line.line}\n${line.text ?? ''}\nself ${formatMs(line.selfMs)}, ${line.samples} samples`;
        item.iconPath = new vscode.ThemeIcon('flame');
        item.command = openCommand(line.file, line.line);
        return item;
      }
      case 'allocation': {
        const site = node.site;
        const item = new vscode.TreeItem(`${site.functionName || '(anonymous)'}  ${shortPath(site.file)}:${site.line}`, vscode.TreeItemCollapsibleState.None);
        item.description = `${formatBytes(site.bytes)} · ${formatPercent(site.percent)}`;
        item.tooltip = `${site.file}:${site.line}`;
        item.iconPath = new vscode.ThemeIcon('database');
        item.command = openCommand(site.file, site.line);
        return item;
      }
    }
  }

  getParent(): undefined { return undefined; }

  private roots(): HotspotNode[] {
    const index = this.state.reportIndex;
    if (!index) return [];
    const report = index.report;
    const roots: HotspotNode[] = [];
    const parts = [
      report.wallMs !== null ? `wall ${formatMs(report.wallMs)}` : undefined,
      `CPU ${formatMs(report.cpuMs)}`,
      report.peakRssBytes !== null ? `peak ${formatBytes(report.peakRssBytes)}` : undefined,
      report.processes.length > 1 ? `${report.processes.length} processes` : undefined,
    ].filter((p): p is string => p !== undefined);
    roots.push({ kind: 'summary', label: this.state.source || 'Profile', description: parts.join(' · ') });
    const files = index.filesByHeat().filter((f) => f.selfUs > 0 || f.allocations.length > 0);
    const kindOf = (f: FileHeat): string => f.functions[0]?.kind ?? [...f.lines.values()][0]?.kind ?? 'user';
    const user = files.filter((f) => kindOf(f) === 'user').slice(0, MAX_FILES);
    roots.push(...user.map((heat): HotspotNode => ({ kind: 'file', heat })));
    const group = (id: string, label: string, list: FileHeat[]): void => {
      if (list.length === 0) return;
      const share = list.reduce((sum, f) => sum + f.selfPercent, 0);
      roots.push({ kind: 'group', id, label, description: formatPercent(share), children: list.slice(0, MAX_FILES).map((heat) => ({ kind: 'file', heat })) });
    };
    group('dependencies', 'Dependencies (node_modules)', files.filter((f) => kindOf(f) === 'dependency'));
    group('runtime', 'Node.js internals', files.filter((f) => kindOf(f) === 'node'));
    const system = report.functions.filter((f) => f.kind === 'system' && f.selfUs > 0);
    if (system.length > 0) {
      roots.push({
        kind: 'group', id: 'system', label: 'Runtime (GC, idle, program)',
        description: formatPercent(system.reduce((s, f) => s + f.selfPercent, 0)),
        children: system.map((fn): HotspotNode => ({ kind: 'summary', label: fn.name, description: `${formatPercent(fn.selfPercent)} · ${formatMs(fn.selfMs)}` })),
      });
    }
    if (report.allocations.length > 0) {
      roots.push({
        kind: 'group', id: 'allocations', label: 'Heap allocations', description: formatBytes(report.totalAllocBytes),
        children: report.allocations.filter((a) => a.kind !== 'system').slice(0, 100).map((site): HotspotNode => ({ kind: 'allocation', site })),
      });
    }
    return roots;
  }

  private fileChildren(heat: FileHeat): HotspotNode[] {
    const lines = [...heat.lines.values()].filter((l) => l.selfUs > 0).sort((a, b) => b.selfUs - a.selfUs).slice(0, MAX_LINES_PER_FILE);
    const functions = [...heat.functions].filter((f) => f.totalUs > 0).sort((a, b) => b.selfUs - a.selfUs);
    // Each line goes under the innermost function that contains it; the rest stand on their own.
    const owned = new Map<FunctionHotspot, LineHotspot[]>(functions.map((fn) => [fn, []]));
    const loose: LineHotspot[] = [];
    for (const line of lines) {
      let owner: FunctionHotspot | undefined;
      for (const fn of functions) {
        if (fn.endLine === undefined || line.line < fn.line || line.line > fn.endLine) continue;
        if (!owner || fn.endLine - fn.line < (owner.endLine ?? 0) - owner.line) owner = fn;
      }
      if (owner) owned.get(owner)!.push(line);
      else loose.push(line);
    }
    const nodes: HotspotNode[] = functions.map((fn) => ({ kind: 'function', fn, lines: owned.get(fn)! }));
    for (const line of loose) nodes.push({ kind: 'line', line });
    return nodes;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

function isFilePath(file: string): boolean {
  return file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file);
}

function openCommand(file: string, line: number): vscode.Command | undefined {
  if (!isFilePath(file)) return undefined;
  const position = new vscode.Position(Math.max(0, line - 1), 0);
  return {
    title: 'Go to source',
    command: 'vscode.open',
    arguments: [vscode.Uri.file(file), { selection: new vscode.Range(position, position), preview: true }],
  };
}
