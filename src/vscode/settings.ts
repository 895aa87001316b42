import * as vscode from 'vscode';
import { readSettings, SETTINGS_SECTION, type SettingKey, type Settings } from '../core/config/settings';
import type { Logger } from '../core/log';

/** Current settings for a resource, checked against the one schema in src/core/config. */
export function currentSettings(log: Logger, scope?: vscode.Uri): Settings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
  return readSettings((key: SettingKey) => config.get(key), (message) => log.warn(message));
}
