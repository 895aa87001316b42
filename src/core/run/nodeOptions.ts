/**
 * NODE_OPTIONS is split by Node on spaces outside double quotes; inside quotes a backslash escapes
 * the next character. Quoting every argument keeps paths with spaces (and Windows backslashes)
 * intact.
 */
export function quoteNodeOption(arg: string): string {
  return `"${arg.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * NODE_OPTIONS that preload the agent in front of whatever the user already had (kept as it is),
 * plus `extra` node arguments for targets that do not start node themselves.
 */
export function nodeOptionsWithAgent(agentPath: string, existing: string | undefined, extra: readonly string[] = []): string {
  const parts = ['--require', quoteNodeOption(agentPath), ...extra.map(quoteNodeOption)];
  const kept = existing?.trim();
  if (kept) parts.push(kept);
  return parts.join(' ');
}
