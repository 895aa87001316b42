import { describe, expect, it } from 'vitest';
import { parseProfileArgs, UsageError } from '../../../src/cli/args';

describe('perflens profile arguments', () => {
  it('everything after the script belongs to the script', () => {
    const a = parseProfileArgs(['--json', '--top', '5', 'app.js', '--json', 'x'], '/w');
    expect(a.json).toBe(true);
    expect(a.top).toBe(5);
    expect(a.target).toEqual({ kind: 'script', file: 'app.js', args: ['--json', 'x'] });
  });
  it('--npm with arguments after --, and -- with a command', () => {
    expect(parseProfileArgs(['--npm', 'render', '--', '--fast'], '/w').target).toEqual({ kind: 'npm', script: 'render', packageDir: '/w', args: ['--fast'] });
    expect(parseProfileArgs(['--timeout', '2', '--', 'node', 'a.js'], '/w')).toMatchObject({ timeoutSec: 2, target: { kind: 'command', command: 'node', args: ['a.js'] } });
  });
  it('bad usage is a UsageError with a clear message', () => {
    expect(() => parseProfileArgs([], '/w')).toThrow(UsageError);
    expect(() => parseProfileArgs(['--interval', 'fast', 'a.js'], '/w')).toThrow(/--interval needs a positive number, not "fast"/);
    expect(() => parseProfileArgs(['--import', 'a.cpuprofile', 'b.js'], '/w')).toThrow(/cannot be combined/);
    expect(() => parseProfileArgs(['--bogus'], '/w')).toThrow(/unknown option --bogus/);
  });
});
