import { execFileSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureText, programsDir, RECORDED, repoRoot, tempDir, ensureFixtureBuilds } from './fixtures';

// The extension and the CLI run src/core/profile bundled by esbuild, where `source-map` looks for
// mappings.wasm next to the bundle (esbuild.mjs copies it to dist/). This runs such a bundle.
describe('source maps from an esbuild bundle of src/core/profile', () => {
  beforeAll(ensureFixtureBuilds);
  const { dir, cleanup } = tempDir('wasm');
  afterAll(cleanup);
  const profile = join(dir, 'ts-geometry.cpuprofile');
  const entry = join(dir, 'entry.ts');
  const bundleFile = join(dir, 'analyze.cjs');
  const run = (): { lines: { file: string }[]; warnings: string[] } =>
    JSON.parse(execFileSync(process.execPath, [bundleFile, profile], { encoding: 'utf8' })) as { lines: { file: string }[]; warnings: string[] };

  beforeAll(async () => {
    writeFileSync(profile, fixtureText(`node-cpu-prof/${RECORDED}/ts-geometry.cpuprofile`));
    writeFileSync(
      entry,
      [
        `import { analyzeProfiles } from ${JSON.stringify(join(repoRoot, 'src', 'core', 'profile'))};`,
        `import { silentLogger } from ${JSON.stringify(join(repoRoot, 'src', 'core', 'log'))};`,
        'void analyzeProfiles([{ cpuProfilePath: process.argv[2] }], { log: silentLogger }).then((r) => process.stdout.write(JSON.stringify(r)));',
      ].join('\n'),
    );
    await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: bundleFile, logLevel: 'silent' });
  });

  it('without mappings.wasm next to the bundle: generated locations and one clear warning, no crash', () => {
    const report = run();
    expect(report.lines[0]!.file).toBe(join(programsDir, 'ts-geometry', 'out', 'geometry.js'));
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toMatch(/^source maps not applied: the source-map decoder could not start \(.*mappings\.wasm.*\); generated locations are used for (main|geometry)\.js, (main|geometry)\.js$/);
  });

  it('with mappings.wasm copied next to it (as the build does): original locations', () => {
    copyFileSync(join(repoRoot, 'node_modules', 'source-map', 'lib', 'mappings.wasm'), join(dir, 'mappings.wasm'));
    const report = run();
    expect(report.lines[0]!.file).toBe(join(programsDir, 'ts-geometry', 'src', 'geometry.ts'));
    expect(report.warnings).toEqual([]);
  });
});
