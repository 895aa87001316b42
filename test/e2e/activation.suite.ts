// Runs first: activates PerfLens and hands its API to the other suites.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { PerfLensApi } from '../../src/vscode/extension';
import { setApi } from './context';
import { test } from './harness';

test('activates and registers every command it contributes', async () => {
  const extension = vscode.extensions.getExtension<PerfLensApi>('perflens.perflens');
  assert.ok(extension, 'PerfLens is installed');
  const api = await extension.activate();
  assert.ok(api.state, 'activate() returns the API');
  setApi(api);
  const registered = new Set(await vscode.commands.getCommands(true));
  const contributed = (extension.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands;
  for (const { command } of contributed) assert.ok(registered.has(command), `${command} is registered`);
});

