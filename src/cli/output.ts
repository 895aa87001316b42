import * as path from 'node:path';
import { formatBytes, formatMs, formatPercent } from '../core/format';
import type { ProfileReport } from '../core/profile/report';

/** The `--json` contract: one object, lists complete and sorted by selfMs descending. */
export function reportJson(report: ProfileReport): unknown {
  const round = (n: number): number => Math.round(n * 1000) / 1000;
  return {
    wallMs: report.wallMs === null ? null : round(report.wallMs),
    cpuMs: round(report.cpuMs),
    sampledMs: round(report.sampledMs),
    peakRssBytes: report.peakRssBytes,
    processes: report.processes.map((p) => ({
      pid: p.pid, threadId: p.threadId, title: p.title, argv: p.argv, cpuMs: round(p.cpuMs), samples: p.samples,
      wallMs: p.wallMs === null ? null : round(p.wallMs), peakRssBytes: p.peakRssBytes,
    })),
    hotspots: {
      lines: report.lines.map((l) => ({
        file: l.file, line: l.line, selfMs: round(l.selfMs), selfPercent: round(l.selfPercent), samples: l.samples,
        functionName: l.functionName, kind: l.kind,
        ...(l.generated ? { generated: l.generated } : {}),
      })),
      functions: report.functions.map((f) => ({
        name: f.name, file: f.file, line: f.line, selfMs: round(f.selfMs), selfPercent: round(f.selfPercent),
        totalMs: round(f.totalMs), totalPercent: round(f.totalPercent), samples: f.samples, allocBytes: f.allocBytes, kind: f.kind,
      })),
      allocations: report.allocations.map((a) => ({ file: a.file, line: a.line, functionName: a.functionName, bytes: a.bytes, percent: round(a.percent), kind: a.kind })),
    },
    inlining: report.inlining,
    warnings: report.warnings,
  };
}

/** The human table: hottest lines and functions, paths relative to cwd. */
export function reportText(report: ProfileReport, title: string, top: number, cwd: string): string {
  const rel = (file: string): string => (path.isAbsolute(file) ? path.relative(cwd, file) || file : file);
  const out: string[] = [];
  const head = [
    report.wallMs !== null ? `wall ${formatMs(report.wallMs)}` : undefined,
    `CPU ${formatMs(report.cpuMs)}`,
    report.peakRssBytes !== null ? `peak memory ${formatBytes(report.peakRssBytes)}` : undefined,
    `${report.processes.length} process${report.processes.length === 1 ? '' : 'es'}`,
  ].filter(Boolean).join(' · ');
  out.push(`PerfLens — ${title}: ${head}`, '');
  const lines = report.lines.filter((l) => l.kind !== 'system').slice(0, top);
  out.push('Hottest lines (self time)');
  out.push(...table(['self', 'ms', 'location', 'code'], lines.map((l) => [formatPercent(l.selfPercent), formatMs(l.selfMs), `${rel(l.file)}:${l.line}`, (l.text ?? '').slice(0, 60)])));
  out.push('', 'Hottest functions');
  const fns = report.functions.filter((f) => f.kind !== 'system').slice(0, top);
  out.push(...table(['self', 'total', 'function', 'location'], fns.map((f) => [formatPercent(f.selfPercent), formatPercent(f.totalPercent), f.name || '(anonymous)', `${rel(f.file)}:${f.line}`])));
  const system = report.functions.filter((f) => f.kind === 'system' && f.selfPercent >= 0.05);
  if (system.length > 0) out.push('', `Runtime: ${system.map((f) => `${f.name} ${formatPercent(f.selfPercent)}`).join(', ')}`);
  if (report.allocations.length > 0) {
    out.push('', `Heap allocations (sampled, ${formatBytes(report.totalAllocBytes)} in all)`);
    out.push(...table(['bytes', 'share', 'function', 'location'], report.allocations.filter((a) => a.kind !== 'system').slice(0, top).map((a) => [formatBytes(a.bytes), formatPercent(a.percent), a.functionName || '(anonymous)', `${rel(a.file)}:${a.line}`])));
  }
  if (report.inlining.unplacedTicks > 0 || report.inlining.movedTicks > 0) {
    out.push('', `Inlining: ${report.inlining.movedTicks} of ${report.inlining.totalTicks} line ticks moved to inlined callees; ${formatPercent(report.inlining.unplacedPercent)} could not be placed.`);
  }
  return out.join('\n');
}

function table(header: string[], rows: string[][]): string[] {
  if (rows.length === 0) return ['  (none)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]): string => '  ' + cells.map((c, i) => (i < 2 ? c.padStart(widths[i]!) : i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [fmt(header), ...rows.map(fmt)];
}
