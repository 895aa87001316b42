// The benchmark-history webview in a real (headless) Chromium: the bundle built from
// src/webview/history.main.ts, a stub acquireVsCodeApi, a view model built as the extension builds
// it. Checks that hostile names stay text, that search and table work, and that a click on a point
// asks for its commit.
import * as esbuild from 'esbuild';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHistoryView } from '../../../src/core/bench/historyView';
import { machineFromFacts } from '../../../src/core/bench/environment';
import type { HistoryRecord } from '../../../src/core/bench/types';
import type { FromWebview, HistoryView } from '../../../src/core/shared/historyProtocol';

const root = path.resolve(__dirname, '../../..');
const HOSTILE = '<img src=x onerror="document.body.dataset.pwned=1">';
const machine = machineFromFacts({ os: 'linux 6.1', arch: 'x64', cpu: 'Xeon', cores: 8, memGB: 32, runtime: 'node 20' });

function view(): HistoryView {
  const records: HistoryRecord[] = [];
  for (let i = 0; i < 30; i++) {
    for (let k = 0; k < 40; k++) {
      records.push({
        v: 1, run: `r${i}`, ts: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(), commit: `${(0xabc0000 + i).toString(16)}`.padEnd(40, '0'),
        branch: i % 2 ? 'main' : '<b>branch</b>', dirty: false, machine, suite: k < 20 ? 'parser' : 'render',
        name: k === 0 ? HOSTILE : `case ${k}`, unit: 'ms', better: 'lower', value: (k + 1) * (i >= 25 && k === 1 ? 1.5 : 1) * (1 + 0.01 * Math.sin(i + k)),
      });
    }
  }
  return buildHistoryView({ file: 'h', records, canOpenCommits: true }).view;
}

const PAGE = `<!DOCTYPE html><html><head><meta charset="UTF-8"></head><body>
<div id="toolbar"><input id="search" type="search"><select id="suite"></select><select id="branch"></select>
<select id="machine"></select><input id="changed-only" type="checkbox"><button id="mode" type="button"></button><span id="count"></span></div>
<div id="warnings" hidden></div><main id="charts"></main><div id="table" hidden></div><div id="tooltip" hidden></div>
<script>window.__messages = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__messages.push(m) });</script>
</body></html>`;

let browser: Browser;
let page: Page;

async function messages(): Promise<FromWebview[]> {
  return page.evaluate(() => (globalThis as unknown as { __messages: FromWebview[] }).__messages);
}

beforeAll(async () => {
  const built = await esbuild.build({
    entryPoints: [path.join(root, 'src/webview/history.main.ts')], bundle: true, format: 'iife', platform: 'browser',
    target: 'es2022', write: false, outdir: path.join(root, 'dist', 'test-webview'), logLevel: 'silent',
  });
  const js = built.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
  const css = built.outputFiles.find((f) => f.path.endsWith('.css'))!.text;
  const { launchChromium } = await import(pathToFileURL(path.join(root, 'scripts/lib/vscode-server.mjs')).href) as { launchChromium(): Promise<Browser> };
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  await page.setContent(PAGE);
  await page.addStyleTag({ content: css });
  await page.addStyleTag({ path: path.join(root, 'media', 'history.css') });
  await page.addScriptTag({ content: js });
  await page.evaluate((v) => (globalThis as unknown as { postMessage(m: unknown, o: string): void }).postMessage({ type: 'history', view: v }, '*'), view());
  await page.waitForFunction(() => (globalThis as unknown as { __messages: FromWebview[] }).__messages.some((m) => m.type === 'rendered'));
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe.skipIf(process.platform !== 'linux')('history webview', () => {
  it('says ready, then reports the first render with every series and only the visible charts', async () => {
    const all = await messages();
    expect(all[0]).toEqual({ type: 'ready' });
    const rendered = all.find((m) => m.type === 'rendered');
    expect(rendered).toMatchObject({ type: 'rendered', series: 40 });
    expect(rendered && rendered.type === 'rendered' && rendered.charts).toBeGreaterThan(0);
    expect(rendered && rendered.type === 'rendered' && rendered.charts).toBeLessThan(40);
    expect(await page.locator('canvas').count()).toBeLessThan(40);
  });

  it('puts hostile names in the page as text', async () => {
    await page.fill('#search', 'onerror');
    await page.waitForFunction(`document.querySelectorAll('.card').length === 1`);
    expect(await page.locator('.card .name').first().textContent()).toBe(HOSTILE);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate('document.body.dataset.pwned')).toBeUndefined();
    expect(await page.locator('#branch option').allTextContents()).toContain('<b>branch</b>');
    expect(await page.locator('b').count()).toBe(0);
  });

  it('searches, filters by suite and lists verdicts in the table', async () => {
    await page.fill('#search', '');
    await page.selectOption('#suite', 'render');
    await page.waitForFunction(`document.querySelectorAll('.card').length === 20`);
    expect(await page.locator('#count').textContent()).toMatch(/^20 of 40 series/);
    await page.selectOption('#suite', '');
    await page.click('#mode');
    await page.waitForFunction(`document.querySelectorAll('#table tbody tr').length === 40`);
    const first = await page.locator('#table tbody tr').first().locator('td').allTextContents();
    expect(first[0]).toBe('regressed');
    expect(first[2]).toBe('case 1');
    expect(first[5]).toMatch(/^\+\d+\.\d%/);
    await page.locator('#table tbody tr').first().click();
    await page.waitForFunction(`document.querySelectorAll('.card').length === 40`);
  });

  it('hovering a point shows its commit, branch and date; clicking asks for the commit', async () => {
    await page.fill('#search', 'case 1');
    await page.waitForFunction(`document.querySelector('.card .name')?.textContent === 'case 1' && document.querySelector('.card .u-over')`);
    const over = page.locator('.card .u-over').first();
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
    await page.waitForFunction("!document.getElementById('tooltip').hidden");
    const tip = await page.locator('#tooltip').textContent();
    expect(tip).toContain('#30');
    expect(tip).toContain('2026-01-30');
    expect(tip).toContain(`commit ${(0xabc0000 + 29).toString(16)}`);
    expect(tip).toContain('branch main');
    await page.mouse.click(box.x + box.width - 2, box.y + box.height / 2);
    const open = (await messages()).filter((m) => m.type === 'openCommit');
    expect(open.at(-1)).toEqual({ type: 'openCommit', commit: (0xabc0000 + 29).toString(16).padEnd(40, '0') });
  });
});
