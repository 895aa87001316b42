import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSourceMappingUrl, sourceCandidates } from '../../../src/core/profile/sourceMaps';
import { analyze, bundle, compileTypeScript, copyProgram, fixtureSource, hottestUserLine, lineOf, programsDir, RECORDED, recordCpuProfile, tempDir, ensureFixtureBuilds } from './fixtures';

/** Rewrites a file for the duration of `body`, then puts it back. */
async function withFile(path: string, rewrite: (text: string) => string | null, body: () => Promise<void>): Promise<void> {
  const original = readFileSync(path, 'utf8');
  const next = rewrite(original);
  if (next === null) rmSync(path);
  else writeFileSync(path, next);
  try {
    await body();
  } finally {
    writeFileSync(path, original);
  }
}

describe('TypeScript compiled by tsc, external source maps (fresh recording)', () => {
  const { dir, cleanup } = tempDir('tsc');
  afterAll(cleanup);
  let program = '';
  let profile = '';
  let geometryTs = '';
  let geometryJs = '';
  beforeAll(() => {
    program = copyProgram('ts-geometry', dir);
    rmSync(join(program, 'out'), { recursive: true, force: true });
    compileTypeScript(program);
    profile = recordCpuProfile(join(program, 'out', 'main.js'), dir);
    geometryTs = join(program, 'src', 'geometry.ts');
    geometryJs = join(program, 'out', 'geometry.js');
  });

  it('the hottest line is the known hot line of the .ts file, with its generated location', async () => {
    const { report } = await analyze([{ cpuProfilePath: profile }]);
    const hot = hottestUserLine(report);
    const generatedHot = lineOf(geometryJs, '// HOT');
    expect(generatedHot).not.toBe(lineOf(geometryTs, '// HOT')); // else this test could not tell
    expect(hot).toMatchObject({ file: geometryTs, line: lineOf(geometryTs, '// HOT'), functionName: 'distanceSquared', generated: { file: geometryJs, line: generatedHot } });
    expect(hot.text).toBe('return (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y); // HOT');
    const fn = report.functions.find((f) => f.name === 'closestPair')!;
    expect(fn).toMatchObject({ file: geometryTs, line: lineOf(geometryTs, 'export function closestPair'), endLine: lineOf(geometryTs, 'export function closestPair') + 13, kind: 'user' });
    expect(report.warnings).toEqual([]);
  });

  it('honours sourceRoot', async () => {
    await withFile(
      `${geometryJs}.map`,
      (t) => JSON.stringify({ ...JSON.parse(t), sourceRoot: '../src/', sources: ['geometry.ts'] }),
      async () => {
        const { report } = await analyze([{ cpuProfilePath: profile }]);
        expect(hottestUserLine(report)).toMatchObject({ file: geometryTs, line: lineOf(geometryTs, '// HOT') });
      },
    );
  });

  it('a map pointing at a deleted source falls back to the generated file, with one warning', async () => {
    await withFile(geometryTs, () => null, async () => {
      const { report, log } = await analyze([{ cpuProfilePath: profile }]);
      expect(hottestUserLine(report)).toMatchObject({ file: geometryJs, line: lineOf(geometryJs, '// HOT') });
      expect(hottestUserLine(report).generated).toBeUndefined();
      expect(report.warnings).toEqual([`geometry.js.map: 1 of 1 original sources not found (${geometryTs}); their code is shown at generated locations in geometry.js`]);
      expect(log.text('warn')).toBe(report.warnings[0]);
    });
  });
});

