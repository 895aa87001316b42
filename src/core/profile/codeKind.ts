/**
 * Where a location's code comes from (see CodeKind in report.ts):
 *   system      V8's pseudo-frames: (root), (program), (idle), (garbage collector)
 *   node        Node's own JavaScript (`node:…`, and `internal/…` on older versions) and V8 builtins
 *               that have no script (url "")
 *   dependency  anything under a node_modules folder (the generated or the original file)
 *   user        everything else
 */
import type { CodeKind } from './report';

/**
 * File name of the capture agent's bundle. Its frames are PerfLens's own work inside the profiled
 * process, not the program's: they are reported as one system pseudo-frame.
 */
export const AGENT_BUNDLE_NAME = 'perflens-agent.js';
export const AGENT_FRAME = '(perflens agent)';

export function isAgentUrl(url: string): boolean {
  return url.endsWith(`/${AGENT_BUNDLE_NAME}`) || url.endsWith(`\\${AGENT_BUNDLE_NAME}`);
}

const SYSTEM = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

export function isSystemFrame(functionName: string, url: string): boolean {
  return url === '' && SYSTEM.has(functionName);
}

function inNodeModules(path: string | undefined): boolean {
  return path !== undefined && /[\\/]node_modules[\\/]/.test(path);
}

export function classifyCode(functionName: string, url: string, generatedFile?: string, originalFile?: string): CodeKind {
  if (isSystemFrame(functionName, url)) return 'system';
  if (url === '' || url.startsWith('node:') || url.startsWith('internal/')) return 'node';
  if (inNodeModules(generatedFile ?? url) || inNodeModules(originalFile)) return 'dependency';
  return 'user';
}
