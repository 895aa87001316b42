/**
 * Entry of dist/scan-worker.js: scans a workspace folder with the detectors on a worker thread, so
 * the extension host never stalls. Posts progress and results in batches.
 */
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { DetectorEngine } from '../detect/engine';
import { ParserPool } from '../detect/grammars';
import type { FileResult } from '../detect/types';
import { collectSourceFiles } from '../detect/workspaceFiles';
import { matchesAnyGlob } from '../glob';
import type { ScanMessage, ScanRequest } from './protocol';

const port = parentPort;

async function scan(request: ScanRequest): Promise<void> {
  const post = (message: ScanMessage): void => port!.postMessage(message);
  const all = collectSourceFiles([request.root], request.root);
  const skip = new Set(request.skipFiles.map((f) => path.resolve(f)));
  const files = all.filter((f) => !skip.has(f) && !matchesAnyGlob(path.relative(request.root, f), request.exclude));
  const engine = new DetectorEngine(request.options, {}, new ParserPool(request.grammarDir));
  const customRules = request.customRules ? (await engine.loadCustomRules(request.root)).flatMap((l) => (l.rule ? [l.rule] : [])) : [];
  engine.setCustomRules(request.root, customRules);
  try {
    // One pass: each file is parsed once, its facts and findings computed together.
    let batch: FileResult[] = [];
    let last = Date.now();
    let done = 0;
    await engine.analyseFiles(files, undefined, undefined, (result) => {
      batch.push(result);
      done++;
      if (batch.length >= 50 || Date.now() - last > 200) {
        post({ type: 'results', results: batch });
        post({ type: 'progress', done, total: files.length });
        batch = [];
        last = Date.now();
      }
    });
    if (batch.length > 0) post({ type: 'results', results: batch });
    post({ type: 'progress', done: files.length, total: files.length });
    post({ type: 'done', files: files.length, excluded: all.length - files.length, ...engine.counters });
  } finally {
    for (const r of customRules) r.dispose();
    engine.dispose();
  }
}

if (port) {
  scan(workerData as ScanRequest).catch((error: unknown) => {
    port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error), stack: error instanceof Error ? error.stack : undefined } satisfies ScanMessage);
  });
}