describe('esbuild bundle of several files (fresh recording)', () => {
  const { dir, cleanup } = tempDir('bundle');
  afterAll(cleanup);
  let program = '';
  let profile = '';
  let bundleJs = '';
  let checksumTs = '';
  let hotLine = 0;
  let generatedHot = 0;
  beforeAll(async () => {
    program = copyProgram('esbuild-bundle', dir);
    bundleJs = join(program, 'dist', 'bundle.js');
    rmSync(join(program, 'dist'), { recursive: true, force: true });
    await bundle(join(program, 'src', 'main.ts'), bundleJs, 'linked');
    profile = recordCpuProfile(bundleJs, dir);
    checksumTs = join(program, 'src', 'lib', 'checksum.ts');
    hotLine = lineOf(checksumTs, '// HOT');
    generatedHot = lineOf(bundleJs, 'Math.imul(Math.imul(hash ^');
  });
  const expectOriginal = async (options: { workspaceRoot?: string } = {}): Promise<void> => {
    const { report } = await analyze([{ cpuProfilePath: profile }], options);
    expect(hottestUserLine(report)).toMatchObject({ file: checksumTs, line: hotLine, functionName: 'checksum', generated: { file: bundleJs, line: generatedHot } });
    expect(report.lines.some((l) => l.file === join(program, 'src', 'main.ts'))).toBe(true);
    expect(report.warnings).toEqual([]);
  };

  it('maps to the original file and line (relative sources)', async () => {
    expect(generatedHot).not.toBe(hotLine);
    expect(JSON.parse(readFileSync(`${bundleJs}.map`, 'utf8')).sources).toContain('../src/lib/checksum.ts');
    await expectOriginal();
  });

  it('maps with webpack://-style sources', async () => {
    const webpackify = (t: string): string => {
      const map = JSON.parse(t) as { sources: string[] };
      return JSON.stringify({ ...map, sources: map.sources.map((s) => s.replace('../', 'webpack://perflens-fixture/./')) });
    };
    await withFile(`${bundleJs}.map`, webpackify, () => expectOriginal());
  });

  it('maps with sources relative to the workspace root only', async () => {
    const rooted = (t: string): string => {
      const map = JSON.parse(t) as { sources: string[] };
      return JSON.stringify({ ...map, sources: map.sources.map((s) => s.replace('../', 'esbuild-bundle/')) });
    };
    await withFile(`${bundleJs}.map`, rooted, () => expectOriginal({ workspaceRoot: dir }));
  });

  it('maps with an inline data: source map', async () => {
    const inline = async (): Promise<void> => {
      await bundle(join(program, 'src', 'main.ts'), bundleJs, 'inline');
      expect(readFileSync(bundleJs, 'utf8')).toMatch(/\/\/# sourceMappingURL=data:application\/json;base64,/);
      await expectOriginal();
    };
    await withFile(bundleJs, (t) => t, inline);
  });

  const generatedOnly = async (warning: RegExp): Promise<void> => {
    const { report } = await analyze([{ cpuProfilePath: profile }]);
    expect(hottestUserLine(report)).toMatchObject({ file: bundleJs, line: generatedHot });
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toMatch(warning);
  };

  it('a source map that is not JSON: generated locations and one warning', async () => {
    await withFile(`${bundleJs}.map`, (t) => t.slice(0, 100), () => generatedOnly(/^bundle\.js\.map: source map is not valid JSON \(.+\); using generated locations for bundle\.js$/));
  });

  it('a source map with bad mappings: generated locations and one warning', async () => {
    await withFile(
      `${bundleJs}.map`,
      (t) => JSON.stringify({ ...JSON.parse(t), mappings: 'AAAA;!!!@@@' }),
      () => generatedOnly(/^bundle\.js\.map: broken source map \(Error parsing mappings.*invalid base 64.*\); using generated locations for bundle\.js$/),
    );
  });

  it('a missing .map file: generated locations and one warning', async () => {
    await withFile(`${bundleJs}.map`, () => null, () => generatedOnly(/^bundle\.js: source map bundle\.js\.map not found; using generated locations$/));
  });

  it('a deleted original source: that file falls back, the others stay mapped', async () => {
    await withFile(checksumTs, () => null, async () => {
      await generatedOnly(/^bundle\.js\.map: 1 of 3 original sources not found \(.*checksum\.ts\); their code is shown at generated locations in bundle\.js$/);
      const { report } = await analyze([{ cpuProfilePath: profile }]);
      expect(report.lines.some((l) => l.file === join(program, 'src', 'main.ts'))).toBe(true);
    });
  });

  it('a deleted generated file: lines as the profile gives them, one warning, no text', async () => {
    await withFile(bundleJs, () => null, async () => {
      const { report } = await analyze([{ cpuProfilePath: profile }]);
      const hot = hottestUserLine(report);
      expect(hot).toMatchObject({ file: bundleJs });
      expect(hot.text).toBeUndefined();
      expect(report.warnings).toEqual(['bundle.js: file not found (deleted or moved since profiling?); its time is shown at the lines the profile gives, without source maps or line text']);
    });
  });
});

describe('stored recordings map through the build outputs they ran', () => {
  beforeAll(ensureFixtureBuilds);
  it('tsc output', async () => {
    const { report } = await analyze([fixtureSource(`node-cpu-prof/${RECORDED}/ts-geometry.cpuprofile`)]);
    const geometryTs = join(programsDir, 'ts-geometry', 'src', 'geometry.ts');
    expect(hottestUserLine(report)).toMatchObject({ file: geometryTs, line: lineOf(geometryTs, '// HOT') });
  });

  it('esbuild bundle', async () => {
    const { report } = await analyze([fixtureSource(`node-cpu-prof/${RECORDED}/esbuild-bundle.cpuprofile`)]);
    const checksumTs = join(programsDir, 'esbuild-bundle', 'src', 'lib', 'checksum.ts');
    expect(hottestUserLine(report)).toMatchObject({ file: checksumTs, line: lineOf(checksumTs, '// HOT') });
  });
});

describe('source map helpers', () => {
  it('finds the last sourceMappingURL comment', () => {
    expect(findSourceMappingUrl('x();\n//# sourceMappingURL=old.map\ny();\n//# sourceMappingURL=a.js.map\n')).toBe('a.js.map');
    expect(findSourceMappingUrl('x();\n//@ sourceMappingURL=legacy.map')).toBe('legacy.map');
    expect(findSourceMappingUrl('const s = "no map here";')).toBeUndefined();
  });

  it('tries sources under sourceRoot, the map folder, the workspace and the folders above, without scheme prefixes', () => {
    const c = sourceCandidates({ source: 'webpack://app/./src/a.ts', sourceRoot: undefined }, '/w/app/dist/js', '/w/app');
    expect(c).toEqual(['/w/app/dist/js/src/a.ts', '/w/app/src/a.ts', '/w/app/dist/src/a.ts']);
    expect(sourceCandidates({ source: 'a.ts', sourceRoot: 'file:///w/src/' }, '/w/out', undefined)[0]).toBe('/w/src/a.ts');
    expect(sourceCandidates({ source: 'file:///w/src/b.ts', sourceRoot: undefined }, '/w/out', undefined)[0]).toBe('/w/src/b.ts');
  });
});
