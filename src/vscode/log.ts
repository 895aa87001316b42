import * as vscode from 'vscode';
import type { Logger } from '../core/log';

/** The extension's one LogOutputChannel, seen by src/core as a Logger. */
export class ExtensionLog implements Logger, vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;

  constructor() {
    this.channel = vscode.window.createOutputChannel('PerfLens', { log: true });
  }

  trace(message: string): void { this.channel.trace(message); }
  debug(message: string): void { this.channel.debug(message); }
  info(message: string): void { this.channel.info(message); }
  warn(message: string): void { this.channel.warn(message); }
  error(message: string | Error): void {
    if (message instanceof Error) this.channel.error(message.stack ?? message.message);
    else this.channel.error(message);
  }

  show(): void { this.channel.show(true); }

  /**
   * Logs the error with its stack and shows a short notification with "Open Log". Does not wait
   * for the notification: a command that failed returns at once.
   */
  reportError(summary: string, error?: unknown): void {
    if (error instanceof Error) this.channel.error(`${summary}\n${error.stack ?? error.message}`);
    else if (error !== undefined) this.channel.error(`${summary}: ${String(error)}`);
    else this.channel.error(summary);
    const detail = error instanceof Error ? error.message : error === undefined ? '' : String(error);
    const text = detail && !summary.includes(detail) ? `${summary}: ${detail}` : summary;
    void vscode.window.showErrorMessage(text, 'Open Log').then((choice) => {
      if (choice === 'Open Log') this.show();
    });
  }

  dispose(): void { this.channel.dispose(); }
}
