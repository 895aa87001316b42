import * as vscode from 'vscode';

/** The status bar item after a benchmark run: "2 regressions" / "benchmarks ok"; opens the history. */
export class BenchStatus implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem('perflens.benchStatus', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'PerfLens benchmarks';
    this.item.command = 'perflens.showBenchmarkHistory';
  }

  /** The text without its icon, for tests. */
  get text(): string | undefined {
    return this.item.text ? this.item.text.replace(/^\$\([\w-]+\)\s*/, '') : undefined;
  }

  show(summary: string, failing: string[]): void {
    const bad = failing.length > 0;
    this.item.text = `${bad ? '$(warning)' : '$(pass)'} ${summary}`;
    this.item.tooltip = bad ? `Latest benchmark run:\n${failing.join('\n')}\n\nClick to open the benchmark history.` : 'Latest benchmark run: no regression. Click to open the benchmark history.';
    this.item.backgroundColor = bad ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
