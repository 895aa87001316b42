/** Shared types of the static detectors (issue 3). Pure data: no editor types. */

export type RuleId = 'blocking-call' | 'n-plus-one';
export const RULE_IDS: readonly RuleId[] = ['blocking-call', 'n-plus-one'];
export type Severity = 'error' | 'warning' | 'information' | 'hint';
export type LanguageId = 'javascript' | 'typescript' | 'tsx' | 'python';

export interface RelatedLocation {
  /** Absolute path of the file. */
  file: string;
  /** 1-based line. */
  line: number;
  message: string;
}

export interface Finding {
  /** A built-in rule (`RuleId`) or the id of a custom rule from `.perflens/rules`. */
  rule: RuleId | (string & {});
  /** Absolute path of the file. */
  file: string;
  /** 1-based line and column of the first token of the call or access. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Severity;
  message: string;
  related: RelatedLocation[];
  /** A correct edit that removes the problem, when the analyser knows one (editor quick fix). */
  fix?: FindingFix;
}

/** A replacement of a range of the finding's file; 1-based lines and columns, end exclusive. */
export interface FixEdit {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  text: string;
}

export interface FindingFix {
  title: string;
  edits: FixEdit[];
}

export type SkipReason = 'minified' | 'generated' | 'binary' | 'oversized' | 'unreadable' | 'unsupported';

export interface FileResult {
  file: string;
  findings: Finding[];
  /** Set when the file was not analysed. */
  skipped?: SkipReason;
  /** Notes for the log: parse errors, limits reached. */
  notes: string[];
}

/** A module and name pattern: `*` in either matches any run of characters. */
export interface ApiPattern {
  module: string;
  name: string;
}

export interface DetectorOptions {
  /** Extra blocking APIs: `{ module: 'my-fs', name: '*Sync' }`. */
  extraBlockingApis?: ApiPattern[];
  /** Extra query APIs (N+1): `{ module: './db', name: 'query*' }` or a package name. */
  extraQueryApis?: ApiPattern[];
  /** Extra handler registrations: `{ module: 'my-router', name: 'route' }` — functions passed to these calls serve requests. */
  extraHandlerRegistrations?: ApiPattern[];
  severity?: Partial<Record<RuleId, Severity | 'off'>>;
  /** Files larger than this are skipped as oversized (default 2 MB). */
  maxFileBytes?: number;
}

/** Cancellation, shaped like VS Code's token so the editor can pass its own. */
export interface CancellationToken {
  readonly isCancellationRequested: boolean;
}

export class CancelledError extends Error {
  constructor() {
    super('analysis cancelled');
    this.name = 'CancelledError';
  }
}

export function patternToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`);
}

export function matchesApi(patterns: readonly ApiPattern[] | undefined, module: string, name: string): boolean {
  if (!patterns) return false;
  return patterns.some((p) => patternToRegExp(p.module).test(module) && patternToRegExp(p.name).test(name));
}
