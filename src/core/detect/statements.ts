import type { Node } from 'web-tree-sitter';
import { field, kids } from './syntax';
import { jsMayUseApis, pyMayReport } from './relevance';
import type { DetectorOptions, LanguageId } from './types';

/**
 * Which top-level statements of a document can matter to its findings, so that an edit inside
 * one that cannot is answered without analysing the file again (DocumentAnalysis).
 *
 * A statement is relevant when its text names an API the rules know (relevance.ts; in Python
 * also the built-in `open(` and `input(`), imports a module that shapes contexts or a workspace
 * module whose facts matter (in Python: any import), or mentions `perflens` (suppressions); and,
 * to a fixed point, when it uses a name that a relevant statement declares
 * at module level (it calls a helper that blocks, reads a client, registers a handler that
 * does). Every API reaches a statement through one of these, so an irrelevant statement holds no
 * finding and gives no other statement one: it may be called, registered or exported by relevant
 * code, but what it does cannot make a finding. Editing it into another irrelevant statement
 * leaves the findings as they were, moved with the text.
 */

export interface StatementInfo {
  /** Names the statement declares at module level (a conservative superset). */
  declared: string[];
  /** The names it may refer to (see `references`). */
  used: Set<string>;
  /** Relevant by its own text. */
  seed: boolean;
}

export interface Relevance {
  /** Names the relevant statements declare. */
  declared: Set<string>;
  /**
   * Names the relevant statements compare with (`i < MAX`): a `const MAX = 3` makes a loop up to
   * it a count loop, whatever its statement (the one value of a declaration the analysers read).
   * Grows with the statements edits re-analyse (a superset).
   */
  bounds: Set<string>;
  /** Statement text → what it declares and uses (edits look their old statement up here). */
  byText: Map<string, StatementInfo>;
  /**
   * The texts learnt from edits, oldest first: only the last 256 are kept in `byText` (an edit
   * looks up the text the edit before left; each edit of a large statement brings a new text with
   * hundreds of names).
   */
  learnt: string[];
}

