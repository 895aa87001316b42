/** Markdown and JSON renderings of a history analysis (for PR comments and `bench check`). */
import type { HistoryAnalysis, SeriesAnalysis } from './analysis';

export const MARKDOWN_LIMIT = 65_000;

/** The JSON shape of `perflens bench check --json`. */
export function checkJson(analysis: HistoryAnalysis): { series: SeriesAnalysis[] } {
  return { series: analysis.series };
}

/** Markdown-escapes a string from a history file (benchmark names are untrusted). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

function fmt(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  return abs !== 0 && (abs >= 1e6 || abs < 1e-3) ? value.toExponential(2) : Number(value.toPrecision(digits + 1)).toString();
}

function pct(value: number | null): string {
  return value === null ? '–' : `${value > 0 ? '+' : ''}${value.toFixed(1)}%`;
}

const ICON: Record<SeriesAnalysis['status'], string> = { regressed: '🔴 regressed', improved: '🟢 improved', ok: 'ok', 'insufficient-data': 'too few runs' };

/** The status cell; a latest run that looks like one of the series' spikes says so (rerun it). */
function statusCell(x: SeriesAnalysis): string {
  return x.verdictBasis === 'outlier' ? '⚠️ ok, latest run an outlier (rerun)' : ICON[x.status];
}

/** Series sorted for a report: failures first, then by the size of the change. */
export function rankSeries(series: SeriesAnalysis[]): SeriesAnalysis[] {
  const weight = (s: SeriesAnalysis): number => (s.status === 'regressed' || s.budget?.violated ? 2 : s.status === 'improved' ? 1 : 0);
  return [...series].sort((a, b) => weight(b) - weight(a) || Math.abs(b.deltaPercent ?? 0) - Math.abs(a.deltaPercent ?? 0));
}

/** A PR-comment report, at most `limit` characters, largest changes first. */
export function checkMarkdown(analysis: HistoryAnalysis, limit = MARKDOWN_LIMIT): string {
  const s = analysis.series;
  const regressed = s.filter((x) => x.status === 'regressed').length;
  const improved = s.filter((x) => x.status === 'improved').length;
  const budget = s.filter((x) => x.budget?.violated).length;
  const head = [
    '## PerfLens benchmark check',
    '',
    `${s.length} series · ${regressed} regressed · ${improved} improved · ${budget} over budget`,
    '',
    '| status | benchmark | latest | baseline | change | 95% CI | p | budget |',
    '| --- | --- | ---: | ---: | ---: | --- | ---: | --- |',
  ];
  let text = `${head.join('\n')}\n`;
  const ranked = rankSeries(s);
  let shown = 0;
  for (const x of ranked) {
    const budgetCell = x.budget
      ? x.budget.violated ? `❌ ${escapeMarkdown(x.budget.violations.join('; '))}` : x.budget.forecast ? `reaches ${fmt(x.budget.forecast.limit)} in ~${x.budget.forecast.runs} runs` : 'ok'
      : '';
    const trend = x.trend && Math.abs(x.trend.percentOverSegment) >= 2 * x.noisePercent ? ` · trend ${pct(x.trend.percentPerRun)}/run` : '';
    const row = `| ${statusCell(x)} | ${escapeMarkdown(x.suite)} › ${escapeMarkdown(x.name)}${trend} | ${fmt(x.latest)} ${escapeMarkdown(x.unit)} | ${fmt(x.baseline)} | ${pct(x.deltaPercent)} | ${x.ciPercent ? `${pct(x.ciPercent[0])} … ${pct(x.ciPercent[1])}` : '–'} | ${x.pValue === null ? '–' : x.pValue < 0.001 ? '<0.001' : x.pValue.toFixed(3)} | ${budgetCell} |\n`;
    const footer = `\n_${ranked.length - shown - 1} more series not shown._\n`;
    if (text.length + row.length + footer.length > limit) {
      text += `\n_${ranked.length - shown} more series not shown._\n`;
      return text;
    }
    text += row;
    shown++;
  }
  return text;
}
