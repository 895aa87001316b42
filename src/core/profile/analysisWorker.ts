/**
 * Entry of dist/analysis-worker.js: runs `analyzeProfiles` on a worker thread, so that reading and
 * parsing a large profile (JSON.parse of 100 MB blocks for about a second) never stalls the
 * extension host. Log lines and the result go back by message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UserFacingError, type Logger } from '../log';
import { analyzeProfiles, type AnalyzeOptions, type ProfileSource } from './analyze';
import type { WorkerMessage, WorkerRequest } from './analyzeInWorker';

const port = parentPort;
if (port) {
  const post = (message: WorkerMessage): void => port.postMessage(message);
  const logLine = (level: 'trace' | 'debug' | 'info' | 'warn' | 'error') => (message: string | Error) =>
    post({ type: 'log', level, message: message instanceof Error ? (message.stack ?? message.message) : message });
  const log: Logger = { trace: logLine('trace'), debug: logLine('debug'), info: logLine('info'), warn: logLine('warn'), error: logLine('error') };
  const request = workerData as WorkerRequest;
  const options: AnalyzeOptions = { log, workspaceRoot: request.workspaceRoot, wallMs: request.wallMs, correctInlining: request.correctInlining };
  analyzeProfiles(request.sources as ProfileSource[], options).then(
    (report) => post({ type: 'done', report }),
    (error: unknown) => post({
      type: 'error',
      message: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
      userFacing: error instanceof UserFacingError,
      file: error instanceof UserFacingError ? error.file : undefined,
    }),
  );
}
