/** The series a profiling run adds to the history (suite `profile`): wall time, CPU time, peak memory. */
import type { BenchResult } from './types';

export interface ProfileRunFigures {
  /** What was profiled, e.g. the script's workspace-relative path; becomes the name prefix. */
  target: string;
  wallMs: number;
  cpuMs?: number;
  peakMemoryBytes?: number;
}

export const PROFILE_SUITE = 'profile';

/** BenchResults for one profiling run, ready for toRecords + appendRecords. */
export function profileRunResults(f: ProfileRunFigures): BenchResult[] {
  const out: BenchResult[] = [{ suite: PROFILE_SUITE, name: `${f.target} · wall time`, unit: 'ms', better: 'lower', value: f.wallMs, tool: 'perflens-profile' }];
  if (f.cpuMs !== undefined) out.push({ suite: PROFILE_SUITE, name: `${f.target} · CPU time`, unit: 'ms', better: 'lower', value: f.cpuMs, tool: 'perflens-profile' });
  if (f.peakMemoryBytes !== undefined) out.push({ suite: PROFILE_SUITE, name: `${f.target} · peak memory`, unit: 'B', better: 'lower', value: f.peakMemoryBytes, tool: 'perflens-profile' });
  return out.filter((r) => Number.isFinite(r.value));
}
