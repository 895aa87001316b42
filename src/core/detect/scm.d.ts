/** Tree-sitter queries are bundled as text (esbuild `loader: { '.scm': 'text' }`, a vitest plugin). */
declare module '*.scm' {
  const source: string;
  export default source;
}
