/**
 * Where every function of a generated JavaScript file starts and ends, which lines hold its own
 * code, and which position V8 reports for it — parsed with acorn. Used to match profile call frames
 * to functions and to tell, for the inlining correction, whether a tick's line can belong to the
 * function of the node it was reported on.
 *
 * V8's function position (measured on Node 20 / V8 11.3 with test/fixtures/profiles/programs/forms):
 * `callFrame.lineNumber`/`columnNumber` (0-based) point at the start of the parameter list, not at
 * the `function` keyword or the name:
 *   function decl() {}            → the "("            async function f() {} → the "("
 *   const f = function named() {} → the "("            function* g() {}      → the "("
 *   class K { method() {} }       → the "(" (static, get, #private alike; a constructor is
 *                                   reported under the class name, at its "(")
 *   (n) => …                      → the "("            n => …                → the "n"
 *   async (n) => …                → the `async` (the arrow's first token, unlike async functions)
 *   top-level code of a script    → 0:0 (CommonJS is compiled without a wrapper, so lines and
 *                                   columns are those of the file)
 *
 * "Own lines": a line belongs to a function when one of the function's own tokens (not those of a
 * function nested in it) is on it. V8 can only report a tick of a function's own code on such a
 * line; a tick anywhere else on that function's node comes from an inlined callee.
 */
import * as acorn from 'acorn';
import { LineIndex } from './lineIndex';

export interface ScriptFunction {
  /** Name in the style V8 infers (declaration, variable, method or property name), "" if none. */
  name: string;
  start: number;
  end: number;
  /** Offset of the body (end of the header: parameters). */
  bodyStart: number;
  /** 1-based lines of the whole function, header to closing brace. */
  startLine: number;
  endLine: number;
  /** 0-based column of the function's last character. */
  endColumn: number;
  /** V8's position for the function, 0-based (see the file comment). */
  v8Line: number;
  v8Column: number;
  isProgram: boolean;
}

export interface ScriptFunctions {
  readonly lines: LineIndex;
  readonly lineCount: number;
  /** False when the text could not be parsed (not JavaScript, or too large): only `lines` is meaningful. */
  readonly parsed: boolean;
  /** Index 0 is the script's top level. */
  readonly functions: readonly ScriptFunction[];
  /** Relative module specifiers the script loads statically (`require('./x')`, `import … from './x'`). */
  readonly imports: readonly string[];
  /** The function V8 means by a call frame position, or -1. */
  findByPosition(line0: number, column0: number): number;
  /** Whether function `fn` has code of its own on 1-based `line`. */
  ownsLine(fn: number, line: number): boolean;
  /** Functions with code of their own on `line` (may be empty: blank or comment lines). */
  ownersOf(line: number): readonly number[];
}

/** Files larger than this are not parsed (ranges unknown; only the line count is used). */
export const MAX_PARSED_CHARS = 8 * 1024 * 1024;

type AstNode = { type: string; start: number; end: number } & Record<string, unknown>;

