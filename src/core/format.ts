/** Short, stable number formats shared by the editor and the CLI. */

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function formatPercent(percent: number): string {
  if (!Number.isFinite(percent)) return '–';
  if (percent >= 10) return `${percent.toFixed(1)}%`;
  if (percent >= 1) return `${percent.toFixed(1)}%`;
  return `${percent.toFixed(2)}%`;
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** The inline figure after a hot line: "12.4% · 38 ms". */
export function inlineLabel(selfPercent: number, selfMs: number): string {
  return `${formatPercent(selfPercent)} · ${formatMs(selfMs)}`;
}

/** Last path segments for display ("src/geometry.ts"). */
export function shortPath(file: string, segments = 2): string {
  const parts = file.split(/[\\/]/).filter((p) => p.length > 0);
  return parts.slice(-segments).join('/') || file;
}
