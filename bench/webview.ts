/**
 * Benchmark-history webview (issue 4): first render of a history of 100 series × 1,000 runs
 * (5 raw samples per run, so every chart has its spread band) in headless Chromium — target
 * ≤ 500 ms, reported as a ratio to that budget.
 *
 * The built bundle (dist/webview/history.main.js, run `node esbuild.mjs` first) is loaded in a
 * plain page with a stub `acquireVsCodeApi`; the view model is built in Node as the extension
 * builds it, posted to the page, and timed until the webview's `rendered` message (which it sends
 * after the visible charts have drawn). Building the view model (the analysis) is measured by
 * bench/analysis.ts, not here. Run: `npm run bench -- webview`.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildHistoryView } from '../src/core/bench/historyView';
import { seededRandom } from '../src/core/bench/stats';
import type { HistoryRecord } from '../src/core/bench/types';
import type { FromWebview, HistoryView } from '../src/core/shared/historyProtocol';
import { toHistory } from '../test/unit/bench/quality';
import { syntheticSeries } from '../test/unit/bench/synthetic';

interface Row { name: string; ratio: number; target: number; higherIsBetter?: boolean; detail?: string }

const BUDGET_MS = 500;
const SERIES = 100;
const RUNS = 1000;

function bigHistory(): HistoryRecord[] {
  const random = seededRandom(2026);
  const out: HistoryRecord[] = [];
  for (let k = 0; k < SERIES; k++) {
    const records = toHistory(syntheticSeries(random, { length: [RUNS, RUNS], steps: 2, samplesPerRun: 5 }), `bench ${k}`);
    for (const r of records) out.push({ ...r, suite: `suite ${k % 7}`, commit: (0x1000000 + Number(r.run.slice(1))).toString(16).padEnd(40, '0') });
  }
  return out;
}

const PAGE = `<!DOCTYPE html><html><head><meta charset="UTF-8"></head><body>
<div id="toolbar"><input id="search" type="search"><select id="suite"></select><select id="branch"></select>
<select id="machine"></select><input id="changed-only" type="checkbox"><button id="mode" type="button"></button><span id="count"></span></div>
<div id="warnings" hidden></div><main id="charts"></main><div id="table" hidden></div><div id="tooltip" hidden></div>
<script>
  window.__messages = [];
  window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__messages.push({ at: performance.now(), m }) });
</script>
</body></html>`;

interface Launcher { launchChromium(): Promise<{ newPage(o: object): Promise<BenchPage>; close(): Promise<void> }> }
interface BenchPage {
  setContent(html: string): Promise<void>;
  addScriptTag(o: { path: string }): Promise<unknown>;
  addStyleTag(o: { path: string }): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
}

export async function benchWebviewRender(ctx: { root: string; log(l: string): void }): Promise<Row[]> {
  const bundle = path.join(ctx.root, 'dist', 'webview', 'history.main.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`node esbuild.mjs\` first`);
  const records = bigHistory();
  const t0 = performance.now();
  const { view } = buildHistoryView({ file: 'bench', records, canOpenCommits: true });
  ctx.log(`history: ${view.series.length} series × ${RUNS} runs (${records.length} records); view model built in ${(performance.now() - t0).toFixed(0)} ms, ${(JSON.stringify(view).length / 1e6).toFixed(1)} MB as JSON`);

  const { launchChromium } = await import(pathToFileURL(path.join(ctx.root, 'scripts', 'lib', 'vscode-server.mjs')).href) as Launcher;
  const browser = await launchChromium();
  try {
    const times: number[] = [];
    let last: { series: number; charts: number; ms: number } | undefined;
    for (let round = 0; round < 5; round++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.setContent(PAGE);
      await page.addStyleTag({ path: path.join(ctx.root, 'dist', 'webview', 'history.main.css') });
      await page.addStyleTag({ path: path.join(ctx.root, 'media', 'history.css') });
      await page.addScriptTag({ path: bundle });
      const result = await page.evaluate(async (v: HistoryView) => {
        // Runs in the page (no DOM types in this project).
        const w = globalThis as unknown as { __messages: { at: number; m: FromWebview }[]; postMessage(m: unknown, origin: string): void };
        const start = performance.now();
        w.postMessage({ type: 'history', view: v }, '*');
        for (;;) {
          const done = w.__messages.find((x) => x.m.type === 'rendered');
          if (done && done.m.type === 'rendered') return { total: done.at - start, series: done.m.series, charts: done.m.charts, ms: done.m.ms };
          if (performance.now() - start > 30_000) throw new Error('no rendered message in 30 s');
          await new Promise((r) => setTimeout(r, 1));
        }
      }, view);
      times.push(result.total);
      last = result;
      ctx.log(`round ${round + 1}: ${result.total.toFixed(0)} ms from postMessage to rendered (webview's own count ${result.ms.toFixed(0)} ms; ${result.charts} of ${result.series} charts drawn)`);
    }
    // The first round includes a cold JIT; the median of five is the figure.
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return [{
      name: 'webview first render, 100 series × 1,000 runs',
      ratio: median / BUDGET_MS, target: 1,
      detail: `median ${median.toFixed(0)} ms of ${times.map((t) => t.toFixed(0)).join(', ')} (budget ${BUDGET_MS} ms; ${last?.charts ?? 0} charts on screen)`,
    }];
  } finally {
    await browser.close();
  }
}
