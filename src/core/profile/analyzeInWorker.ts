import { Worker } from 'node:worker_threads';
import { UserFacingError } from '../log';
import type { AnalyzeOptions, ProfileSource } from './analyze';
import type { ProfileReport } from './report';

export interface WorkerRequest {
  sources: ProfileSource[];
  workspaceRoot?: string;
  wallMs?: number | null;
  correctInlining?: boolean;
}

export type WorkerMessage =
  | { type: 'log'; level: 'trace' | 'debug' | 'info' | 'warn' | 'error'; message: string }
  | { type: 'done'; report: ProfileReport }
  | { type: 'error'; message: string; stack?: string; userFacing: boolean; file?: string };

/**
 * `analyzeProfiles` on a worker thread (dist/analysis-worker.js). Same answers, same errors
 * (a UserFacingError stays one); cancelling terminates the worker.
 */
export function analyzeProfilesInWorker(workerPath: string, sources: ProfileSource[], options: AnalyzeOptions): Promise<ProfileReport> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new UserFacingError('analysis cancelled'));
      return;
    }
    const request: WorkerRequest = { sources, workspaceRoot: options.workspaceRoot, wallMs: options.wallMs, correctInlining: options.correctInlining };
    const worker = new Worker(workerPath, { workerData: request });
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = (): void => finish(() => reject(new UserFacingError('analysis cancelled')));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'log':
          options.log[message.level](message.message);
          break;
        case 'done':
          finish(() => resolve(message.report));
          break;
        case 'error': {
          const error = message.userFacing ? new UserFacingError(message.message, message.file) : new Error(message.message);
          if (message.stack) error.stack = message.stack;
          finish(() => reject(error));
          break;
        }
      }
    });
    worker.on('error', (error) => finish(() => reject(error)));
    worker.on('exit', (code) => finish(() => reject(new Error(`the analysis worker stopped (exit code ${code}) before it answered`))));
  });
}
