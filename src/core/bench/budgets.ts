/** Performance budgets (`.perflens/budgets.json`) and their glob matching. */
import { promises as fs } from 'node:fs';

export interface Budget {
  /** Glob on "suite/name": `*` any run of characters, `?` one character. */
  match: string;
  /** The value must stay at or below this (in the series' unit). */
  max?: number;
  /** The value must stay at or above this. */
  min?: number;
  /** The change against the baseline, in percent in the worse direction, must stay at or below this. */
  maxChangePercent?: number;
}

export class BudgetFileError extends Error {}

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** Validates the parsed budgets file: `{ "budgets": [...] }` or a bare array. */
export function parseBudgets(data: unknown, file = 'budgets.json'): Budget[] {
  const list = Array.isArray(data) ? data : (data as { budgets?: unknown } | null)?.budgets;
  if (!Array.isArray(list)) throw new BudgetFileError(`${file}: expected { "budgets": [ … ] }`);
  return list.map((entry: unknown, i) => {
    const e = entry as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null || typeof e.match !== 'string') throw new BudgetFileError(`${file}: budgets[${i}] needs a "match" glob`);
    const b: Budget = { match: e.match };
    for (const key of ['max', 'min', 'maxChangePercent'] as const) {
      if (e[key] === undefined) continue;
      if (typeof e[key] !== 'number' || !Number.isFinite(e[key])) throw new BudgetFileError(`${file}: budgets[${i}].${key} must be a number`);
      b[key] = e[key];
    }
    if (b.max === undefined && b.min === undefined && b.maxChangePercent === undefined) {
      throw new BudgetFileError(`${file}: budgets[${i}] sets none of "max", "min", "maxChangePercent"`);
    }
    return b;
  });
}

/** Reads a budgets file; a missing file means no budgets. */
export async function readBudgets(file: string): Promise<Budget[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new BudgetFileError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  return parseBudgets(data, file);
}

/** The first budget whose glob matches "suite/name". */
export function findBudget(budgets: Budget[], suite: string, name: string): Budget | undefined {
  const key = `${suite}/${name}`;
  return budgets.find((b) => globToRegExp(b.match).test(key));
}