function isNode(v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

function keyName(key: unknown, computed: unknown): string {
  if (computed || !isNode(key)) return '';
  if (key.type === 'Identifier') return String(key['name']);
  if (key.type === 'PrivateIdentifier') return `#${String(key['name'])}`;
  if (key.type === 'Literal') return String(key['value']);
  return '';
}

function memberName(node: unknown): string {
  if (!isNode(node)) return '';
  if (node.type === 'Identifier') return String(node['name']);
  if (node.type === 'MemberExpression') {
    const object = memberName(node['object']);
    const property = keyName(node['property'], node['computed']);
    return object && property ? `${object}.${property}` : property;
  }
  return '';
}

/** Skips whitespace and comments from `pos`. */
function skipTrivia(text: string, pos: number): number {
  for (;;) {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
    if (text.startsWith('//', pos)) {
      while (pos < text.length && text[pos] !== '\n' && text[pos] !== '\r') pos++;
    } else if (text.startsWith('/*', pos)) {
      const close = text.indexOf('*/', pos + 2);
      pos = close < 0 ? text.length : close + 2;
    } else return pos;
  }
}

/** See the file comment: the parameter list's "(", or an arrow's first token. */
function v8Offset(text: string, fn: AstNode): number {
  // Arrows: their first token — "(", the bare parameter, or `async`.
  if (fn.type === 'ArrowFunctionExpression') return fn.start;
  const id = fn['id'];
  let pos = isNode(id) ? id.end : fn.start;
  while (pos < fn.end) {
    pos = skipTrivia(text, pos);
    if (text[pos] === '(') return pos;
    pos++;
  }
  return fn.start;
}

function parse(text: string, onToken: (t: acorn.Token) => void): acorn.Program | null {
  const base: acorn.Options = {
    ecmaVersion: 'latest',
    allowHashBang: true,
    allowReturnOutsideFunction: true,
    allowAwaitOutsideFunction: true,
    allowImportExportEverywhere: true,
    allowSuperOutsideMethod: true,
  };
  for (const sourceType of ['module', 'script'] as const) {
    const tokens: acorn.Token[] = [];
    try {
      const program = acorn.parse(text, { ...base, sourceType, onToken: tokens });
      for (const t of tokens) onToken(t);
      return program;
    } catch {
      // Not valid as a module (e.g. sloppy-mode code): try as a script.
    }
  }
  return null;
}

export function analyzeScript(text: string): ScriptFunctions {
  const lines = new LineIndex(text);
  const program: ScriptFunction = {
    name: '',
    start: 0,
    end: text.length,
    bodyStart: 0,
    startLine: 1,
    endLine: lines.lineCount,
    endColumn: lines.lineLength(lines.lineCount),
    v8Line: 0,
    v8Column: 0,
    isProgram: true,
  };
  const functions: ScriptFunction[] = [program];
  const imports: string[] = [];
  const tokenStarts: number[] = [];
  const tokenEnds: number[] = [];
  const ast =
    text.length <= MAX_PARSED_CHARS
      ? parse(text, (t) => {
          if (t.end > t.start) {
            tokenStarts.push(t.start);
            tokenEnds.push(t.end);
          }
        })
      : null;
  if (ast) collect(ast as unknown as AstNode, text, lines, functions, imports);
  return new ParsedScript(lines, ast !== null, functions, imports, tokenStarts, tokenEnds);
}

function collect(ast: AstNode, text: string, lines: LineIndex, functions: ScriptFunction[], imports: string[]): void {
  const addImport = (source: unknown): void => {
    if (isNode(source) && source.type === 'Literal' && typeof source['value'] === 'string' && /^\.\.?\//.test(source['value'])) imports.push(source['value']);
  };
  // Iterative walk; `name` is the name a function found here would get from its context.
  const stack: { node: AstNode; name: string; className: string }[] = [{ node: ast, name: '', className: '' }];
  while (stack.length > 0) {
    const { node, name, className } = stack.pop()!;
    const t = node.type;
    if (t === 'FunctionDeclaration' || t === 'FunctionExpression' || t === 'ArrowFunctionExpression') {
      const id = node['id'];
      const own = isNode(id) ? String(id['name']) : name;
      const v8 = v8Offset(text, node);
      const v8Line = lines.lineOf(v8);
      const endLine = lines.lineOf(Math.max(node.start, node.end - 1));
      const body = node['body'];
      functions.push({
        name: own,
        start: node.start,
        end: node.end,
        bodyStart: isNode(body) ? body.start : node.end,
        startLine: lines.lineOf(node.start),
        endLine,
        endColumn: Math.max(0, node.end - 1 - lines.starts[endLine - 1]!),
        v8Line: v8Line - 1,
        v8Column: v8 - lines.starts[v8Line - 1]!,
        isProgram: false,
      });
    } else if (t === 'ImportDeclaration' || t === 'ExportAllDeclaration' || t === 'ExportNamedDeclaration' || t === 'ImportExpression') {
      addImport(node['source']);
    } else if (t === 'CallExpression') {
      const callee = node['callee'];
      const args = node['arguments'] as unknown[];
      if (isNode(callee) && callee.type === 'Identifier' && callee['name'] === 'require' && args.length === 1) addImport(args[0]);
    }
    let inner = className;
    if (t === 'ClassDeclaration' || t === 'ClassExpression') inner = isNode(node['id']) ? String(node['id']['name']) : name;
    for (const key of Object.keys(node)) {
      if (key === 'type' || key === 'start' || key === 'end' || key === 'loc' || key === 'range') continue;
      const value = node[key];
      const childName = contextName(node, key, inner, name);
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) if (isNode(value[i])) stack.push({ node: value[i] as AstNode, name: childName, className: inner });
      } else if (isNode(value)) stack.push({ node: value, name: childName, className: inner });
    }
  }
}

