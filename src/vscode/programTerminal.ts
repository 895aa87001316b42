import * as vscode from 'vscode';

/**
 * A terminal that shows the profiled program's output live. One is kept and reused across runs;
 * closing it while a program runs cancels the run.
 */
export class ProgramTerminal implements vscode.Disposable {
  private terminal: vscode.Terminal | undefined;
  private readonly writer = new vscode.EventEmitter<string>();
  private opened: Promise<void> = Promise.resolve();
  private onClose: (() => void) | undefined;
  private readonly subscription: vscode.Disposable;

  constructor() {
    this.subscription = vscode.window.onDidCloseTerminal((t) => {
      if (t !== this.terminal) return;
      this.terminal = undefined;
      this.onClose?.();
    });
  }

  /** Shows the terminal (without taking focus) for a new run; `onClose` runs if the user closes it. */
  async start(title: string, onClose: () => void): Promise<void> {
    this.onClose = onClose;
    if (!this.terminal) {
      let markOpen: () => void = () => {};
      this.opened = new Promise((resolve) => (markOpen = resolve));
      const pty: vscode.Pseudoterminal = {
        onDidWrite: this.writer.event,
        open: () => markOpen(),
        close: () => {},
      };
      this.terminal = vscode.window.createTerminal({ name: 'PerfLens', pty, iconPath: new vscode.ThemeIcon('flame') });
    }
    this.terminal.show(true);
    // Output written before the terminal opened would be lost; wait briefly for it.
    await Promise.race([this.opened, new Promise((r) => setTimeout(r, 2000))]);
    this.write(`\x1b[1m▶ ${title}\x1b[0m\n`);
  }

  write(text: string): void {
    this.writer.fire(text.replace(/\r?\n/g, '\r\n'));
  }

  finish(line: string): void {
    this.write(`\x1b[2m${line}\x1b[0m\n\n`);
    this.onClose = undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    this.terminal?.dispose();
    this.writer.dispose();
  }
}
