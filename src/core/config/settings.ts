/**
 * Every PerfLens setting, defined once. package.json `contributes.configuration` must agree with
 * this table (a unit test compares them); the extension and the CLI read settings through
 * `readSettings`, which checks each value and falls back to the default with a warning that names
 * the setting, so a bad value never stops anything.
 */

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
export type SettingDefinition = NumberSetting | BooleanSetting | StringSetting | StringArraySetting | StringMapSetting;

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
} as const satisfies Record<string, SettingDefinition>;

export type SettingKey = keyof typeof settingDefinitions;
type ValueOf<D> = D extends { type: 'string'; enum: readonly (infer E)[] } ? E
  : D extends { type: 'number' } ? number
  : D extends { type: 'boolean' } ? boolean
    : D extends { type: 'string' } ? string
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
    const problem = checkValue(def, raw);
    if (problem) warn(`Setting ${SETTINGS_SECTION}.${key} ${problem}; using the default (${JSON.stringify(def.default)}).`);
    else out[key] = copyJson(raw);
  }
  return out as Settings;
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
    if (def.type === 'array') entry.items = { type: 'string' };
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
