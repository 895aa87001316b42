// Shared by the extension-host suites: the PerfLens API, the workspace, trust-dependent tests.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { PerfLensApi } from '../../src/vscode/extension';
import { test } from './harness';

let current: PerfLensApi | undefined;

/** The API returned by activate(); set by the activation test, which runs first. */
export function api(): PerfLensApi {
  assert.ok(current, 'PerfLens was activated');
  return current;
}

export function setApi(value: PerfLensApi): void {
  current = value;
}

export function workspace(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return folder.uri.fsPath;
}

export async function openEditor(file: string): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  return vscode.window.showTextDocument(document, { preview: false });
}

/** The suite runs twice: in a trusted workspace and in an untrusted one. */
export const trusted = vscode.workspace.isTrusted;
export const trustedTest: typeof test = (name, fn, timeoutMs) => { if (trusted) test(name, fn, timeoutMs); };
export const untrustedTest: typeof test = (name, fn, timeoutMs) => { if (!trusted) test(name, fn, timeoutMs); };
