import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DetectorEngine } from '../../../src/core/detect/engine';
import { jsMayUseApis, pyMayReport, workspaceSpecifiers } from '../../../src/core/detect/relevance';
import { expectedMarkers, findingKeys, fixturesRoot, sourceFilesUnder } from './helpers';

const dir = path.join(fixturesRoot, 'relevance');

describe('text prefilter of workspace scans', () => {
  it('parses only the files that can hold findings or facts, and still finds everything', async () => {
    const files = sourceFilesUnder(dir);
    const engine = new DetectorEngine();
    try {
      const results = await engine.analyseFiles(files);
      for (const r of results) expect(findingKeys(r.findings), path.relative(dir, r.file)).toEqual(expectedMarkers(r.file));
      // store.js and routes.js (it imports a helper that blocks), py/jobs.py (async) and the
      // py/files.py helper it calls; not format.js, util.js, py/report.py, py/text.py, __init__.py.
      expect(engine.counters.parsed).toBe(4);
      expect(engine.counters.textOnly).toBeGreaterThanOrEqual(5);
    } finally {
      engine.dispose();
    }
  });

  it('takes extra APIs from the settings as seeds, and gives up on module wildcards', () => {
    const text = "const { q } = require('@acme/db');\nfor (const x of xs) q(x);\n";
    expect(jsMayUseApis(text, {})).toBe(false);
    expect(jsMayUseApis(text, { extraQueryApis: [{ module: '@acme/db', name: 'q' }] })).toBe(true);
    expect(jsMayUseApis('const a = 1;', { extraBlockingApis: [{ module: '@acme/*', name: '*Sync' }] })).toBe(true);
    expect(pyMayReport('import os\n\ndef f():\n    return os.getcwd()\n', {})).toBe(false);
    expect(pyMayReport('async def f():\n    pass\n', {})).toBe(true);
    expect(pyMayReport('from sqlalchemy.orm import Session\n', {})).toBe(true);
    // A word in a docstring is not an import.
    expect(pyMayReport('"""Fetch with requests."""\n', {})).toBe(false);
  });

  it('lists the workspace modules a file may import', () => {
    expect(workspaceSpecifiers('javascript', "import a from './a.js';\nconst b = require(\"../lib/b\");\nconst url = 'https://x/y';\n").sort()).toEqual(['../lib/b', './a.js']);
    expect(workspaceSpecifiers('python', 'from . import views, models as m\nfrom .db import (\n    Session,\n    engine,\n)\n').sort()).toEqual(['.', '.db', '.db.Session', '.db.engine', '.models', '.views']);
  });
});
