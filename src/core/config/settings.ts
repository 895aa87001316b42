/**
 * Every PerfLens setting, defined once. package.json `contributes.configuration` must agree with
 * this table (a unit test compares them); the extension and the CLI read settings through
 * `readSettings`, which checks each value and falls back to the default with a warning that names
 * the setting, so a bad value never stops anything.
 */

import { BENCH_FORMATS } from '../bench/importers';

const SEVERITIES = ['off', 'hint', 'information', 'warning', 'error'] as const;

interface SettingBase {
  description: string;
  /** Not applied from an untrusted workspace's settings (they decide what runs). */
  restricted?: boolean;
  scope?: 'application' | 'machine' | 'machine-overridable' | 'window' | 'resource';
}
export interface NumberSetting extends SettingBase { type: 'number'; default: number; minimum: number; maximum: number }
export interface BooleanSetting extends SettingBase { type: 'boolean'; default: boolean }
export interface StringSetting extends SettingBase { type: 'string'; default: string; enum?: readonly string[] }
export interface StringArraySetting extends SettingBase { type: 'array'; default: string[] }
export interface StringMapSetting extends SettingBase { type: 'object'; default: Record<string, string> }
/** One field of the objects in an ObjectArraySetting. `command`: a command line or an argv array. */
export type FieldSchema =
  | { type: 'string'; description: string; enum?: readonly string[] }
  | { type: 'number'; description: string; integer?: boolean; minimum?: number; maximum?: number }
  | { type: 'command'; description: string };
export type FieldValue = string | number | string[];
export type ObjectItem = Record<string, FieldValue>;
/** A list of objects (e.g. configured benchmarks); each bad entry is dropped with a warning naming it. */
export interface ObjectArraySetting extends SettingBase {
  type: 'array';
  default: ObjectItem[];
  fields: Record<string, FieldSchema>;
  required: readonly string[];
}
export type SettingDefinition = NumberSetting | BooleanSetting | StringSetting | StringArraySetting | StringMapSetting | ObjectArraySetting;

export const settingDefinitions = {
  'profile.samplingIntervalMicros': {
    type: 'number', default: 1000, minimum: 50, maximum: 100_000,
    description: 'CPU sampling interval in microseconds. Smaller sees shorter functions and costs more; 1000 (1 ms) suits most programs.',
  },
  'profile.heapProfile': {
    type: 'boolean', default: true,
    description: 'Also record a sampling heap profile, to show the bytes each line and function allocates.',
  },
  'profile.timeoutSeconds': {
    type: 'number', default: 0, minimum: 0, maximum: 86_400,
    description: 'End the profiled program and every process it started after this many seconds (0: no limit). What was captured until then is still shown.',
  },
  'profile.nodePath': {
    type: 'string', default: '', restricted: true, scope: 'machine-overridable',
    description: 'The `node` executable that runs profiled programs. Empty: `node` from PATH.',
  },
  'profile.nodeArgs': {
    type: 'array', default: [], restricted: true,
    description: 'Extra arguments for `node`, placed before the script (for example `--max-old-space-size=4096`).',
  },
  'profile.args': {
    type: 'array', default: [], restricted: true,
    description: 'Arguments passed to the profiled script.',
  },
  'profile.env': {
    type: 'object', default: {}, restricted: true,
    description: 'Extra environment variables for the profiled program.',
  },
  'display.heatThresholdPercent': {
    type: 'number', default: 0.5, minimum: 0, maximum: 100,
    description: 'Lines with less self time than this share of all samples get no heat.',
  },
  'display.inlineThresholdPercent': {
    type: 'number', default: 2, minimum: 0, maximum: 100,
    description: 'Lines with at least this share of all samples show their figures inline ("12.4% · 38 ms").',
  },
  'display.codeLens': {
    type: 'boolean', default: true,
    description: 'Show self and total time above each profiled function.',
  },
  'detectors.blockingCall.severity': {
    type: 'string', default: 'warning', enum: SEVERITIES,
    description: 'How `blocking-call` findings (a synchronous, blocking call where concurrent work is served) are shown; `off` turns the rule off.',
  },
  'detectors.nPlusOne.severity': {
    type: 'string', default: 'warning', enum: SEVERITIES,
    description: 'How `n-plus-one` findings (one query or request per item of a collection) are shown; `off` turns the rule off.',
  },
  'detectors.extraBlockingApis': {
    type: 'array', default: [],
    description: 'More blocking APIs, as `module#name` patterns (`*` matches any run of characters): `legacy-fs#*Sync`, `./lib/disk#readAll`.',
  },
  'detectors.extraQueryApis': {
    type: 'array', default: [],
    description: 'More query APIs for `n-plus-one`, as `module#name` patterns: `./db#query*`, `@acme/orm#find*`.',
  },
  'detectors.extraHandlerRegistrations': {
    type: 'array', default: [],
    description: 'Functions whose callback arguments serve requests, as `module#name` patterns: `./router#route`, `@acme/http#on*`.',
  },
  'detectors.ignore': {
    type: 'array', default: [],
    description: 'Glob patterns, relative to the workspace folder, of files the detectors leave alone (`**/fixtures/**`). node_modules, `.gitignore`d files and `files.exclude` are always left out of workspace scans.',
  },
  'bench.benchmarks': {
    type: 'array', default: [], restricted: true,
    fields: {
      name: { type: 'string', description: 'Name of the benchmark; becomes the suite of its results in the history.' },
      command: { type: 'command', description: 'Command line (split on spaces and quotes, no shell) or argv array.' },
      format: { type: 'string', enum: BENCH_FORMATS, description: 'Which tool\'s output the command prints.' },
      cwd: { type: 'string', description: 'Working directory, relative to the workspace folder.' },
      repeat: { type: 'number', integer: true, minimum: 1, maximum: 1000, description: 'Run the command this many times; the runs become the samples of one result.' },
      output: { type: 'string', description: 'Read the tool\'s output from this file (relative to cwd) instead of stdout.' },
    },
    required: ['name', 'command', 'format'],
    description: 'Benchmarks *PerfLens: Run benchmarks* runs: `{ "name", "command", "format", "cwd"?, "repeat"? }`. Empty: the `benchmarks` of `.perflens/config.json` (what `perflens bench run` reads). Ignored in untrusted workspaces.',
  },
  'bench.historyFile': {
    type: 'string', default: '.perflens/history.jsonl',
    description: 'The benchmark history (JSON Lines, format v1), relative to the workspace folder.',
  },
  'bench.budgets': {
    type: 'array', default: [],
    fields: {
      match: { type: 'string', description: 'Glob on "suite/name" (`*`, `?`).' },
      max: { type: 'number', description: 'The value must stay at or below this.' },
      min: { type: 'number', description: 'The value must stay at or above this.' },
      maxChangePercent: { type: 'number', minimum: 0, description: 'Largest change against the baseline, in percent in the worse direction.' },
    },
    required: ['match'],
    description: 'Performance budgets: `{ "match": "suite/name glob", "max"?, "min"?, "maxChangePercent"? }`. Used before those of `.perflens/budgets.json`.',
  },
} as const satisfies Record<string, SettingDefinition>;