/** Seeds the analysers find by text anywhere in the file (worker detection). */
const TEXT_SEEDS = /\b(parentPort|workerData)\b/;
/** Python blocking APIs that need no import. */
const PY_BUILTIN_BLOCKERS = /\b(open|input)\s*\(/;

function seedText(text: string, language: LanguageId, options: DetectorOptions): boolean {
  if (text.includes('perflens')) return true;
  return language === 'python' ? PY_BUILTIN_BLOCKERS.test(text) || pyMayReport(text, options) : jsMayUseApis(text, options);
}

const IMPORT = new Set(['import_statement', 'import_from_statement', 'future_import_statement']);
/** CommonJS and dynamic imports bind modules too. */
const REQUIRE = /\b(require|import)\s*\(/;

/**
 * Modules whose bindings shape contexts (frameworks, servers, sockets, workers) or may carry
 * facts (workspace modules); API modules are seeds already. Other packages (`path`, `tslib`, a
 * UI library) bind nothing the rules look at.
 */
const CONTEXT_MODULES = /^(?:node:)?(?:express|fastify|koa|@koa\/router|koa-router|restify|polka|hono|router|http|https|http2|net|tls|dgram|worker_threads|cluster|events|stream|ws|socket\.io|@nestjs\/.*|next(?:\/.*)?|@hapi\/hapi|hapi)$/;
const STRING = /(['"`])([^'"`\n]*)\1/g;
const IMPORT_FROM = /\bfrom\s*['"`]|^\s*import\s*['"`]/m;

/** Whether a workspace import specifier leads to a module whose facts matter (undefined: assume it does). */
export type WorkspaceImport = (specifier: string) => boolean;

function importMatters(text: string, language: LanguageId, options: DetectorOptions, workspace?: WorkspaceImport): boolean {
  // Python names its workspace modules like packages: every import counts there.
  if (language === 'python') return true;
  const extra = options.extraHandlerRegistrations?.map((p) => p.module) ?? [];
  for (const m of text.matchAll(STRING)) {
    const spec = m[2]!;
    if (spec.startsWith('.') || spec.startsWith('/')) {
      if (!workspace || workspace(spec)) return true;
      continue;
    }
    if (CONTEXT_MODULES.test(spec) || extra.some((e) => e.includes('*') || e === spec)) return true;
  }
  // A computed specifier (`require(name)`) could be anything.
  return !/\b(?:require|import)\s*\(\s*['"`]/.test(text) && !IMPORT_FROM.test(text);
}

/** Names a top-level node declares; undefined when its shape is not a simple one (then: all its words). */
function declaredNames(node: Node, language: LanguageId): string[] | undefined {
  let n = node;
  if (n.type === 'export_statement') {
    const d = field(n, 'declaration');
    if (!d) return undefined;
    n = d;
  }
  if (n.type === 'decorated_definition') {
    const d = field(n, 'definition');
    if (!d) return undefined;
    n = d;
  }
  switch (n.type) {
    case 'function_declaration': case 'generator_function_declaration': case 'class_declaration': case 'abstract_class_declaration':
    case 'function_definition': case 'class_definition': case 'interface_declaration': case 'type_alias_declaration': case 'enum_declaration': {
      const name = field(n, 'name');
      return name ? [name.text] : undefined;
    }
    case 'lexical_declaration': case 'variable_declaration': {
      const out: string[] = [];
      for (const d of kids(n)) {
        if (d.type !== 'variable_declarator') continue;
        const name = field(d, 'name');
        if (!name) return undefined;
        out.push(...references(name.text));
      }
      return out;
    }
    case 'expression_statement': {
      const inner = n.namedChild(0);
      if (!inner) return [];
      if (inner.type === 'assignment' || inner.type === 'augmented_assignment' || inner.type === 'assignment_expression' || inner.type === 'augmented_assignment_expression') {
        const left = field(inner, 'left');
        if (!left) return undefined;
        // `a.b = …` gives an object a property; it declares no module-level name (a statement
        // that reads `a.b` uses `a`, declared elsewhere).
        if (left.type === 'member_expression' || left.type === 'attribute' || left.type === 'subscript_expression' || left.type === 'subscript') return [];
        return [...references(left.text)];
      }
      // A call or other expression declares nothing at module level; an assignment inside it to
      // a module-level name uses that name, which links it all the same.
      return [];
    }
    case 'comment':
      return [];
    default:
      return language === 'python' && n.type === 'pass_statement' ? [] : undefined;
  }
}

/**
 * The names a statement may refer to: identifier-like words not written after a `.` (property
 * names are not references). Words in strings and comments count too: more, never fewer.
 */
const REFERENCE = /(?<![.\w$])[A-Za-z_$][\w$]*/g;
function references(text: string): Set<string> {
  return new Set(text.match(REFERENCE) ?? []);
}

export function statementInfo(node: Node, text: string, language: LanguageId, options: DetectorOptions, workspace?: WorkspaceImport): StatementInfo {
  const used = references(text);
  const declared = declaredNames(node, language) ?? [...used];
  const imports = IMPORT.has(node.type) || REQUIRE.test(text);
  return { declared, used, seed: (imports && importMatters(text, language, options, workspace)) || seedText(text, language, options) || TEXT_SEEDS.test(text) };
}

/** The relevant statements of a module, to a fixed point. */
export function relevanceOf(root: Node, source: string, language: LanguageId, options: DetectorOptions, workspace?: WorkspaceImport): Relevance {
  const statements = kids(root).map((n) => {
    const text = source.slice(n.startIndex, n.endIndex);
    return { text, info: statementInfo(n, text, language, options, workspace) };
  });
  const declared = new Set<string>();
  const relevant = statements.map((s) => s.info.seed);
  const absorb = (i: number): void => {
    for (const d of statements[i]!.info.declared) declared.add(d);
  };
  relevant.forEach((r, i) => { if (r) absorb(i); });
  for (let changed = true; changed;) {
    changed = false;
    statements.forEach((s, i) => {
      if (relevant[i] || !linked(s.info, declared)) return;
      relevant[i] = true;
      absorb(i);
      changed = true;
    });
  }
  const byText = new Map<string, StatementInfo>();
  for (const s of statements) byText.set(s.text, s.info);
  // Loops in irrelevant statements hold no query: their bounds cannot matter.
  const bounds = new Set<string>();
  statements.forEach((s, i) => { if (relevant[i]) addBounds(s.text, bounds); });
  return { declared, bounds, byText, learnt: [] };
}

const BOUND = /[<>]=?\s*([A-Za-z_$][\w$]*)/g;

/** Adds the names a text compares with (Relevance.bounds). */
export function addBounds(text: string, bounds: Set<string>): void {
  for (const m of text.matchAll(BOUND)) bounds.add(m[1]!);
}

/** Whether a text may declare a number constant (`const N = 3`). */
export function mayDeclareNumber(text: string): boolean {
  return /\bconst\b/.test(text) && /=\s*\.?\d/.test(text);
}

/**
 * Whether a statement may declare a number constant that a loop bound reads (Relevance.bounds):
 * an edit there can make a loop elsewhere a count loop, or no longer one.
 */
export function boundsAConstant(text: string, info: StatementInfo, relevance: Relevance): boolean {
  if (!mayDeclareNumber(text)) return false;
  for (const u of info.used) if (relevance.bounds.has(u)) return true;
  return false;
}

function linked(info: StatementInfo, declared: ReadonlySet<string>): boolean {
  for (const u of info.used) if (declared.has(u)) return true;
  return false;
}

/** True when a statement, by what it is and names, cannot matter (see the module comment). */
export function irrelevant(info: StatementInfo, relevance: Relevance): boolean {
  return !info.seed && !linked(info, relevance.declared);
}
