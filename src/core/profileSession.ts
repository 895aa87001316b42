import { analyzeProfiles, processSourcesFromRun } from './profile';
import type { ProfileReport } from './profile/report';
import { runProfiled } from './run/runner';
import type { RunOptions, RunResult } from './run/types';

export interface ProfileSessionResult {
  run: RunResult;
  /** Undefined when no process wrote a profile (it could not start, or was killed before the agent loaded). */
  report?: ProfileReport;
}

/** Runs a program under the capture agent and analyses what every process of it recorded. */
export async function profileProgram(options: RunOptions & {
  workspaceRoot?: string;
  onPhase?: (phase: 'running' | 'analysing') => void;
  /** How to analyse; default in this thread. The extension passes a worker-thread analyser. */
  analyze?: typeof analyzeProfiles;
}): Promise<ProfileSessionResult> {
  options.onPhase?.('running');
  const run = await runProfiled(options);
  const sources = processSourcesFromRun(run.processes);
  if (sources.length === 0) return { run };
  options.onPhase?.('analysing');
  const analyze = options.analyze ?? analyzeProfiles;
  const report = await analyze(sources, { log: options.log, workspaceRoot: options.workspaceRoot, wallMs: run.wallMs });
  return { run, report };
}

/** One line for the user when a run did not end well; undefined when it did. */
export function describeRunProblem(run: RunResult): string | undefined {
  if (run.startError) return `Could not start ${run.command.join(' ')}: ${run.startError}`;
  if (run.timedOut) return `Stopped after the time limit (${(run.wallMs / 1000).toFixed(1)} s); showing what was captured until then.`;
  if (run.cancelled) return 'Cancelled; showing what was captured until then.';
  if (run.exitCode !== null && run.exitCode !== 0) {
    const last = lastMeaningfulLine(run.stderrTail);
    return `The program exited with code ${run.exitCode}${last ? `: ${last}` : ''}`;
  }
  if (run.signal) return `The program was ended by ${run.signal}.`;
  return undefined;
}

function lastMeaningfulLine(text: string): string | undefined {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0 && !/^at\s/.test(l) && !/^Node\.js v\d/.test(l));
  // An uncaught error prints "path:line", the source line, a caret, then "Error: message": prefer the error line.
  const error = [...lines].reverse().find((l) => /^\w*(Error|Exception)\b/.test(l));
  const pick = error ?? lines[lines.length - 1];
  return pick === undefined ? undefined : pick.length > 200 ? `${pick.slice(0, 200)}…` : pick;
}

