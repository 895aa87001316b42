/**
 * The benchmark-history webview: one uPlot chart per series (sample spread band, change points,
 * outliers, budget lines, zoom and pan, hover, click → commit), search and filters, and a table of
 * verdicts. Data arrives only by postMessage; every string from the history is put in the DOM as
 * text (textContent / DOM APIs), never as HTML. Charts are drawn only while their card is near the
 * viewport, so hundreds of series stay fast.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import {
  filterSeries, formatDelta, formatPValue, formatValue, isCommitId, NO_FILTER, verdictOrder,
  type FromWebview, type HistoryView, type SeriesFilter, type SeriesView, type ToWebview,
} from '../core/shared/historyProtocol';

interface VsCodeApi { postMessage(message: FromWebview): void }
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (message: FromWebview): void => vscode.postMessage(message);

const CHART_HEIGHT = 180;

interface Card {
  series: SeriesView;
  element: HTMLElement;
  plotHost: HTMLElement;
  plot: uPlot | null;
}

interface Palette { fg: string; muted: string; grid: string; line: string; band: string; change: string; outlier: string; budget: string }

let view: HistoryView | null = null;
let filter: SeriesFilter = { ...NO_FILTER };
let mode: 'charts' | 'table' = 'charts';
let cards: Card[] = [];
let palette = readPalette();
let firstRenderStart: number | null = null;
let observer: IntersectionObserver | null = null;

// ---- DOM helpers (text only) ----

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} is missing`);
  return e as T;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})([0-9a-f]{2})?$/i.exec(color);
  if (!hex) return `rgba(128, 128, 128, ${alpha})`;
  let rgb = hex[1]!;
  if (rgb.length === 3) rgb = rgb.split('').map((c) => c + c).join('');
  const n = parseInt(rgb, 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

function readPalette(): Palette {
  const line = cssVar('--vscode-charts-blue', '#3794ff');
  return {
    fg: cssVar('--vscode-foreground', '#cccccc'),
    muted: cssVar('--vscode-descriptionForeground', '#999999'),
    grid: withAlpha(cssVar('--vscode-foreground', '#888888'), 0.12),
    line,
    band: withAlpha(line, 0.22),
    change: cssVar('--vscode-charts-orange', '#d18616'),
    outlier: cssVar('--vscode-charts-red', '#f14c4c'),
    budget: cssVar('--vscode-charts-red', '#f14c4c'),
  };
}

// ---- the page ----

const toolbar = byId<HTMLElement>('toolbar');
const search = byId<HTMLInputElement>('search');
const suiteSelect = byId<HTMLSelectElement>('suite');
const branchSelect = byId<HTMLSelectElement>('branch');
const machineSelect = byId<HTMLSelectElement>('machine');
const changedOnly = byId<HTMLInputElement>('changed-only');
const modeButton = byId<HTMLButtonElement>('mode');
const countLabel = byId<HTMLElement>('count');
const warningsBox = byId<HTMLElement>('warnings');
const chartsBox = byId<HTMLElement>('charts');
const tableBox = byId<HTMLElement>('table');
const tooltip = byId<HTMLElement>('tooltip');

function fillSelect(select: HTMLSelectElement, allLabel: string, values: { value: string; label: string }[]): void {
  const keep = select.value;
  select.replaceChildren(new Option(allLabel, ''));
  for (const v of values) select.add(new Option(v.label, v.value));
  select.value = values.some((v) => v.value === keep) ? keep : '';
}

function uniqueSorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort((a, b) => a.localeCompare(b));
}

function setFiltersFrom(v: HistoryView): void {
  fillSelect(suiteSelect, 'All suites', uniqueSorted(v.series.map((s) => s.suite)).map((s) => ({ value: s, label: s })));
  fillSelect(branchSelect, 'All branches', uniqueSorted(v.series.flatMap((s) => s.branches)).map((b) => ({ value: b, label: b })));
  const machines = new Map(v.series.map((s) => [s.machine, s.machineLabel]));
  fillSelect(machineSelect, 'All machines', [...machines].map(([value, label]) => ({ value, label })).sort((a, b) => a.label.localeCompare(b.label)));
}

let filterTimer: ReturnType<typeof setTimeout> | undefined;
function onFilterInput(delay: number): void {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => {
    filter = { text: search.value, suite: suiteSelect.value, branch: branchSelect.value, machine: machineSelect.value, changedOnly: changedOnly.checked };
    render();
  }, delay);
}
search.addEventListener('input', () => onFilterInput(150));
for (const s of [suiteSelect, branchSelect, machineSelect]) s.addEventListener('change', () => onFilterInput(0));
changedOnly.addEventListener('change', () => onFilterInput(0));
modeButton.addEventListener('click', () => {
  mode = mode === 'charts' ? 'table' : 'charts';
  render();
});
toolbar.hidden = true;

function statusText(s: SeriesView): string {
  if (s.budget?.violated && s.status !== 'regressed') return 'over budget';
  if (s.latestOutlier) return 'outlier: rerun';
  return s.status;
}

function destroyCharts(): void {
  observer?.disconnect();
  for (const c of cards) c.plot?.destroy();
  cards = [];
}

function render(): void {
  if (!view) return;
  const shown = filterSeries(view.series, filter).sort(verdictOrder);
  countLabel.textContent = `${shown.length} of ${view.series.length} series · ${view.runs.length} runs`;
  modeButton.textContent = mode === 'charts' ? 'Table' : 'Charts';
  chartsBox.hidden = mode !== 'charts';
  tableBox.hidden = mode !== 'table';
  destroyCharts();
  if (mode === 'charts') renderCharts(shown);
  else renderTable(shown);
  if (firstRenderStart !== null) {
    const started = firstRenderStart;
    firstRenderStart = null;
    // uPlot draws in a microtask after construction: report once those have run.
    setTimeout(() => post({ type: 'rendered', series: shown.length, charts: cards.filter((c) => c.plot).length, ms: performance.now() - started }), 0);
  }
}

function renderCharts(shown: SeriesView[]): void {
  chartsBox.replaceChildren();
  if (shown.length === 0) {
    chartsBox.append(el('p', 'empty', view && view.series.length > 0 ? 'No series match the filters.' : 'The history is empty. Run PerfLens: Run benchmarks, or `perflens bench run` / `bench import`.'));
    return;
  }
  const fragment = document.createDocumentFragment();
  for (const s of shown) {
    const element = el('section', `card status-${s.status}${s.budget?.violated ? ' over-budget' : ''}`);
    element.dataset.seriesId = s.id;
    const head = el('header');
    head.append(el('span', 'badge', statusText(s)), el('span', 'suite', s.suite), el('span', 'name', s.name));
    const facts = el('div', 'facts');
    const latest = s.values[s.values.length - 1]!;
    facts.append(
      el('span', undefined, `latest ${formatValue(latest, s.unit)}`),
      el('span', undefined, `change ${formatDelta(s.deltaPercent)}`),
      el('span', undefined, formatPValue(s.pValue)),
      el('span', undefined, `noise ±${s.noisePercent.toFixed(1)}%`),
      el('span', 'machine', s.machineLabel),
    );
    if (s.budget?.violated) facts.append(el('span', 'violation', s.budget.violations.join('; ')));
    else if (s.budget?.forecast) facts.append(el('span', 'forecast', `budget: ${s.budget.forecast}`));
    const plotHost = el('div', 'plot');
    plotHost.style.height = `${CHART_HEIGHT}px`;
    element.append(head, facts, plotHost);
    fragment.append(element);
    cards.push({ series: s, element, plotHost, plot: null });
  }
  chartsBox.append(fragment);
  // Charts on screen now are drawn at once; the others when they scroll near the viewport, and
  // destroyed again when far away (a few dozen canvases at most, however many series).
  const viewport = window.innerHeight;
  const byElement = new Map<Element, Card>(cards.map((c) => [c.element, c]));
  for (const c of cards) {
    const r = c.element.getBoundingClientRect();
    if (r.bottom >= 0 && r.top <= viewport) drawCard(c);
  }
  observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const card = byElement.get(entry.target);
      if (!card) continue;
      if (entry.isIntersecting && !card.plot) drawCard(card);
      else if (!entry.isIntersecting && card.plot) { card.plot.destroy(); card.plot = null; }
    }
  }, { rootMargin: '600px 0px' });
  for (const c of cards) observer.observe(c.element);
}

function drawCard(card: Card): void {
  if (!view) return;
  const width = Math.max(200, card.plotHost.clientWidth || chartsBox.clientWidth - 24);
  card.plot = makePlot(card.series, view, width, card.plotHost);
}

function makePlot(s: SeriesView, v: HistoryView, width: number, host: HTMLElement): uPlot {
  const n = s.values.length;
  const xs = Array.from({ length: n }, (_, i) => i);
  const data: uPlot.AlignedData = s.low && s.high ? [xs, s.values, s.low, s.high] : [xs, s.values];
  const p = palette;
  const series: uPlot.Series[] = [
    {},
    { label: s.name, stroke: p.line, width: 1.5, points: { show: n <= 60, size: 4, fill: p.line } },
  ];
  if (s.low && s.high) {
    series.push({ label: 'min', stroke: 'transparent', width: 0, points: { show: false } });
    series.push({ label: 'max', stroke: 'transparent', width: 0, points: { show: false } });
  }
  const outliers = new Set(s.outliers);
  const axis = (): uPlot.Axis => ({ stroke: p.muted, grid: { stroke: p.grid, width: 1 }, ticks: { stroke: p.grid, width: 1 } });
  const opts: uPlot.Options = {
    width, height: CHART_HEIGHT,
    legend: { show: false },
    scales: {
      x: { time: false },
      y: {
        range: (_u, min, max) => {
          let lo = min;
          let hi = max;
          // Budget lines near the data are kept in view; a distant one is named in the facts instead.
          if (s.budget?.max !== undefined && s.budget.max <= hi * 1.5) hi = Math.max(hi, s.budget.max);
          if (s.budget?.min !== undefined && s.budget.min >= lo * 0.5) lo = Math.min(lo, s.budget.min);
          const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.05 || 1;
          return [lo - pad, hi + pad];
        },
      },
    },
    axes: [
      { ...axis(), values: (_u, splits) => splits.map((x) => (Number.isInteger(x) ? String(x + 1) : '')) },
      { ...axis(), size: 64, values: (_u, splits) => splits.map((y) => formatValue(y, '')) },
    ],
    series,
    bands: s.low && s.high ? [{ series: [3, 2], fill: p.band }] : [],
    cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 7 } },
    hooks: {
      draw: [(u) => drawMarkers(u, s, outliers)],
      setCursor: [(u) => showTooltip(u, s, v)],
    },
  };
  const plot = new uPlot(opts, data, host);
  attachZoomPan(plot, n);
  attachClick(plot, s, v);
  plot.over.addEventListener('mouseleave', () => { tooltip.hidden = true; });
  return plot;
}

/** Change points (dashed verticals before the first run of each segment), outliers, budget lines. */
function drawMarkers(u: uPlot, s: SeriesView, outliers: Set<number>): void {
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  const dpr = window.devicePixelRatio || 1;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  ctx.lineWidth = 1.5 * dpr;
  ctx.strokeStyle = palette.change;
  ctx.setLineDash([4 * dpr, 3 * dpr]);
  for (const cp of s.changePoints) {
    const x = u.valToPos(cp - 0.5, 'x', true);
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
  }
  ctx.strokeStyle = palette.budget;
  ctx.setLineDash([8 * dpr, 4 * dpr]);
  for (const limit of [s.budget?.max, s.budget?.min]) {
    if (limit === undefined) continue;
    const y = u.valToPos(limit, 'y', true);
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(left + width, y);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  ctx.fillStyle = palette.outlier;
  for (const i of outliers) {
    const x = u.valToPos(i, 'x', true);
    const y = u.valToPos(s.values[i]!, 'y', true);
    ctx.beginPath();
    ctx.arc(x, y, 3.5 * dpr, 0, Math.PI * 2);
    ctx.fill();
  }
  ctx.restore();
}

function showTooltip(u: uPlot, s: SeriesView, v: HistoryView): void {
  const idx = u.cursor.idx;
  if (idx === null || idx === undefined || u.cursor.left === undefined || u.cursor.left < 0) {
    tooltip.hidden = true;
    return;
  }
  const run = v.runs[s.runIndex[idx]!];
  const lines: string[] = [`#${idx + 1}  ${formatValue(s.values[idx]!, s.unit)}`];
  const lo = s.low?.[idx];
  const hi = s.high?.[idx];
  if (lo !== null && lo !== undefined && hi !== null && hi !== undefined) lines.push(`samples ${formatValue(lo, s.unit)} – ${formatValue(hi, s.unit)}`);
  if (run) {
    lines.push(Number.isFinite(run.time) ? new Date(run.time).toISOString().replace('T', ' ').slice(0, 19) : 'no date');
    lines.push(`commit ${run.commit ? run.commit.slice(0, 12) : '—'}${run.dirty ? ' (dirty)' : ''}`);
    lines.push(`branch ${run.branch ?? '—'}`);
  }
  if (s.changePoints.includes(idx)) lines.push('first run after a change');
  if (s.outliers.includes(idx)) lines.push('outlier');
  if (run?.commit && v.canOpenCommits && isCommitId(run.commit)) lines.push('click to open the commit');
  tooltip.replaceChildren(...lines.map((l) => el('div', undefined, l)));
  tooltip.hidden = false;
  const rect = u.over.getBoundingClientRect();
  const x = rect.left + (u.cursor.left ?? 0) + 14;
  const y = rect.top + (u.cursor.top ?? 0) + 14;
  const w = tooltip.offsetWidth;
  tooltip.style.left = `${Math.min(x, window.innerWidth - w - 8)}px`;
  tooltip.style.top = `${Math.min(y, window.innerHeight - tooltip.offsetHeight - 8)}px`;
}

/** Drag selects a range to zoom (uPlot), double-click resets; the wheel zooms at the cursor, Shift+wheel pans. */
function attachZoomPan(u: uPlot, n: number): void {
  u.over.addEventListener('wheel', (e) => {
    e.preventDefault();
    const min = u.scales.x?.min ?? 0;
    const max = u.scales.x?.max ?? n - 1;
    const range = max - min;
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      const shift = (range * (e.shiftKey ? e.deltaY : e.deltaX)) / 500;
      const lo = Math.max(-0.5, Math.min(min + shift, n - 0.5 - range));
      u.setScale('x', { min: lo, max: lo + range });
      return;
    }
    const at = u.posToVal(e.offsetX, 'x');
    const factor = e.deltaY < 0 ? 0.8 : 1.25;
    const next = Math.min(Math.max(range * factor, 4), n + 1);
    const ratio = range > 0 ? (at - min) / range : 0.5;
    const lo = Math.max(-0.5, at - next * ratio);
    u.setScale('x', { min: lo, max: Math.min(n - 0.5, lo + next) });
  }, { passive: false });
}