export type SettingKey = keyof typeof settingDefinitions;
type ValueOf<D> = D extends { type: 'string'; enum: readonly (infer E)[] } ? E
  : D extends { type: 'number' } ? number
  : D extends { type: 'boolean' } ? boolean
    : D extends { type: 'string' } ? string
      : D extends { type: 'array'; fields: object } ? ObjectItem[]
        : D extends { type: 'array' } ? string[]
        : Record<string, string>;
export type Settings = { [K in SettingKey]: ValueOf<(typeof settingDefinitions)[K]> };

export const SETTINGS_SECTION = 'perflens';

export function defaultSettings(): Settings {
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(settingDefinitions) as [SettingKey, SettingDefinition][]) {
    out[key] = copyJson(def.default);
  }
  return out as Settings;
}

/**
 * Checks raw values (from VS Code's configuration or a JSON file) against the definitions.
 * `get(key)` returns undefined for unset. Invalid values are replaced by the default, and
 * `warn` receives one line naming the setting and the problem.
 */
export function readSettings(get: (key: SettingKey) => unknown, warn: (message: string) => void): Settings {
  const out = defaultSettings() as Record<string, unknown>;
  for (const [key, def] of Object.entries(settingDefinitions) as [SettingKey, SettingDefinition][]) {
    const raw = get(key);
    if (raw === undefined || raw === null) continue;
    if (def.type === 'array' && 'fields' in def) {
      out[key] = checkObjectArray(key, def, raw, warn);
      continue;
    }
    const problem = checkValue(def, raw);
    if (problem) warn(`Setting ${SETTINGS_SECTION}.${key} ${problem}; using the default (${JSON.stringify(def.default)}).`);
    else out[key] = copyJson(raw);
  }
  return out as Settings;
}

/** Keeps the valid entries of an object list; warns once per bad entry, naming it by index and name. */
function checkObjectArray(key: SettingKey, def: ObjectArraySetting, raw: unknown, warn: (message: string) => void): ObjectItem[] {
  if (!Array.isArray(raw)) {
    warn(`Setting ${SETTINGS_SECTION}.${key} must be a list of objects, not ${describe(raw)}; using the default (${JSON.stringify(def.default)}).`);
    return copyJson(def.default);
  }
  const out: ObjectItem[] = [];
  raw.forEach((entry: unknown, i) => {
    const problem = objectProblem(def, entry);
    if (!problem) {
      out.push(copyJson(entry as ObjectItem));
      return;
    }
    const name = entry !== null && typeof entry === 'object' && typeof (entry as Record<string, unknown>).name === 'string' ? ` ("${(entry as Record<string, string>).name}")` : '';
    warn(`Setting ${SETTINGS_SECTION}.${key}[${i}]${name}: ${problem}; that entry is ignored.`);
  });
  return out;
}

