import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../../../src/core/config/settings';
import { detectorOptionsFrom } from '../../../src/core/detectorSettings';
import { globToRegExp, matchesAnyGlob } from '../../../src/core/glob';

describe('globs as VS Code settings write them', () => {
  it('** crosses folders, * and ? stay within a name, {a,b} and [ab] choose', () => {
    expect(globToRegExp('**/fixtures/**').test('test/fixtures/a/b.js')).toBe(true);
    expect(globToRegExp('**/*.min.js').test('dist/app.min.js')).toBe(true);
    expect(globToRegExp('**/*.min.js').test('app.min.js')).toBe(true);
    expect(globToRegExp('src/*.ts').test('src/a/b.ts')).toBe(false);
    expect(globToRegExp('src/?.ts').test('src/a.ts')).toBe(true);
    expect(globToRegExp('**/*.{js,py}').test('a/b.py')).toBe(true);
    expect(globToRegExp('**/*.{js,py}').test('a/b.ts')).toBe(false);
    expect(globToRegExp('[ab].js').test('b.js')).toBe(true);
    expect(globToRegExp('a.js').test('aXjs')).toBe(false);
  });

  it('a path matches when it or one of its folders does (files.exclude "**/.git")', () => {
    expect(matchesAnyGlob('.git/config', ['**/.git'])).toBe(true);
    expect(matchesAnyGlob('pkg/node_modules/x/index.js', ['**/node_modules'])).toBe(true);
    expect(matchesAnyGlob('src\\app.js', ['src/*.js'])).toBe(true);
    expect(matchesAnyGlob('src/app.js', ['lib/**'])).toBe(false);
  });
});

describe('detector options from settings', () => {
  it('module#name patterns, severities, and a warning for an entry it cannot read', () => {
    const settings = defaultSettings();
    settings['detectors.extraBlockingApis'] = ['legacy-fs#*Sync', 'node:fs#readSync', 'readAllNow', '#'];
    settings['detectors.nPlusOne.severity'] = 'off';
    const { options, warnings } = detectorOptionsFrom(settings);
    expect(options.extraBlockingApis).toEqual([
      { module: 'legacy-fs', name: '*Sync' },
      { module: 'node:fs', name: 'readSync' },
      { module: '*', name: 'readAllNow' },
    ]);
    expect(options.severity).toEqual({ 'blocking-call': 'warning', 'n-plus-one': 'off' });
    expect(warnings).toEqual(['Setting perflens.detectors.extraBlockingApis: "#" is not a module#name pattern; it is ignored.']);
  });
});
