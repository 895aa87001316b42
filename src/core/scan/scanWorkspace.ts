import { Worker } from 'node:worker_threads';
import type { FileResult } from '../detect/types';
import type { ScanMessage, ScanRequest } from './protocol';

export interface ScanSummary {
  files: number;
  excluded: number;
  /** Files parsed, and files settled by their text alone (no API the rules know, nothing imported that has one). */
  parsed: number;
  textOnly: number;
}

/**
 * Runs dist/scan-worker.js on a workspace folder. Results arrive through `onResults` as files are
 * done; aborting terminates the worker at once.
 */
export function scanWorkspaceInWorker(
  workerPath: string,
  request: ScanRequest,
  handlers: { onResults(results: FileResult[]): void; onProgress?(done: number, total: number): void; signal?: AbortSignal },
): Promise<ScanSummary> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerPath, { workerData: request });
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      handlers.signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = (): void => finish(() => reject(new Error('scan cancelled')));
    if (handlers.signal?.aborted) { onAbort(); return; }
    handlers.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: ScanMessage) => {
      if (settled) return;
      switch (message.type) {
        case 'progress': handlers.onProgress?.(message.done, message.total); break;
        case 'results': handlers.onResults(message.results); break;
        case 'done': finish(() => resolve({ files: message.files, excluded: message.excluded, parsed: message.parsed, textOnly: message.textOnly })); break;
        case 'error': {
          const error = new Error(message.message);
          if (message.stack) error.stack = message.stack;
          finish(() => reject(error));
          break;
        }
      }
    });
    worker.on('error', (error) => finish(() => reject(error)));
    worker.on('exit', (code) => finish(() => reject(new Error(`the scan worker stopped (exit code ${code}) before it finished`))));
  });
}