function attachClick(u: uPlot, s: SeriesView, v: HistoryView): void {
  let down: { x: number; y: number } | null = null;
  u.over.addEventListener('mousedown', (e) => { down = { x: e.clientX, y: e.clientY }; });
  u.over.addEventListener('click', (e) => {
    const moved = down ? Math.hypot(e.clientX - down.x, e.clientY - down.y) : 0;
    down = null;
    if (moved > 3 || !v.canOpenCommits) return;
    const idx = u.cursor.idx;
    if (idx === null || idx === undefined) return;
    const commit = v.runs[s.runIndex[idx]!]?.commit;
    if (isCommitId(commit)) post({ type: 'openCommit', commit });
  });
}

function renderTable(shown: SeriesView[]): void {
  const table = el('table');
  const head = el('tr');
  for (const h of ['Verdict', 'Suite', 'Name', 'Machine', 'Latest', 'Latest change', 'Significance', '95% CI', 'Budget']) head.append(el('th', undefined, h));
  table.append(el('thead'), el('tbody'));
  table.tHead!.append(head);
  for (const s of shown) {
    const row = el('tr', `status-${s.status}`);
    const changedAt = s.latestChange !== null ? s.latestChange + 1 : null;
    row.append(
      el('td', 'badge-cell', statusText(s)),
      el('td', undefined, s.suite),
      el('td', undefined, s.name),
      el('td', undefined, s.machineLabel),
      el('td', 'num', formatValue(s.values[s.values.length - 1]!, s.unit)),
      el('td', 'num', `${formatDelta(s.deltaPercent)}${changedAt !== null ? ` (step at run ${changedAt})` : ''}`),
      el('td', 'num', formatPValue(s.pValue)),
      el('td', 'num', s.ciPercent ? `${formatDelta(s.ciPercent[0])} … ${formatDelta(s.ciPercent[1])}` : '—'),
      el('td', undefined, s.budget ? (s.budget.violated ? s.budget.violations.join('; ') : s.budget.forecast ?? 'within budget') : '—'),
    );
    row.addEventListener('click', () => {
      mode = 'charts';
      filter = { ...filter, text: '' };
      search.value = '';
      render();
      cards.find((c) => c.series.id === s.id)?.element.scrollIntoView({ block: 'center' });
    });
    table.tBodies[0]!.append(row);
  }
  tableBox.replaceChildren(table);
}

