/**
 * The one logging seam of src/core. The extension backs it with its LogOutputChannel, the CLI with
 * stderr (only under --verbose), tests with an array. Core code never writes to the console.
 */
export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string | Error): void;
}

export const silentLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** A logger that keeps every line, for tests and for CLI --verbose. */
export class MemoryLogger implements Logger {
  readonly lines: { level: string; message: string }[] = [];
  trace(message: string): void { this.lines.push({ level: 'trace', message }); }
  debug(message: string): void { this.lines.push({ level: 'debug', message }); }
  info(message: string): void { this.lines.push({ level: 'info', message }); }
  warn(message: string): void { this.lines.push({ level: 'warn', message }); }
  error(message: string | Error): void {
    this.lines.push({ level: 'error', message: message instanceof Error ? (message.stack ?? message.message) : message });
  }
  text(level?: string): string {
    return this.lines.filter((l) => level === undefined || l.level === level).map((l) => l.message).join('\n');
  }
}

/** An error whose message is meant for the user as it is (names the file and the problem). */
export class UserFacingError extends Error {
  constructor(message: string, readonly file?: string) {
    super(message);
    this.name = 'UserFacingError';
  }
}