/** The name a function directly under `parent[key]` takes from its context, as V8 infers it. */
function contextName(parent: AstNode, key: string, className: string, inherited: string): string {
  switch (parent.type) {
    case 'VariableDeclarator':
      return key === 'init' && isNode(parent['id']) && parent['id'].type === 'Identifier' ? String(parent['id']['name']) : '';
    case 'AssignmentExpression':
      return key === 'right' ? memberName(parent['left']) : '';
    case 'Property':
    case 'PropertyDefinition':
      return key === 'value' ? keyName(parent['key'], parent['computed']) : '';
    case 'MethodDefinition': {
      if (key !== 'value') return '';
      if (parent['kind'] === 'constructor') return className;
      const k = keyName(parent['key'], parent['computed']);
      return parent['kind'] === 'get' || parent['kind'] === 'set' ? `${String(parent['kind'])} ${k}` : k;
    }
    case 'ClassDeclaration':
    case 'ClassExpression':
    case 'ClassBody':
      return inherited;
    default:
      return '';
  }
}

class ParsedScript implements ScriptFunctions {
  private readonly byOffset = new Map<number, number>();
  /** Per line: the single owning function, -1 for none, -2 for several (see `mixed`). */
  private readonly lineOwner: Int32Array;
  private readonly mixed = new Map<number, number[]>();

  constructor(
    readonly lines: LineIndex,
    readonly parsed: boolean,
    readonly functions: ScriptFunction[],
    readonly imports: string[],
    tokenStarts: number[],
    tokenEnds: number[],
  ) {
    functions.forEach((f, i) => {
      const off = lines.offsetOf(f.v8Line, f.v8Column);
      if (!this.byOffset.has(off)) this.byOffset.set(off, i);
    });
    this.lineOwner = new Int32Array(lines.lineCount + 1).fill(-1);
    this.assignTokens(tokenStarts, tokenEnds);
  }

  get lineCount(): number {
    return this.lines.lineCount;
  }

  /** Gives every token's lines to the innermost function around the token (a sweep: tokens and functions are sorted). */
  private assignTokens(starts: number[], ends: number[]): void {
    const fns = this.functions;
    const order = fns.map((_, i) => i).filter((i) => i > 0).sort((a, b) => fns[a]!.start - fns[b]!.start || fns[b]!.end - fns[a]!.end);
    const open: number[] = [0];
    let next = 0;
    let line = 1;
    const lineStarts = this.lines.starts;
    for (let t = 0; t < starts.length; t++) {
      const start = starts[t]!;
      while (open.length > 1 && fns[open[open.length - 1]!]!.end <= start) open.pop();
      while (next < order.length && fns[order[next]!]!.start <= start) {
        const f = order[next++]!;
        while (open.length > 1 && fns[open[open.length - 1]!]!.end <= fns[f]!.start) open.pop();
        if (fns[f]!.end > start) open.push(f);
      }
      const owner = open[open.length - 1]!;
      while (line < lineStarts.length && lineStarts[line]! <= start) line++;
      let last = line;
      const end = ends[t]! - 1;
      while (last < lineStarts.length && lineStarts[last]! <= end) last++;
      for (let l = line; l <= last; l++) this.mark(l, owner);
    }
  }

  private mark(line: number, fn: number): void {
    const current = this.lineOwner[line]!;
    if (current === fn) return;
    if (current === -1) {
      this.lineOwner[line] = fn;
    } else if (current === -2) {
      const list = this.mixed.get(line)!;
      if (!list.includes(fn)) list.push(fn);
    } else {
      this.lineOwner[line] = -2;
      this.mixed.set(line, [current, fn]);
    }
  }

  findByPosition(line0: number, column0: number): number {
    const off = this.lines.offsetOf(line0, column0);
    if (off < 0) return -1;
    const exact = this.byOffset.get(off);
    if (exact !== undefined) return exact;
    // Tolerate another convention: the innermost function whose header holds the position.
    let best = -1;
    for (let i = 1; i < this.functions.length; i++) {
      const f = this.functions[i]!;
      if (f.start <= off && off <= f.bodyStart && (best < 0 || f.start >= this.functions[best]!.start)) best = i;
    }
    return best;
  }

  ownsLine(fn: number, line: number): boolean {
    if (line < 1 || line > this.lines.lineCount) return false;
    const owner = this.lineOwner[line]!;
    return owner === fn || (owner === -2 && this.mixed.get(line)!.includes(fn));
  }

  ownersOf(line: number): readonly number[] {
    if (line < 1 || line > this.lines.lineCount) return [];
    const owner = this.lineOwner[line]!;
    return owner === -1 ? [] : owner === -2 ? this.mixed.get(line)! : [owner];
  }
}
