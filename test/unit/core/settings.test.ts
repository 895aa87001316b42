import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configurationContribution, defaultSettings, readSettings, restrictedSettings, type SettingKey } from '../../../src/core/config/settings';

const manifest = JSON.parse(readFileSync(path.join(__dirname, '../../../package.json'), 'utf8'));

describe('settings', () => {
  it('package.json contributes exactly the settings defined in src/core/config/settings.ts', () => {
    expect(manifest.contributes.configuration.properties).toEqual(configurationContribution());
  });

  it('settings that decide what runs are restricted in untrusted workspaces', () => {
    expect(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations).toEqual(restrictedSettings());
    expect(restrictedSettings()).toEqual(expect.arrayContaining(['perflens.profile.nodePath', 'perflens.profile.env', 'perflens.profile.nodeArgs']));
  });

  it('a bad value falls back to the default with a warning naming the setting', () => {
    const warnings: string[] = [];
    const raw: Partial<Record<SettingKey, unknown>> = {
      'profile.samplingIntervalMicros': 'fast',
      'profile.timeoutSeconds': -5,
      'profile.env': { FOO: 1 },
      'display.codeLens': false,
      'profile.nodeArgs': ['--max-old-space-size=4096'],
    };
    const settings = readSettings((k) => raw[k], (m) => warnings.push(m));
    expect(settings['profile.samplingIntervalMicros']).toBe(1000);
    expect(settings['profile.timeoutSeconds']).toBe(0);
    expect(settings['profile.env']).toEqual({});
    expect(settings['display.codeLens']).toBe(false);
    expect(settings['profile.nodeArgs']).toEqual(['--max-old-space-size=4096']);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/perflens\.profile\.samplingIntervalMicros must be a number, not "fast"/);
    expect(warnings[1]).toMatch(/perflens\.profile\.timeoutSeconds must be between 0 and/);
    expect(warnings[2]).toMatch(/perflens\.profile\.env must be an object whose values are strings/);
  });

  it('defaults are copies, not shared objects', () => {
    const a = defaultSettings();
    a['profile.nodeArgs'].push('--x');
    expect(defaultSettings()['profile.nodeArgs']).toEqual([]);
  });

  it('configured benchmarks: each bad entry is dropped with a warning naming it, the good ones kept', () => {
    const warnings: string[] = [];
    const raw: Partial<Record<SettingKey, unknown>> = {
      'bench.benchmarks': [
        { name: 'parse', command: 'node bench/parse.js', format: 'custom-smaller' },
        { name: 'render', command: 'node r.js', format: 'jmh' },
        { name: 'argv', command: ['node', 'a.js'], format: 'hyperfine', cwd: 'bench', repeat: 3 },
        { name: 'twice', command: 'x', format: 'go', repeat: 2.5 },
        { command: 'x', format: 'go' },
        'node x.js',
        { name: 'extra', command: 'x', format: 'go', shell: true },
        { name: 'empty', command: [], format: 'go' },
      ],
    };
    const settings = readSettings((k) => raw[k], (m) => warnings.push(m));
    expect(settings['bench.benchmarks'].map((b) => b.name)).toEqual(['parse', 'argv']);
    expect(settings['bench.benchmarks'][1]).toEqual({ name: 'argv', command: ['node', 'a.js'], format: 'hyperfine', cwd: 'bench', repeat: 3 });
    expect(warnings).toHaveLength(6);
    expect(warnings[0]).toMatch(/perflens\.bench\.benchmarks\[1\] \("render"\): "format" must be one of vitest, .*, not "jmh"/);
    expect(warnings[1]).toMatch(/benchmarks\[3\] \("twice"\): "repeat" must be a whole number/);
    expect(warnings[2]).toMatch(/benchmarks\[4\]: "name" is missing/);
    expect(warnings[3]).toMatch(/benchmarks\[5\]: must be an object/);
    expect(warnings[4]).toMatch(/benchmarks\[6\] \("extra"\): unknown field "shell"/);
    expect(warnings[5]).toMatch(/benchmarks\[7\] \("empty"\): "command" must be a command line or a non-empty list/);
  });

  it('a benchmark list that is not a list falls back to none', () => {
    const warnings: string[] = [];
    const settings = readSettings((k) => (k === 'bench.benchmarks' ? { name: 'x' } : undefined), (m) => warnings.push(m));
    expect(settings['bench.benchmarks']).toEqual([]);
    expect(warnings[0]).toMatch(/perflens\.bench\.benchmarks must be a list of objects/);
  });

  it('benchmark commands are restricted in untrusted workspaces; the history file is not', () => {
    expect(restrictedSettings()).toContain('perflens.bench.benchmarks');
    expect(restrictedSettings()).not.toContain('perflens.bench.historyFile');
    expect(defaultSettings()['bench.historyFile']).toBe('.perflens/history.jsonl');
  });

  it('package.json describes the benchmark objects for the settings editor', () => {
    const items = manifest.contributes.configuration.properties['perflens.bench.benchmarks'].items;
    expect(items.required).toEqual(['name', 'command', 'format']);
    expect(items.properties.format.enum).toContain('hyperfine');
    expect(items.additionalProperties).toBe(false);
  });
});
