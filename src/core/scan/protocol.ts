import type { DetectorOptions, FileResult } from '../detect/types';

export interface ScanRequest {
  /** Workspace folder: files below it are scanned, `.gitignore` files honoured. */
  root: string;
  /** Globs relative to root to leave out (files.exclude and perflens.detectors.ignore). */
  exclude: string[];
  /** Files whose results the caller does not want (open documents, analysed live). */
  skipFiles: string[];
  options: DetectorOptions;
  /** Run the custom rules of `root/.perflens/rules` too (only in trusted workspaces). */
  customRules?: boolean;
  grammarDir?: string;
}

export type ScanMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'results'; results: FileResult[] }
  | { type: 'done'; files: number; excluded: number; parsed: number; textOnly: number }
  | { type: 'error'; message: string; stack?: string };
