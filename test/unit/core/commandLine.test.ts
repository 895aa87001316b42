import { describe, expect, it } from 'vitest';
import { splitCommandLine } from '../../../src/core/commandLine';

describe('splitCommandLine', () => {
  it('splits words and honours quotes and escapes', () => {
    expect(splitCommandLine(`node "my server.js" --name 'a b' x\\ y ""`)).toEqual(['node', 'my server.js', '--name', 'a b', 'x y', '']);
  });
  it('refuses what needs a shell instead of running something else', () => {
    expect(() => splitCommandLine('node a.js | grep x')).toThrow(/needs a shell/);
    expect(() => splitCommandLine('node $HOME/a.js')).toThrow(/needs a shell/);
    expect(() => splitCommandLine('node "a.js')).toThrow(/unclosed " quote/);
  });
});
