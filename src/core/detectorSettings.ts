import type { Settings } from './config/settings';
import type { ApiPattern, DetectorOptions, Severity } from './detect/types';

/**
 * Detector options from settings. API patterns are written `module#name`; an entry without `#`
 * names any module (`*#name`). Returns the options and one warning per entry it could not read.
 */
export function detectorOptionsFrom(settings: Settings): { options: DetectorOptions; warnings: string[] } {
  const warnings: string[] = [];
  const patterns = (key: 'detectors.extraBlockingApis' | 'detectors.extraQueryApis' | 'detectors.extraHandlerRegistrations'): ApiPattern[] =>
    settings[key].flatMap((entry) => {
      const at = entry.lastIndexOf('#');
      const module = at >= 0 ? entry.slice(0, at).trim() : '*';
      const name = (at >= 0 ? entry.slice(at + 1) : entry).trim();
      if (!name || !module) {
        warnings.push(`Setting perflens.${key}: "${entry}" is not a module#name pattern; it is ignored.`);
        return [];
      }
      return [{ module, name }];
    });
  const severity = (value: string): Severity | 'off' => value as Severity | 'off';
  return {
    options: {
      extraBlockingApis: patterns('detectors.extraBlockingApis'),
      extraQueryApis: patterns('detectors.extraQueryApis'),
      extraHandlerRegistrations: patterns('detectors.extraHandlerRegistrations'),
      severity: {
        'blocking-call': severity(settings['detectors.blockingCall.severity']),
        'n-plus-one': severity(settings['detectors.nPlusOne.severity']),
      },
    },
    warnings,
  };
}
