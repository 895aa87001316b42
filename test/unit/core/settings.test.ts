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
});
