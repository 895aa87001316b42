// Writes package.json `contributes.configuration` and the untrusted-workspace restrictions from the
// one settings schema (src/core/config/settings.ts). test/unit/core/settings.test.ts checks they agree.
import * as esbuild from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = await esbuild.build({ entryPoints: [path.join(root, 'src/core/config/settings.ts')], bundle: true, format: 'cjs', platform: 'node', write: false });
const mod = { exports: {} };
new Function('module', 'exports', out.outputFiles[0].text)(mod, mod.exports);
const { configurationContribution, restrictedSettings } = mod.exports;
const file = path.join(root, 'package.json');
const pkg = JSON.parse(readFileSync(file, 'utf8'));
pkg.contributes.configuration = { title: 'PerfLens', properties: configurationContribution() };
pkg.capabilities.untrustedWorkspaces.restrictedConfigurations = restrictedSettings();
writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
process.stdout.write('package.json settings updated\n');