function objectProblem(def: ObjectArraySetting, entry: unknown): string | undefined {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return `must be an object, not ${describe(entry)}`;
  const obj = entry as Record<string, unknown>;
  for (const field of def.required) if (obj[field] === undefined) return `"${field}" is missing`;
  for (const [field, value] of Object.entries(obj)) {
    const schema = def.fields[field];
    if (!schema) return `unknown field "${field}" (known: ${Object.keys(def.fields).join(', ')})`;
    const problem = fieldProblem(schema, value);
    if (problem) return `"${field}" ${problem}`;
  }
  return undefined;
}

export function fieldProblem(schema: FieldSchema, value: unknown): string | undefined {
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return `must be a string, not ${describe(value)}`;
      if (schema.enum && !schema.enum.includes(value)) return `must be one of ${schema.enum.join(', ')}, not ${describe(value)}`;
      return undefined;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a number, not ${describe(value)}`;
      if (schema.integer && !Number.isInteger(value)) return `must be a whole number, not ${value}`;
      if (schema.minimum !== undefined && value < schema.minimum) return `must be at least ${schema.minimum}, not ${value}`;
      if (schema.maximum !== undefined && value > schema.maximum) return `must be at most ${schema.maximum}, not ${value}`;
      return undefined;
    case 'command':
      if (typeof value === 'string' && value.trim() !== '') return undefined;
      if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return undefined;
      return `must be a command line or a non-empty list of strings, not ${describe(value)}`;
  }
}

function fieldJsonSchema(schema: FieldSchema): Record<string, unknown> {
  switch (schema.type) {
    case 'string':
      return schema.enum ? { type: 'string', enum: [...schema.enum], description: schema.description } : { type: 'string', description: schema.description };
    case 'number': {
      const out: Record<string, unknown> = { type: schema.integer ? 'integer' : 'number', description: schema.description };
      if (schema.minimum !== undefined) out.minimum = schema.minimum;
      if (schema.maximum !== undefined) out.maximum = schema.maximum;
      return out;
    }
    case 'command':
      return { type: ['string', 'array'], items: { type: 'string' }, description: schema.description };
  }
}

function checkValue(def: SettingDefinition, raw: unknown): string | undefined {
  switch (def.type) {
    case 'number':
      if (typeof raw !== 'number' || !Number.isFinite(raw)) return `must be a number, not ${describe(raw)}`;
      if (raw < def.minimum || raw > def.maximum) return `must be between ${def.minimum} and ${def.maximum}, not ${raw}`;
      return undefined;
    case 'boolean':
      return typeof raw === 'boolean' ? undefined : `must be true or false, not ${describe(raw)}`;
    case 'string':
      if (typeof raw !== 'string') return `must be a string, not ${describe(raw)}`;
      if (def.enum && !def.enum.includes(raw)) return `must be one of ${def.enum.join(', ')}, not ${describe(raw)}`;
      return undefined;
    case 'array':
      return Array.isArray(raw) && raw.every((v) => typeof v === 'string') ? undefined : 'must be a list of strings';
    case 'object':
      return raw !== null && typeof raw === 'object' && !Array.isArray(raw) && Object.values(raw).every((v) => typeof v === 'string')
        ? undefined
        : 'must be an object whose values are strings';
  }
}

/** A plain copy (values from VS Code's configuration are proxies that structuredClone refuses). */
function copyJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** The `contributes.configuration.properties` entries package.json must hold. */
export function configurationContribution(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [key, def] of Object.entries(settingDefinitions) as [SettingKey, SettingDefinition][]) {
    const entry: Record<string, unknown> = { type: def.type, default: def.default, markdownDescription: def.description };
    if (def.type === 'number') { entry.minimum = def.minimum; entry.maximum = def.maximum; }
    if (def.type === 'string' && def.enum) entry.enum = [...def.enum];
    if (def.type === 'array') {
      entry.items = 'fields' in def
        ? {
          type: 'object',
          properties: Object.fromEntries(Object.entries(def.fields).map(([f, schema]) => [f, fieldJsonSchema(schema)])),
          required: [...def.required],
          additionalProperties: false,
        }
        : { type: 'string' };
    }
    if (def.type === 'object') entry.additionalProperties = { type: 'string' };
    if (def.scope) entry.scope = def.scope;
    out[`${SETTINGS_SECTION}.${key}`] = entry;
  }
  return out;
}

export function restrictedSettings(): string[] {
  return (Object.entries(settingDefinitions) as [SettingKey, SettingDefinition][])
    .filter(([, def]) => def.restricted)
    .map(([key]) => `${SETTINGS_SECTION}.${key}`);
}