function showWarnings(messages: string[]): void {
  warningsBox.replaceChildren(...messages.slice(0, 20).map((m) => el('div', undefined, m)));
  if (messages.length > 20) warningsBox.append(el('div', undefined, `… and ${messages.length - 20} more (see the PerfLens log)`));
  warningsBox.hidden = messages.length === 0;
}

// ---- messages ----

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  switch (message.type) {
    case 'history':
      firstRenderStart = performance.now();
      view = message.view;
      toolbar.hidden = false;
      setFiltersFrom(view);
      showWarnings(view.warnings);
      render();
      break;
    case 'error':
      showWarnings([message.message]);
      break;
    case 'focus':
      search.value = '';
      filter = { ...NO_FILTER };
      mode = 'charts';
      render();
      cards.find((c) => message.seriesIds.includes(c.series.id))?.element.scrollIntoView({ block: 'start' });
      break;
    default: {
      const unknown: never = message;
      void unknown;
    }
  }
});

// The theme changes the body's classes: read the colours again and redraw what is drawn.
new MutationObserver(() => {
  palette = readPalette();
  for (const c of cards) {
    if (!c.plot) continue;
    c.plot.destroy();
    drawCard(c);
  }
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    for (const c of cards) c.plot?.setSize({ width: Math.max(200, c.plotHost.clientWidth), height: CHART_HEIGHT });
  }, 100);
});

post({ type: 'ready' });
