// The .vsix holds only what runs: .vscodeignore is an allow-list. `vsce ls` lists what
// `npm run package` would pack, without packing.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { ensureBuilt, repoRoot } from './cliHarness';

beforeAll(() => ensureBuilt(), 120_000);

it('the extension package holds the bundles, media and grammars, and nothing of the sources or tests', () => {
  const out = execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce'), 'ls'], { cwd: repoRoot, encoding: 'utf8' });
  const files = out.split('\n').map((l) => l.trim()).filter(Boolean);
  for (const required of ['package.json', 'README.md', 'CHANGELOG.md', 'dist/extension.js', 'dist/cli.js', 'dist/perflens-agent.js', 'dist/mappings.wasm', 'media/heat-5.svg', 'dist/grammars/tree-sitter-python.wasm', 'bin/perflens.js', 'node_modules/esbuild/lib/main.js', 'docs/rules/blocking-call.md', 'docs/rules/n-plus-one.md', 'dist/webview/history.main.js', 'dist/webview/history.main.css', 'media/history.css']) {
    expect(files, required).toContain(required);
  }
  // docs/rules/ ships: diagnostics link to those pages.
  expect(files.filter((f) => (/^(src|test|scripts|bench|examples|docs)\//.test(f) && !f.startsWith('docs/rules/')) || f.startsWith('node_modules/typescript/') || f.endsWith('.map'))).toEqual([]);
}, 60_000);
