import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tree-sitter queries are imported as text, as esbuild's `.scm` text loader does for the bundles.
  plugins: [{ name: 'scm-text', transform: (_code: string, id: string) => (id.endsWith('.scm') ? `export default ${JSON.stringify(readFileSync(id, 'utf8'))};` : undefined) }],
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
