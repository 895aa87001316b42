import * as path from 'node:path';
import type { Node, Query, Tree } from 'web-tree-sitter';
import { emptyFacts, type ClientKind, type Evidence, type ImportResolver, type ModuleFacts } from '../facts';
import { contains, field, identifiersIn, firstKid, kids, perNode, RangeIndex, stringValue, walk, wordPattern } from '../syntax';
import { factsMatter, jsMayUseApis } from '../relevance';
import { matchesApi, type DetectorOptions, type FindingFix, type RuleId } from '../types';

import {
  DB_LIBS, FRAMEWORK_MODULES, HTTP_METHODS, HTTP_MODULES, INLINE_CALLBACK_METHODS, INSTANCE_WRITES, KNEX_ROOT_METHODS, LIBRARY_BLOCKERS,
  LISTENER_EVENTS, LOOP_CALLBACK_METHODS, MONGOOSE_MODEL_METHODS, NEST_HANDLER_DECORATORS, NEST_STARTUP_METHODS, NEXT_ROUTE_EXPORTS,
  NEXT_STARTUP_EXPORTS, PRISMA_METHODS, PRISMA_RAW, REDIS_NON_COMMANDS, ROUTE_METHODS, SEQUELIZE_MODEL_METHODS, SYNC_MODULES,
  TYPEORM_BUILDER_TERMINALS, TYPEORM_METHODS,
} from './apis';

/** A finding before it is placed in a file result. */
export interface RawFinding {
  rule: RuleId;
  node: Node;
  message: string;
  related: Evidence[];
  fix?: FindingFix;
}

interface Binding {
  module: string;
  /** `*` for a namespace/default/whole-module binding, else the export name (maybe dotted). */
  name: string;
}

/** Modules the analyser names itself (clients, servers, workers), besides the API lists of apis.ts. */
const KNOWN_MODULES = new Set(['@prisma/client', 'knex', 'pg', 'mysql', 'mysql2', 'mysql2/promise', 'better-sqlite3', 'ioredis', 'redis', 'axios', 'dataloader', 'mongoose', 'sequelize', 'sequelize-typescript', 'typeorm', 'crypto', 'worker_threads', 'http', 'https', 'http2', 'net', 'tls']);
/** A pattern for one of these modules named in a string (`require('axios')`, `from "got"`, `'fs/promises'`). */
const namedModule = (modules: readonly string[]): string => `['"\`](?:node:)?(?:${modules.map((m) => m.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|')})['"\`/]`;
/** `fetch`, or an HTTP module named in a string. */
const HTTP_WORDS = new RegExp(`\\bfetch\\b|${namedModule([...HTTP_MODULES])}`);
/** `Atomics.wait`, or a module with blocking APIs named in a string (`require('fs')`, `from "bcrypt"`). */
const BLOCK_WORDS = new RegExp(`\\bAtomics\\s*\\.\\s*wait\\b|${namedModule([...SYNC_MODULES, ...Object.keys(LIBRARY_BLOCKERS), 'better-sqlite3'])}`);
/** The modules whose calls make clients (see kindOfModuleCall). */
const CLIENT_MODULES = new Set(['@prisma/client', 'knex', 'pg', 'mysql', 'mysql2', 'mysql2/promise', 'better-sqlite3', 'ioredis', 'redis', 'axios', 'dataloader', 'mongoose', 'sequelize', 'typeorm']);
/** Names the rules look up by themselves: a binding of one of them always matters. */
const GLOBAL_NAMES = new Set(['fetch', 'Atomics', 'require']);
/** Besides route methods, the callee names `servingOfCall` can make something of. */
const REGISTERING_CALLS = new Set(['on', 'once', 'addListener', 'prependListener', 'register', 'addHook', 'setInterval', 'createServer', 'createSecureServer']);
const FUNCTION_TYPES = new Set(['function_declaration', 'function_expression', 'arrow_function', 'method_definition', 'generator_function_declaration', 'generator_function']);
const MAX_DEPTH = 3;

interface FunctionInfo {
  node: Node;
  name: string | undefined;
  async: boolean;
  /** Runs inline in the function around it (array callbacks, Promise executor). */
  inline: boolean;
  /** A serving context other than `async`: handler, listener, interval; with a description. */
  serving?: string;
  startup: boolean;
}

export interface JsAnalysis {
  findings: RawFinding[];
  facts: ModuleFacts;
  /** When recorded: what the file as a whole is, to re-analyse one statement later. */
  snapshot?: JsSnapshot;
  /** With a scope: everything its statements tell the rest of the file (compare two of them). */
  journal?: string;
}

/** A local function known by its summary: a re-analysis of one statement sees the others so. */
interface FunctionSummary {
  blocks: Evidence | null;
  queries: Evidence | null;
  /** Parameter positions whose value the function sends in an HTTP request (see httpParams). */
  http: Array<[number, Evidence]>;
}

/** What registering a function by name does to it (`app.get('/x', handler)`, `app.register(plugin)`). */
interface Registration {
  serving?: string;
  startup: boolean;
}

/**
 * The file-wide state of a full analysis, in plain data: re-analysing one top-level statement
 * reads it instead of the other statements (DocumentAnalysis, after an edit inside a function).
 */
export interface JsSnapshot {
  bindings: Map<string, Binding>;
  workspaceImports: Map<string, { facts: ModuleFacts; name: string }>;
  clients: Map<string, ClientKind>;
  functions: Map<string, FunctionSummary>;
  /** Methods by the row their class body starts on and name (`this.helper()`). */
  methods: Map<string, FunctionSummary>;
  /**
   * The row of the top-level statement whose definition of a function or export name wins (the
   * last one): a re-analysed statement writes over the snapshot only the names it owns. Rows
   * stay valid because a re-analysed edit adds or removes no line.
   */
  functionWriters: Map<string, number>;
  exportWriters: Map<string, number>;
  /** Names of every function of the file (declarations, methods, properties). */
  functionNames: Set<string>;
  exported: Map<string, string>;
  topLevelCallers: Map<string, { top: number; inner: number }>;
  registrations: Map<string, Registration>;
  /** Value references of the async functions that may be startup code (see `classify`). */
  references: Map<string, number>;
  constNumbers: Set<string>;
  worker: boolean;
  extendsSequelize: boolean;
  usesSequelize: boolean;
  usesMongoose: boolean;
  /** Something in the file can send an HTTP request (see mayRequest). */
  requests: boolean;
  /** Something in the file can block (see mayBlock). */
  blocks: boolean;
  /**
   * The names through which code reaches what the rules see: imports a rule can see, clients,
   * the globals the rules know, and the local functions (by name, as calls resolve them) that
   * block, query or send a request; and the members of `this` that are clients or such methods.
   * A function whose text names none of these, no API, and no such member blocks, queries and
   * sends nothing (DocumentAnalysis.quiet).
   */
  mattering: { names: Set<string>; members: Set<string> };
}

/**
 * Re-analysis against the snapshot of the last full analysis: of a few consecutive top-level
 * statements, or of one function inside a top-level statement (`inside`).
 */
export interface JsScope {
  statements: Node[];
  snapshot: JsSnapshot;
  /**
   * `statements` is one function, not run inline by the code around it (so no other function's
   * summary holds its calls), in no loop, in the top-level statement that starts on `row`; its
   * enclosing functions and class bodies (`around`) give it its context.
   */
  inside?: { row: number; around: Node[] };
  /**
   * Whether a name occurs anywhere in the file outside the statements (as a word, in code, a
   * string or a comment). A function name the snapshot does not know and no code outside holds
   * is answered from the statements alone (its registrations and value references).
   */
  occursOutside?: (name: string) => boolean;
}

/**
 * A map that, in a scoped re-analysis, starts as the snapshot's and writes to a journal: instead
 * of itself (the snapshot already holds what the whole file wrote), or also to itself when
 * `owns` says the statement owns the key (its functions are read as nodes, not summaries).
 */
class Journaled<K, V> extends Map<K, V> {
  private journal: string[] | undefined;
  private label = '';
  private owns: ((key: K) => boolean) | undefined;
  private show: (key: K, value: V) => string | undefined = String;

  /** `show` gives the journal line of a write, or undefined for a write no rule can see. */
  static over<K, V>(base: ReadonlyMap<K, V>, journal: string[], label: string, owns: ((key: K) => boolean) | undefined, show: (key: K, value: V) => string | undefined): Journaled<K, V> {
    const m = new Journaled<K, V>();
    for (const [k, v] of base) Map.prototype.set.call(m, k, v);
    m.journal = journal;
    m.label = label;
    m.owns = owns;
    m.show = show;
    return m;
  }

  override set(key: K, value: V): this {
    if (!this.journal) return super.set(key, value);
    const line = this.show(key, value);
    if (line !== undefined) this.journal.push(`${this.label} ${line}`);
    return this.owns?.(key) ? super.set(key, value) : this;
  }
}

const isSummary = (v: Node | FunctionSummary | undefined): v is FunctionSummary => !!v && (v as FunctionSummary).blocks !== undefined;

function normalizeModule(spec: string): string {
  return spec.startsWith('node:') ? spec.slice(5) : spec;
}

function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

/** Walks a callee through members and calls: `a.b().c` → root `a`, path [b, c], rootCalled if `a(...)` starts it. */
function chainOf(expr: Node): { root: Node; path: string[]; rootCall?: Node } {
  const pathParts: string[] = [];
  let cur: Node = expr;
  let rootCall: Node | undefined;
  for (;;) {
    if (cur.type === 'member_expression') {
      const prop = field(cur, 'property');
      pathParts.unshift(prop ? prop.text : '');
      cur = field(cur, 'object')!;
    } else if (cur.type === 'call_expression') {
      const fn = field(cur, 'function')!;
      if (fn.type !== 'member_expression' && fn.type !== 'call_expression') {
        rootCall = cur;
        cur = fn;
        break;
      }
      cur = fn;
    } else if (cur.type === 'await_expression' || cur.type === 'parenthesized_expression' || cur.type === 'non_null_expression') {
      const inner = firstKid(cur);
      if (!inner) break;
      cur = inner;
    } else break;
  }
  return { root: cur, path: pathParts, rootCall };
}

function rootKey(root: Node, pathParts: string[]): { key: string; rest: string[] } | undefined {
  if (root.type === 'identifier') return { key: root.text, rest: pathParts };
  if (root.type === 'this' && pathParts.length > 0) return { key: `this.${pathParts[0]}`, rest: pathParts.slice(1) };
  return undefined;
}

/**
 * How the code around a function runs it: inline (an array callback, a Promise executor: its
 * calls are the enclosing function's), once per item (a loop callback), or neither.
 */
export function functionRole(f: Node, parent: Node | null = f.parent, grandparent?: Node | null): { inline: boolean; loop: boolean } {
  const args = parent;
  const call = args?.type === 'arguments' ? (grandparent === undefined ? args.parent : grandparent) : null;
  if (!call || (call.type !== 'call_expression' && call.type !== 'new_expression')) return { inline: false, loop: false };
  if (call.type === 'new_expression') return { inline: field(call, 'constructor')?.text === 'Promise', loop: false };
  const method = calleeName(call);
  const member = calleeNode(call)?.type === 'member_expression';
  return { inline: !!method && member && INLINE_CALLBACK_METHODS.has(method), loop: !!method && member && LOOP_CALLBACK_METHODS.has(method) };
}

export function isFunction(node: Node | null | undefined): boolean {
  return !!node && FUNCTION_TYPES.has(node.type);
}

/** A function node's name: its own, or the variable or object key it is the value of. */
export function functionName(f: Node): string | undefined {
  const n = field(f, 'name');
  if (n) return n.text;
  if (f.parent?.type === 'variable_declarator') return field(f.parent, 'name')?.text;
  if (f.parent?.type === 'pair') return field(f.parent, 'key')?.text;
  return undefined;
}

/** A query capturing every function node (`@function`). */
export const FUNCTIONS_QUERY = `[${[...FUNCTION_TYPES].map((t) => `(${t})`).join(' ')}] @function`;

/**
 * The callee of a call. TypeScript parses `await xs.reduce<T>(…)` with the `await` inside the
 * callee (a quirk of type arguments): the callee is what is awaited.
 */
function calleeNode(call: Node): Node | null {
  const fn = field(call, 'function');
  return fn?.type === 'await_expression' && field(call, 'type_arguments') ? firstKid(fn) ?? null : fn;
}

function calleeName(call: Node): string | undefined {
  const fn = calleeNode(call);
  if (!fn) return undefined;
  if (fn.type === 'identifier') return fn.text;
  if (fn.type === 'member_expression') return field(fn, 'property')?.text;
  return undefined;
}

/** What other files of the workspace say about this one's exports. */
export interface ExternalRegistrations {
  /** Export names registered as startup code (Fastify `register`). */
  startup?: ReadonlySet<string>;
  /** Export names registered as request handlers (`router.get('/x', controller.list)`). */
  handlers?: ReadonlySet<string>;
}

export function analyseJs(tree: Tree, file: string, nodesQuery: Query, resolve: ImportResolver, options: DetectorOptions, wantFindings = true, external: ExternalRegistrations = {}, record = false): JsAnalysis {
  return analyse(tree, file, nodesQuery, resolve, options, wantFindings, external, record ? 'record' : undefined)!;
}

/**
 * The findings of the scope (a few top-level statements, or one function), computed against the
 * snapshot of the last full analysis, and its journal: what it tells the rest of the file. Equal
 * journals for the scope before and after an edit mean that the rest of the file, and the
 * snapshot, are as they were. Undefined when the snapshot cannot answer (a function name or a
 * startup candidate it never saw).
 */
export function reanalyseJsStatement(tree: Tree, file: string, nodesQuery: Query, resolve: ImportResolver, options: DetectorOptions, external: ExternalRegistrations, scope: JsScope, journalOnly = false): { findings: RawFinding[]; journal: string } | undefined {
  const result = analyse(tree, file, nodesQuery, resolve, options, !journalOnly, external, scope);
  return result?.journal === undefined ? undefined : { findings: result.findings, journal: result.journal };
}

function analyse(tree: Tree, file: string, nodesQuery: Query, resolve: ImportResolver, options: DetectorOptions, wantFindings: boolean, external: ExternalRegistrations, mode: 'record' | JsScope | undefined): JsAnalysis | undefined {
  const registeredElsewhere = external.startup ?? new Set<string>();
  const handlersElsewhere = external.handlers ?? new Set<string>();
  const root = tree.rootNode;
  const facts = emptyFacts(file);
  for (const name of registeredElsewhere) facts.startupExports.add(name);
  const scope = typeof mode === 'object' ? mode.statements : undefined;
  const inside = typeof mode === 'object' ? mode.inside : undefined;
  const snap = typeof mode === 'object' ? mode.snapshot : undefined;
  const occursOutside = typeof mode === 'object' ? mode.occursOutside : undefined;
  const journal: string[] = [];
  /** The scoped re-analysis met something the snapshot cannot answer. */
  let refused = false;
  let numbers: Set<string> | undefined;
  // Anonymous functions are named by node id (`@123`): in a journal, by order of appearance.
  const anonymous = new Map<string, string>();
  const stable = (name: string): string => {
    if (!/^@(expr)?\d+$/.test(name)) return name;
    if (!anonymous.has(name)) anonymous.set(name, `@${anonymous.size}`);
    return anonymous.get(name)!;
  };
  // A binding no rule looks at is left out of a journal: renaming `import { a } from './util'`
  // (a module with no facts that matter) or an import of a package the rules do not know changes
  // no finding elsewhere. The names the rules look up by themselves always count.
  const settingsNameModules = (options.extraBlockingApis?.length ?? 0) + (options.extraQueryApis?.length ?? 0) + (options.extraHandlerRegistrations?.length ?? 0) > 0;
  const unseenWorkspace = (local: string, target: ModuleFacts): boolean => !GLOBAL_NAMES.has(local) && !settingsNameModules && !factsMatter(target, 'javascript');
  const unseenBinding = (local: string, module: string): boolean => {
    if (GLOBAL_NAMES.has(local) || settingsNameModules) return false;
    if (module.startsWith('.') || module.startsWith('/')) {
      // A module that does not resolve binds nothing either (no workspace facts).
      const target = resolve(file, module);
      return target === undefined || !factsMatter(target, 'javascript');
    }
    return !KNOWN_MODULES.has(module) && !FRAMEWORK_MODULES.has(module) && !HTTP_MODULES.has(module) && !SYNC_MODULES.has(module) && !DB_LIBS.has(module) && !(module in LIBRARY_BLOCKERS) && !jsMayUseApis(`'${module}'`, options);
  };
  const bindings: Map<string, Binding> = snap ? Journaled.over(snap.bindings, journal, 'bind', undefined, (k, b) => (unseenBinding(k, b.module) ? undefined : `${k} ${b.module}#${b.name}`)) : new Map();
  const clients: Map<string, ClientKind> = snap ? Journaled.over(snap.clients, journal, 'client', undefined, (k, v) => `${k} ${v}`) : new Map();
  const workspaceImports: Map<string, { facts: ModuleFacts; name: string }> = snap ? Journaled.over(snap.workspaceImports, journal, 'import', undefined, (k, w) => (unseenWorkspace(k, w.facts) ? undefined : `${k} ${w.facts.file}#${w.name}`)) : new Map();
  const calls: Node[] = [];
  const news: Node[] = [];
  const declarators: Node[] = [];
  const functions: Node[] = [];
  const classBodies: Node[] = [];
  /** `this.x = …` (clients kept on the instance). */
  const thisAssignments: Node[] = [];
  // Each node is asked about several times (helpers, contexts, loops): answers are kept per node.
  const chainAt = perNode(chainOf);
  /** The callee of a call, looked up once per call node. */
  const calleeOf = perNode(calleeNode);
  const methodOf = perNode(calleeName);
  const isNextApi = /[\\/]pages[\\/]api[\\/]/.test(file) || /[\\/]app[\\/](.*[\\/])?route\.[cm]?[jt]sx?$/.test(file);

  for (const cap of scope ? scope.flatMap((n) => nodesQuery.captures(n)) : nodesQuery.captures(root)) {
    switch (cap.name) {
      case 'call': calls.push(cap.node); break;
      case 'new': news.push(cap.node); break;
      case 'import': collectImport(cap.node); break;
      case 'declarator': declarators.push(cap.node); break;
      case 'function': functions.push(cap.node); break;
      case 'classBody': classBodies.push(cap.node); break;
      case 'thisAssign': thisAssignments.push(cap.node); break;
    }
  }

  // Function nesting from source ranges (no tree walking).
  const scopes = new RangeIndex(inside ? [...functions, ...inside.around.filter((n) => n.type !== 'class_body')] : functions);
  const enclosingFunction = perNode((node: Node): Node | undefined => scopes.innermost(node));
  const classes = new RangeIndex(inside ? [...classBodies, ...inside.around.filter((n) => n.type === 'class_body')] : classBodies);
  /** The methods of a class body by name (the first of a name, as a lookup in source order finds). */
  const methodsOf = perNode((body: Node): Map<string, Node> => {
    const out = new Map<string, Node>();
    for (const m of kids(body)) {
      const name = m.type === 'method_definition' ? field(m, 'name')?.text : undefined;
      if (name && !out.has(name)) out.set(name, m);
    }
    return out;
  });


  function bindWorkspace(local: string, module: string, name: string): void {
    if (!module.startsWith('.') && !module.startsWith('/')) return;
    const f = resolve(file, module);
    if (f) workspaceImports.set(local, { facts: f, name });
  }

  function collectImport(node: Node): void {
    const source = stringValue(field(node, 'source'));
    if (source === undefined) return;
    const module = normalizeModule(source);
    walk(node, (n) => {
      if (n.type === 'import_clause') {
        for (const c of kids(n)) {
          if (c.type === 'identifier') { bindings.set(c.text, { module, name: '*' }); bindWorkspace(c.text, module, 'default'); }
          else if (c.type === 'namespace_import') {
            const id = kids(c).find((k) => k.type === 'identifier');
            if (id) { bindings.set(id.text, { module, name: '*' }); bindWorkspace(id.text, module, '*'); }
          } else if (c.type === 'named_imports') {
            for (const spec of kids(c)) {
              if (spec.type !== 'import_specifier') continue;
              const name = field(spec, 'name')?.text;
              const alias = field(spec, 'alias')?.text ?? name;
              if (name && alias) {
                bindings.set(alias, { module, name: name === 'default' ? '*' : name });
                bindWorkspace(alias, module, name);
              }
            }
          }
        }
        return false;
      }
      return true;
    });
  }

  /** `require('m')` → module name. */
  function requireOf(node: Node | null): string | undefined {
    if (!node || node.type !== 'call_expression') return undefined;
    const fn = field(node, 'function');
    if (fn?.type !== 'identifier' || fn.text !== 'require') return undefined;
    const arg = firstKid(field(node, 'arguments')!);
    const s = stringValue(arg);
    return s === undefined ? undefined : normalizeModule(s);
  }

  // require() bindings and destructuring.
  for (const d of declarators) {
    let value = field(d, 'value');
    const nameNode = field(d, 'name');
    if (!value || !nameNode) continue;
    if (value.type === 'await_expression') value = firstKid(value) ?? value;
    let module = requireOf(value);
    let member: string | undefined;
    if (!module && value.type === 'member_expression') {
      module = requireOf(field(value, 'object'));
      member = field(value, 'property')?.text;
    }
    if (!module && value.type === 'call_expression' && field(value, 'function')?.type === 'import') {
      const s = stringValue(firstKid(field(value, 'arguments')!));
      if (s) module = normalizeModule(s);
    }
    if (!module) continue;
    if (nameNode.type === 'identifier') {
      bindings.set(nameNode.text, { module, name: member ?? '*' });
      bindWorkspace(nameNode.text, module, member ?? '*');
    } else if (nameNode.type === 'object_pattern') {
      for (const p of kids(nameNode)) {
        if (p.type === 'shorthand_property_identifier_pattern') {
          bindings.set(p.text, { module, name: member ? `${member}.${p.text}` : p.text });
          bindWorkspace(p.text, module, p.text);
        } else if (p.type === 'pair_pattern') {
          const key = field(p, 'key')?.text;
          const val = field(p, 'value');
          if (key && val?.type === 'identifier') {
            bindings.set(val.text, { module, name: member ? `${member}.${key}` : key });
            bindWorkspace(val.text, module, key);
          }
        }
      }
    }
  }

  /** `fs.readFileSync` → { module: 'fs', name: 'readFileSync' } through imports, requires and aliases. */
  function qualify(callee: Node): { module: string; name: string } | undefined {
    const { root: r, path: p, rootCall } = chainAt(callee);
    let module: string | undefined;
    let parts: string[];
    if (rootCall && r.type === 'identifier' && r.text === 'require') {
      module = requireOf(rootCall);
      parts = p;
    } else if (r.type === 'identifier' && !rootCall) {
      const b = bindings.get(r.text);
      if (!b) return undefined;
      module = b.module;
      parts = b.name === '*' ? p : [...b.name.split('.'), ...p];
    } else return undefined;
    if (!module) return undefined;
    if (parts[0] === 'default') parts = parts.slice(1);
    if (module === 'fs' && parts[0] === 'promises') return { module: 'fs/promises', name: parts.slice(1).join('.') };
    return { module, name: parts.join('.') };
  }

  // ---- clients (DB, HTTP) ----
  function kindOfModuleCall(module: string, name: string, isNew: boolean): ClientKind | undefined {
    if (module === '@prisma/client' && name === 'PrismaClient') return 'prisma';
    if (module === 'knex' && (name === '' || name === 'knex')) return 'knex';
    if (module === 'pg' && isNew && (name === 'Pool' || name === 'Client')) return 'sql';
    if ((module === 'mysql2' || module === 'mysql2/promise' || module === 'mysql') && /^create(Pool|Connection|PoolCluster)$/.test(name)) return 'sql';
    if (module === 'better-sqlite3') return 'sqlite-db';
    if (module === 'ioredis' || (module === 'redis' && name === 'createClient')) return 'redis';
    if (module === 'axios' && name === 'create') return 'http';
    if (module === 'dataloader') return 'dataloader';
    if (module === 'mongoose' && name === 'model') return 'mongoose-model';
    if (module === 'sequelize' && name === 'Sequelize') return 'sequelize';
    if (module === 'typeorm' && /^(DataSource|getRepository|getManager|getConnection|getCustomRepository|createConnection)$/.test(name)) return 'typeorm';
    return undefined;
  }

  function kindOfExpression(value: Node | null): ClientKind | undefined {
    if (!value) return undefined;
    if (value.type === 'await_expression' || value.type === 'parenthesized_expression' || value.type === 'as_expression' || value.type === 'non_null_expression') return kindOfExpression(firstKid(value) ?? null);
    if (value.type === 'identifier') return clients.get(value.text);
    // The Next.js singleton: `globalForPrisma.prisma ?? new PrismaClient()`.
    if (value.type === 'binary_expression') {
      const op = value.child(1)?.type;
      if (op === '??' || op === '||') return kindOfExpression(field(value, 'right')) ?? kindOfExpression(field(value, 'left'));
      return undefined;
    }
    if (value.type === 'new_expression' || value.type === 'call_expression') {
      const callee = field(value, value.type === 'new_expression' ? 'constructor' : 'function');
      if (!callee) return undefined;
      const q = qualify(callee);
      const fromModule = q ? kindOfModuleCall(q.module, q.name, value.type === 'new_expression') : undefined;
      if (fromModule) return fromModule;
      // A client imported from a workspace module goes on (`await pool.connect()`).
      if (q && !clients.has(chainAt(callee).root.text)) return undefined;
      if (value.type === 'call_expression') {
        const { root: r, path: p } = chainAt(callee);
        const rk = rootKey(r, p);
        const kind = rk ? clients.get(rk.key) : undefined;
        const last = p[p.length - 1];
        if (kind === 'sqlite-db' && last === 'prepare') return 'sqlite-stmt';
        if (kind === 'sql' && (last === 'connect' || last === 'promise' || last === 'getConnection')) return 'sql';
        if (kind === 'typeorm' && (last === 'getRepository' || last === 'getTreeRepository')) return 'typeorm';
        if (kind === 'sequelize' && last === 'define') return 'sequelize-model';
        if (kind === 'redis' && last === 'duplicate') return 'redis';
        if (kind === 'http' && last === 'create') return 'http';
      }
    }
    return undefined;
  }

  // Clients imported from workspace modules. (A scoped re-analysis reads them, and the other
  // file-wide answers below, from the snapshot: its own imports are in its journal.)
  for (const [local, imp] of snap ? [] : workspaceImports) {
    const kind = imp.facts.clients.get(imp.name === '*' ? 'default' : imp.name);
    if (kind) clients.set(local, kind);
  }
  // Classes extending ORM bases, typed parameters and injected fields (TypeScript).
  // One walk, and only for what can matter: classes when Sequelize is imported, typed parameters
  // and fields in TypeScript (JavaScript has neither).
  let extendsSequelize = snap?.extendsSequelize ?? false;
  if (!snap) for (const b of bindings.values()) if (b.module === 'sequelize' || b.module === 'sequelize-typescript') extendsSequelize = true;
  const typedTypes = [...(extendsSequelize ? ['class_declaration', 'class'] : []), ...(/\.[cm]?tsx?$/.test(file) ? ['required_parameter', 'optional_parameter', 'public_field_definition'] : [])];
  const typedNodes = typedTypes.length > 0 ? (scope ?? [root]).flatMap((n) => n.descendantsOfType(typedTypes)) : [];
  for (const n of typedNodes) {
    if (!n) continue;
    if (n.type === 'class_declaration' || n.type === 'class') {
      const heritage = kids(n).find((k) => k.type === 'class_heritage');
      const name = field(n, 'name')?.text;
      if (heritage && name) {
        const base = /^\s*extends\s+([\w$]+)/.exec(heritage.text)?.[1] ?? '';
        const b = bindings.get(base);
        if (b?.module === 'sequelize' || b?.module === 'sequelize-typescript') clients.set(name, 'sequelize-model');
      }
    }
    if (n.type === 'required_parameter' || n.type === 'optional_parameter' || n.type === 'public_field_definition') {
      const typeNode = kids(n).find((k) => k.type === 'type_annotation');
      const nameNode = field(n, 'pattern') ?? field(n, 'name');
      if (!nameNode) continue;
      const typeText = typeNode?.text.replace(/^:\s*/, '') ?? '';
      const decorators = kids(n).filter((k) => k.type === 'decorator').map((k) => k.text);
      let kind: ClientKind | undefined;
      if (/^(Repository|TreeRepository|MongoRepository)\s*</.test(typeText) || /^(EntityManager|DataSource)\b/.test(typeText) || decorators.some((t) => t.startsWith('@InjectRepository') || t.startsWith('@InjectDataSource') || t.startsWith('@InjectEntityManager'))) kind = 'typeorm';
      else if (/^(PrismaClient|PrismaService|Prisma\.TransactionClient)\b/.test(typeText)) kind = 'prisma';
      else if (/^Knex\b/.test(typeText)) kind = 'knex';
      else if (/^Model\s*</.test(typeText) || decorators.some((t) => t.startsWith('@InjectModel'))) kind = 'mongoose-model';
      else if (/^(Pool|PoolClient)\b/.test(typeText) && bindings.get(typeText.split(/\W/)[0]!)?.module === 'pg') kind = 'sql';
      if (kind) {
        const isField = n.type === 'public_field_definition' || kids(n).some((k) => k.type === 'accessibility_modifier' || k.type === 'readonly');
        clients.set(isField ? `this.${nameNode.text}` : nameNode.text, kind);
      }
    }
  }
  // A few passes so `const repo = ds.getRepository(X)` after `const ds = new DataSource()` resolves
  // (none when no module that makes clients is imported and no client is known yet: every
  // expression's kind would be undefined).
  const mayMakeClients = clients.size > 0 || [...bindings.values()].some((b) => CLIENT_MODULES.has(b.module));
  for (let pass = 0; pass < (mayMakeClients ? 2 : 0); pass++) {
    for (const a of thisAssignments) {
      const kind = kindOfExpression(field(a, 'right'));
      if (kind) clients.set(field(a, 'left')!.text, kind);
    }
    for (const d of declarators) {
      const nameNode = field(d, 'name');
      const kind = kindOfExpression(field(d, 'value'));
      if (nameNode?.type === 'identifier' && kind) clients.set(nameNode.text, kind);
    }
  }
  // prisma.$transaction(async (tx) => …): tx is a Prisma client; TypeORM
  // dataSource.transaction([isolation,] async (manager) => …): manager is an EntityManager.
  for (const c of calls) {
    const fn = calleeOf(c);
    const method = fn?.type === 'member_expression' ? field(fn, 'property')?.text : undefined;
    if (method !== '$transaction' && method !== 'transaction') continue;
    const { root: r, path: p } = chainAt(fn!);
    const rk = rootKey(r, p);
    const kind = rk ? clients.get(rk.key) : undefined;
    if (!(method === '$transaction' && kind === 'prisma') && !(method === 'transaction' && kind === 'typeorm')) continue;
    const cb = kids(field(c, 'arguments')!).find((a) => isFunction(a));
    if (cb) {
      const params = field(cb, 'parameters') ?? field(cb, 'parameter');
      const first = params?.type === 'identifier' ? params : params ? firstKid(params) : undefined;
      const id = first?.type === 'identifier' ? first : first ? (field(first, 'pattern') ?? undefined) : undefined;
      if (id?.type === 'identifier') clients.set(id.text, kind!);
    }
  }
  for (const c of calls) {
    if (methodOf(c) !== 'register' || calleeOf(c)?.type !== 'member_expression') continue;
    const arg = firstKid(field(c, 'arguments')!);
    const ws = arg?.type === 'identifier' ? workspaceImports.get(arg.text) : undefined;
    if (!ws) continue;
    const set = facts.registers.get(ws.facts.file) ?? new Set<string>();
    set.add(ws.name === '*' ? 'default' : ws.name);
    facts.registers.set(ws.facts.file, set);
  }
  if (!snap) for (const b of bindings.values()) if (DB_LIBS.has(b.module)) facts.libs.add(b.module);
  // Models exported dynamically by a workspace module that uses an ORM (`const { User } = require('./models')`).
  for (const [local, imp] of snap ? [] : workspaceImports) {
    if (clients.has(local) || !/^[A-Z]/.test(local) || imp.name === '*') continue;
    if (imp.facts.libs.has('sequelize')) clients.set(local, 'sequelize-model');
    else if (imp.facts.libs.has('mongoose')) clients.set(local, 'mongoose-model');
  }
  // Handlers registered by reference to workspace modules: router.get('/x', controller.list).
  for (const c of calls) {
    const fn = calleeOf(c);
    const method = methodOf(c);
    if (fn?.type !== 'member_expression' || !method || !ROUTE_METHODS.has(method)) continue;
    const args = kids(field(c, 'arguments')!);
    const routeLike = args[0] && /^['"`]\//.test(args[0].text);
    if (!routeLike && !isFrameworkObject(field(fn, 'object')!)) continue;
    for (const a of args) {
      let target: { file: string; name: string } | undefined;
      if (a.type === 'identifier') {
        const ws = workspaceImports.get(a.text);
        if (ws) target = { file: ws.facts.file, name: ws.name === '*' ? 'default' : ws.name };
      } else if (a.type === 'member_expression') {
        const obj = field(a, 'object');
        const ws = obj?.type === 'identifier' ? workspaceImports.get(obj.text) : undefined;
        if (ws && ws.name === '*') target = { file: ws.facts.file, name: field(a, 'property')?.text ?? '' };
      }
      if (!target) continue;
      const set = facts.handlerRegs.get(target.file) ?? new Set<string>();
      set.add(target.name);
      facts.handlerRegs.set(target.file, set);
    }
  }
  const fileUsesSequelize = snap ? snap.usesSequelize : [...bindings.values()].some((b) => b.module === 'sequelize') || [...clients.values()].some((k) => k === 'sequelize-model');
  const fileUsesMongoose = snap ? snap.usesMongoose : [...bindings.values()].some((b) => b.module === 'mongoose') || [...clients.values()].some((k) => k === 'mongoose-model');

  // ---- worker files ----
  const workerThreads = snap ? [] : [...bindings.entries()].filter(([, b]) => b.module === 'worker_threads');
  facts.worker = snap ? snap.worker : workerThreads.some(([local, b]) => b.name === 'parentPort' || b.name === 'workerData' || (b.name === '*' && new RegExp(`\\b${local}\\.(parentPort|workerData)\\b`).test(root.text)));
  if (snap) journal.push(`worker ${scope!.reduce((sum, n) => sum + (n.text.match(/\.(parentPort|workerData)\b/g)?.length ?? 0), 0)}`);

  // ---- functions ----
  const infos = new Map<number, FunctionInfo>();
  // A scoped re-analysis sees the functions of the other statements as summaries, and its own
  // (written over them) as nodes.
  // The last definition of a name wins: a re-analysed statement writes the names it owns.
  const scopeRows = new Set(inside ? [inside.row] : scope?.map((n) => n.startPosition.row));
  const owns = (writers: ReadonlyMap<string, number>) => (name: string): boolean => !writers.has(name) || scopeRows.has(writers.get(name)!);
  const localFunctions: Map<string, Node | FunctionSummary> = snap ? Journaled.over<string, Node | FunctionSummary>(snap.functions, journal, 'function', owns(snap.functionWriters), (k) => stable(k)) : new Map();
  // What a module exports reaches its own findings only through registrations made elsewhere
  // (startup code, handlers) and Next.js route exports; otherwise only other modules read it
  // (facts), so renaming an export changes nothing here and is left out of the journal.
  const exportsMatter = isNextApi || registeredElsewhere.size > 0 || handlersElsewhere.size > 0;
  const exported: Map<string, string> = snap ? Journaled.over(snap.exported, journal, 'export', owns(snap.exportWriters), (k, v) => (exportsMatter ? `${k} ${stable(v)}` : undefined)) : new Map(); // export name → local name
  const functionWriters = new Map<string, number>();
  const exportWriters = new Map<string, number>();
  const ownFunctions: Array<[string, Node]> = [];
  let topStarts: number[] | undefined;
  /** The row of the top-level statement around a node (recorded for the snapshot). */
  function statementRow(node: Node): number {
    topStarts ??= kids(root).map((k) => k.startIndex);
    let lo = 0;
    let hi = topStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (topStarts[mid]! <= node.startIndex) lo = mid; else hi = mid - 1;
    }
    return root.child(lo)?.startPosition.row ?? 0;
  }
  function defineFunction(name: string, f: Node): void {
    if (snap) ownFunctions.push([name, f]);
    else if (mode === 'record') functionWriters.set(name, statementRow(f));
    localFunctions.set(name, f);
  }
  function defineExport(name: string, local: string, top: Node): void {
    if (mode === 'record') exportWriters.set(name, top.startPosition.row);
    exported.set(name, local);
  }
  for (const f of functions) {
    const name = functionName(f);
    if (name && (f.type === 'function_declaration' || f.type === 'generator_function_declaration' || f.parent?.type === 'variable_declarator')) defineFunction(name, f);
  }
  collectExports();

  function collectExports(): void {
    // A function inside a statement exports nothing of its own (the statement's exports stay).
    const tops = inside ? [] : scope ?? kids(root);
    for (const top of tops) {
      if (top.type === 'export_statement') {
        const isDefault = top.children.some((c) => c?.type === 'default');
        const decl = field(top, 'declaration') ?? field(top, 'value');
        if (decl) {
          if (isFunction(decl) || decl.type === 'class_declaration') {
            const name = field(decl, 'name')?.text;
            if (isDefault) defineExport('default', name ?? `@${decl.id}`, top);
            if (name) defineExport(name, name, top);
            if (!name && isFunction(decl)) defineFunction(`@${decl.id}`, decl);
          } else if (decl.type === 'lexical_declaration' || decl.type === 'variable_declaration') {
            for (const d of kids(decl)) {
              const n = field(d, 'name');
              if (n?.type === 'identifier') defineExport(n.text, n.text, top);
            }
          } else if (decl.type === 'identifier' && isDefault) defineExport('default', decl.text, top);
          else if (isDefault) {
            const kind = kindOfExpression(decl);
            if (kind) facts.clients.set('default', kind);
          }
        }
        for (const clause of kids(top).filter((k) => k.type === 'export_clause')) {
          for (const spec of kids(clause)) {
            const name = field(spec, 'name')?.text;
            const alias = field(spec, 'alias')?.text ?? name;
            if (name && alias) defineExport(alias, name, top);
          }
        }
      }
      if (top.type === 'expression_statement') {
        const e = firstKid(top);
        if (e?.type !== 'assignment_expression') continue;
        const left = field(e, 'left')?.text ?? '';
        const right = field(e, 'right');
        if (!right) continue;
        const m = /^(?:module\.)?exports\.(\w+)$/.exec(left);
        if (m) {
          if (right.type === 'identifier') defineExport(m[1]!, right.text, top);
          else if (isFunction(right)) { defineFunction(`@${right.id}`, right); defineExport(m[1]!, `@${right.id}`, top); }
          else defineExport(m[1]!, `@expr${right.id}`, top);
        } else if (left === 'module.exports') {
          if (right.type === 'object') {
            for (const p of kids(right)) {
              if (p.type === 'shorthand_property_identifier') defineExport(p.text, p.text, top);
              else if (p.type === 'pair') {
                const k = field(p, 'key')?.text;
                const v = field(p, 'value');
                if (k && v?.type === 'identifier') defineExport(k, v.text, top);
                else if (k && v && kindOfExpression(v)) facts.clients.set(k, kindOfExpression(v)!);
                else if (k && v && isFunction(v)) { defineFunction(`@${v.id}`, v); defineExport(k, `@${v.id}`, top); }
              } else if (p.type === 'method_definition') {
                const k = field(p, 'name')?.text;
                if (k) { defineFunction(`@${p.id}`, p); defineExport(k, `@${p.id}`, top); }
              }
            }
          } else if (right.type === 'identifier') defineExport('default', right.text, top);
          else if (isFunction(right)) { defineFunction(`@${right.id}`, right); defineExport('default', `@${right.id}`, top); }
          else if (kindOfExpression(right)) facts.clients.set('default', kindOfExpression(right)!);
        }
      }
    }
    for (const [exp, local] of snap ? [] : exported) {
      const kind = clients.get(local);
      if (kind) facts.clients.set(exp, kind);
    }
    // module.exports = { User: mongoose.model(...) } handled through declarators; exports.x = new Pool()
    for (const top of tops) {
      if (top.type !== 'expression_statement') continue;
      const e = firstKid(top);
      if (e?.type !== 'assignment_expression') continue;
      const m = /^(?:module\.)?exports\.(\w+)$/.exec(field(e, 'left')?.text ?? '');
      const kind = m ? kindOfExpression(field(e, 'right')) : undefined;
      if (m && kind) facts.clients.set(m[1]!, kind);
    }
  }

  const topLevelCallers = snap ? snap.topLevelCallers : new Map<string, { top: number; inner: number }>();
  const calledFrom = new Set<string>();
  for (const c of calls) {
    const fn = calleeOf(c);
    if (fn?.type !== 'identifier' || !localFunctions.has(fn.text)) continue;
    const inner = !!enclosingFunction(c);
    // Only whether a function has top-level and inner callers matters (see classify): a set.
    if (snap) { calledFrom.add(`call ${fn.text} ${inner ? 'inner' : 'top'}`); continue; }
    const rec = topLevelCallers.get(fn.text) ?? { top: 0, inner: 0 };
    if (inner) rec.inner++; else rec.top++;
    topLevelCallers.set(fn.text, rec);
  }


  function callOfArgument(fnNode: Node): Node | undefined {
    const args = fnNode.parent;
    if (args?.type !== 'arguments') return undefined;
    const call = args.parent;
    return call && (call.type === 'call_expression' || call.type === 'new_expression') ? call : undefined;
  }

  function isFrameworkObject(obj: Node): boolean {
    const { root: r, path: p } = chainOf(obj);
    if (r.type === 'identifier') {
      const b = bindings.get(r.text);
      if (b && FRAMEWORK_MODULES.has(b.module)) return true;
    }
    if (r.type === 'identifier' || (r.type === 'this' && p.length > 0)) {
      const name = r.type === 'identifier' ? r.text : p[0]!;
      return /^(app|router|server|fastify|api|routes|instance|koa)$/i.test(name) || /Router$/.test(name);
    }
    return false;
  }

  function describeRoute(call: Node, method: string): string {
    const first = firstKid(field(call, 'arguments')!);
    const route = stringValue(first);
    return route !== undefined ? `the handler for \`${method.toUpperCase()} ${route}\`` : method === 'use' ? 'the middleware' : 'the request handler';
  }

  /** Runs inline in the function around it: an array callback, a Promise executor. */
  const inlineOf = perNode((f: Node): boolean => functionRole(f).inline);

  const anyRegistration = (options.extraHandlerRegistrations?.length ?? 0) > 0;
  /** Whether servingOfCall can make something of a call: a registering method, or an imported function (`createServer`, renamed or not). */
  function mayRegister(c: Node): boolean {
    if (anyRegistration) return true;
    const method = methodOf(c);
    if (method && (ROUTE_METHODS.has(method) || REGISTERING_CALLS.has(method))) return true;
    const callee = calleeOf(c);
    return callee?.type === 'identifier' && bindings.has(callee.text);
  }

  let callsByArgument: Map<string, Node[]> | undefined;
  const registrations = new Map<string, Registration | undefined>();
  /** What the calls that pass a function by name (`app.get('/x', handler)`) make of it. */
  function registrationOf(name: string): Registration | undefined {
    if (snap) {
      if (snap.functionNames.has(name)) return snap.registrations.get(name);
      // A new name (typed, or a name broken in two): only the statements' own calls can register it.
      if (occursOutside?.(name) !== false) {
        refused = true;
        return undefined;
      }
    }
    if (registrations.has(name)) return registrations.get(name);
    if (!callsByArgument) {
      callsByArgument = new Map();
      for (const c of calls) {
        if (!mayRegister(c)) continue;
        const args = field(c, 'arguments');
        if (!args) continue;
        for (const a of kids(args)) if (a.type === 'identifier') callsByArgument.set(a.text, [...(callsByArgument.get(a.text) ?? []), c]);
      }
    }
    let reg: Registration | undefined;
    for (const c of callsByArgument.get(name) ?? []) {
      const probe: Registration = { startup: false };
      servingOfCall(c, probe, name);
      if (probe.serving || probe.startup) reg = { serving: probe.serving ?? reg?.serving, startup: probe.startup || !!reg?.startup };
    }
    registrations.set(name, reg);
    return reg;
  }

  let exportNames: Map<string, string[]> | undefined;
  /** The names a local binding is exported as (the exports are complete when functions are classified). */
  function exportNamesOf(local: string): string[] {
    if (!exportNames) {
      exportNames = new Map();
      for (const [e, l] of exported) exportNames.set(l, [...(exportNames.get(l) ?? []), e]);
    }
    return exportNames.get(local) ?? [];
  }

  function classify(f: Node): FunctionInfo {
    const cached = infos.get(f.id);
    if (cached) return cached;
    const info: FunctionInfo = { node: f, name: functionName(f), async: f.children.some((c) => c?.type === 'async'), inline: false, startup: false };
    infos.set(f.id, info);
    const call = callOfArgument(f);
    if (call) {
      if (inlineOf(f)) info.inline = true;
      else servingOfCall(call, info);
    } else if (f.parent?.type === 'pair') {
      const key = field(f.parent, 'key')?.text;
      if (key === 'useFactory') info.startup = true;
      if (key === 'handler' || key === 'preHandler' || key === 'onRequest') {
        const obj = f.parent.parent;
        const routeCall = obj?.parent?.type === 'arguments' ? obj.parent.parent : undefined;
        if (routeCall && calleeName(routeCall) === 'route') info.serving = 'the route handler';
      }
    }
    if (f.type === 'method_definition') {
      const name = field(f, 'name')?.text ?? '';
      if (NEST_STARTUP_METHODS.has(name)) info.startup = true;
      const decorators: Node[] = [];
      for (let s = f.previousNamedSibling; s && s.type === 'decorator'; s = s.previousNamedSibling) decorators.push(s);
      decorators.push(...kids(f).filter((k) => k.type === 'decorator'));
      for (const d of decorators) {
        const m = /^@(\w+)\s*\(\s*(['"`]([^'"`]*)['"`])?/.exec(d.text);
        if (m && NEST_HANDLER_DECORATORS.has(m[1]!)) info.serving = `the NestJS handler \`@${m[1]}(${m[2] ?? ''})\``;
      }
    }
    if (info.name && NEXT_STARTUP_EXPORTS.has(info.name) && !enclosingFunction(f)) info.startup = true;
    // A Fastify plugin (`async function plugin(app: FastifyInstance)`) runs at registration, not per request.
    const params = field(f, 'parameters');
    if (!info.serving && params && /^\(\s*\w+\s*:\s*FastifyInstance\b/.test(params.text)) info.startup = true;
    const exportedAs = [...(info.name ? exportNamesOf(info.name) : []), ...exportNamesOf(`@${f.id}`)];
    if (info.name && exportNamesOf(info.name).some((e) => facts.startupExports.has(e))) info.startup = true;
    if (!info.serving && exportedAs.some((e) => handlersElsewhere.has(e))) info.serving = 'a request handler registered in another module';
    if (isNextApi && !enclosingFunction(f)) {
      if (exportedAs.includes('default')) info.serving = 'the Next.js API route handler';
      const verb = exportedAs.find((e) => NEXT_ROUTE_EXPORTS.has(e));
      if (verb) info.serving = `the Next.js route handler \`${verb}\``;
    }
    // An async function expression invoked on the spot at top level: `(async () => { … })()`.
    if (info.async && !enclosingFunction(f)) {
      let p = f.parent;
      while (p?.type === 'parenthesized_expression') p = p.parent;
      if (p?.type === 'call_expression' && contains(field(p, 'function')!, f)) info.startup = true;
    }
    // Async functions called only from module top level (startup code).
    if (info.async && info.name && !enclosingFunction(f)) {
      const rec = topLevelCallers.get(info.name);
      if (rec && rec.top > 0 && rec.inner === 0 && !referencedElsewhere(info.name)) info.startup = true;
    }
    // Named functions registered by reference: app.get('/x', handler).
    if (info.name && !info.serving) {
      const reg = registrationOf(info.name);
      if (reg?.serving) info.serving = reg.serving;
      if (reg?.startup) info.startup = true;
    }
    return info;
  }

  function referencedElsewhere(name: string): boolean {
    if (!snap) return referencesIn(root, name) > 0;
    const count = snap.references.get(name);
    if (count !== undefined) return count > 0;
    // A name the snapshot did not count: only the statements can hold it when nothing outside does.
    if (occursOutside?.(name) === false) return scope!.some((n) => referencesIn(n, name) > 0);
    refused = true;
    return false;
  }

  /** Identifiers named `name` in `area` that use it as a value (not called, not the function's own name). */
  function referencesIn(area: Node, name: string): number {
    let count = 0;
    for (const m of area.text.matchAll(wordPattern(name))) {
      const at = area.startIndex + m.index;
      const n = root.descendantForIndex(at, at + name.length);
      if (n?.type !== 'identifier' || n.startIndex !== at || n.endIndex !== at + name.length) continue;
      const p = n.parent;
      if (!(p?.type === 'call_expression' && field(p, 'function')?.id === n.id) && !(p && isFunction(p) && field(p, 'name')?.id === n.id)) count++;
    }
    return count;
  }

  function servingOfCall(call: Node, info: Registration, byName?: string): void {
    const callee = field(call, call.type === 'new_expression' ? 'constructor' : 'function');
    if (!callee) return;
    const args = kids(field(call, 'arguments')!);
    const q = qualify(callee);
    const method = callee.type === 'member_expression' ? field(callee, 'property')?.text : callee.text;
    if (q && matchesApi(options.extraHandlerRegistrations, q.module, q.name)) { info.serving = `the handler registered with \`${q.name}\``; return; }
    if (q && (q.module === 'http' || q.module === 'https' || q.module === 'http2' || q.module === 'net' || q.module === 'tls') && /^create(Secure)?Server$/.test(q.name)) {
      info.serving = q.module === 'net' || q.module === 'tls' ? "the 'connection' listener" : 'the request handler';
      return;
    }
    if (callee.type === 'identifier' && callee.text === 'setInterval') { info.serving = 'the setInterval callback'; return; }
    if (callee.type !== 'member_expression' || !method) return;
    const obj = field(callee, 'object')!;
    if (method === 'on' || method === 'once' || method === 'addListener' || method === 'prependListener') {
      const ev = stringValue(args[0]);
      if (ev && LISTENER_EVENTS.has(ev)) info.serving = `the '${ev}' listener`;
      return;
    }
    if (method === 'register') { info.startup = true; return; }
    if (method === 'addHook' && isFrameworkObject(obj)) { info.serving = `the ${stringValue(args[0]) ?? ''} hook`; return; }
    if (ROUTE_METHODS.has(method)) {
      const first = args[0];
      const routeLike = first && (first.type === 'string' || first.type === 'template_string') && /^['"`]\//.test(first.text);
      if (routeLike || (isFrameworkObject(obj) && args.length >= 1)) {
        const fnArgs = args.filter((a) => isFunction(a) || (byName !== undefined && a.type === 'identifier' && a.text === byName));
        if (fnArgs.length > 0) info.serving = describeRoute(call, method);
      }
    }
  }

  /** The context function a node runs in (skipping inline callbacks), or undefined at top level. */
  function contextOf(node: Node): FunctionInfo | undefined {
    for (let p = enclosingFunction(node); p; p = enclosingFunction(p)) {
      const info = classify(p);
      if (info.inline) continue;
      return info;
    }
    return undefined;
  }

  function isServing(info: FunctionInfo): boolean {
    return !info.startup && (info.async || !!info.serving);
  }

  function describeContext(info: FunctionInfo): string {
    if (info.serving) return info.serving;
    return info.name ? `the async function \`${info.name}\`` : 'an async function';
  }

  // ---- blocking APIs ----
  const blockingApi = perNode(computeBlockingApi);
  function computeBlockingApi(call: Node): string | undefined {
    const callee = calleeOf(call);
    if (!callee) return undefined;
    if (callee.type === 'member_expression' && callee.endIndex - callee.startIndex === 12 && callee.text === 'Atomics.wait' && !bindings.has('Atomics')) return 'Atomics.wait';
    const q = qualify(callee);
    if (q) {
      const last = q.name.split('.').pop() ?? '';
      if (matchesApi(options.extraBlockingApis, q.module, q.name)) return `${q.module}.${q.name}`;
      if (SYNC_MODULES.has(q.module) && /Sync$/.test(last) && q.name.split('.').length === 1) return `${q.module === 'fs/promises' ? 'fs' : q.module}.${q.name}`;
      if (q.module === 'crypto' && q.name === 'randomBytes' && !kids(field(call, 'arguments')!).some((a) => isFunction(a) || a.type === 'identifier' && /^(cb|callback|done)$/.test(a.text))) return 'crypto.randomBytes';
      if (LIBRARY_BLOCKERS[q.module]?.has(q.name)) return `${q.module}.${q.name}`;
      // A client imported from a workspace module (`import { db } from './store'`) goes on.
      if (!clients.has(chainAt(callee).root.text)) return undefined;
    }
    if (callee.type === 'member_expression') {
      const { root: r, path: p, rootCall } = chainAt(callee);
      const rk = rootKey(r, p);
      const kind = rk ? clients.get(rk.key) : undefined;
      const last = p[p.length - 1] ?? '';
      if (!rootCall && kind === 'sqlite-stmt' && rk!.rest.length === 1 && /^(run|get|all|iterate)$/.test(last)) return `better-sqlite3 statement .${last}()`;
      if (kind === 'sqlite-db' && (rk!.rest.length === 1 && /^(exec)$/.test(last) || rk!.rest.length === 2 && rk!.rest[0] === 'prepare' && /^(run|get|all|iterate)$/.test(last))) return `better-sqlite3 .${rk!.rest.join('().')}()`;
    }
    return undefined;
  }

  // ---- query APIs ----
  type QueryHit = { api: string; http: boolean; loaderLoad?: boolean };
  const queryApi = perNode(computeQueryApi);
  function computeQueryApi(call: Node): QueryHit | undefined {
    const callee = calleeOf(call);
    if (!callee) return undefined;
    if (callee.type === 'identifier') {
      if (callee.text === 'fetch' && !bindings.has('fetch') && !localFunctions.has('fetch')) return { api: 'fetch', http: true };
      const b = bindings.get(callee.text);
      if (b && HTTP_MODULES.has(b.module)) return { api: b.name === '*' ? b.module : `${b.module}.${b.name}`, http: true };
      const kind = clients.get(callee.text);
      if (kind === 'knex') return { api: `${callee.text}(…)`, http: false };
      if (kind === 'http') return { api: callee.text, http: true };
    }
    const q = qualify(callee);
    if (q) {
      if (matchesApi(options.extraQueryApis, q.module, q.name)) return { api: `${q.module}.${q.name}`, http: false };
      if (HTTP_MODULES.has(q.module) && (q.name === '' || HTTP_METHODS.has(q.name.split('.')[0]!))) return { api: `${q.module}${q.name ? '.' + q.name : ''}`, http: true };
    }
    if (callee.type !== 'member_expression') return undefined;
    const { root: r, path: p, rootCall } = chainAt(callee);
    const rk = rootKey(r, p);
    if (!rk) return undefined;
    let kind = clients.get(rk.key);
    const rest = rk.rest;
    const api = `${rk.key}.${rest.join('.')}`;
    if (!kind && !rootCall && rk.key === 'prisma' && rest.length >= 2) kind = 'prisma';
    // A Prisma client reached through a context object: `ctx.prisma.user.findMany(…)`.
    if (!kind && !rootCall) {
      const at = rest.indexOf('prisma');
      if (at >= 0 && rest.length >= at + 3 && PRISMA_METHODS.has(rest[at + 2]!)) return { api: `${rk.key}.${rest.slice(0, at + 3).join('.')}`, http: false };
    }
    // Models hung on an object exported by an ORM module: `db.User.findAll(…)` (Sequelize models/index.js).
    if (!kind && !rootCall && r.type === 'identifier' && rest.length >= 2 && /^[A-Z]/.test(rest[0]!)) {
      const libs = workspaceImports.get(r.text)?.facts.libs;
      if (libs?.has('sequelize') && SEQUELIZE_MODEL_METHODS.has(rest[1]!)) return { api: `${r.text}.${rest[0]}.${rest[1]}`, http: false };
      if (libs?.has('mongoose') && MONGOOSE_MODEL_METHODS.has(rest[1]!)) return { api: `${r.text}.${rest[0]}.${rest[1]}`, http: false };
    }
    if (!kind && !rootCall && r.type === 'identifier') {
      const ws = workspaceImports.get(r.text);
      if (ws && rest.length === 1) {
        const ev = ws.facts.querying.get(rest[0]!);
        if (ev) return undefined; // handled as a helper call
      }
    }
    // DataLoader instances reached through an object of loaders (`loaders.brand.load(id)`).
    if (!kind && !rootCall && rest[rest.length - 1] === 'load' && /loader/i.test(callee.text.slice(0, -'.load'.length))) return { api: `${callee.text}`, http: false, loaderLoad: true };
    if (!kind) return undefined;
    switch (kind) {
      case 'prisma':
        if (rootCall) return undefined;
        if (rest.length >= 2 && PRISMA_METHODS.has(rest[1]!)) return { api: `${rk.key}.${rest[0]}.${rest[1]}`, http: false };
        if (rest.length >= 1 && PRISMA_RAW.has(rest[0]!)) return { api, http: false };
        return undefined;
      case 'typeorm':
        if (rest.some((m) => TYPEORM_METHODS.has(m)) && !rest.includes('createQueryBuilder')) return TYPEORM_METHODS.has(rest[0]!) || rest[0] === 'getRepository' || rest[0] === 'manager' ? { api: `${rk.key}.${rest.find((m) => TYPEORM_METHODS.has(m))}`, http: false } : undefined;
        if (rest.includes('createQueryBuilder') && rest.some((m) => TYPEORM_BUILDER_TERMINALS.has(m))) return { api: `${rk.key}.createQueryBuilder(…)….${rest.find((m) => TYPEORM_BUILDER_TERMINALS.has(m))}`, http: false };
        return undefined;
      case 'sequelize-model':
        return !rootCall && SEQUELIZE_MODEL_METHODS.has(rest[0]!) ? { api: `${rk.key}.${rest[0]}`, http: false } : undefined;
      case 'sequelize':
        return !rootCall && rest[0] === 'query' ? { api, http: false } : undefined;
      case 'mongoose-model':
        return !rootCall && MONGOOSE_MODEL_METHODS.has(rest[0]!) ? { api: `${rk.key}.${rest[0]}`, http: false } : undefined;
      case 'knex':
        return rootCall || KNEX_ROOT_METHODS.has(rest[0]!) ? { api: rootCall ? `${r.text}(…)${rest.length > 0 ? '.' + rest.join('(…).') + '(…)' : ''}` : `${rk.key}.${rest[0]}`, http: false } : undefined;
      case 'sql':
        if (!rootCall && rest[0] === 'promise' && (rest[1] === 'query' || rest[1] === 'execute')) return { api: `${rk.key}.promise().${rest[1]}`, http: false };
        return !rootCall && (rest[0] === 'query' || rest[0] === 'execute') ? { api: `${rk.key}.${rest[0]}`, http: false } : undefined;
      case 'sqlite-db':
        return (rest[0] === 'prepare' && rest.length === 2 && /^(run|get|all|iterate)$/.test(rest[1]!)) || rest[0] === 'exec' ? { api, http: false } : undefined;
      case 'sqlite-stmt':
        return !rootCall && rest.length === 1 && /^(run|get|all|iterate)$/.test(rest[0]!) ? { api, http: false } : undefined;
      case 'redis':
        return !rootCall && rest.length >= 1 && !REDIS_NON_COMMANDS.has(rest[0]!) && /^[a-zA-Z]+$/.test(rest[0]!) ? { api: `${rk.key}.${rest[0]}`, http: false } : undefined;
      case 'http':
        return !rootCall && HTTP_METHODS.has(rest[0]!) ? { api, http: true } : undefined;
      case 'dataloader':
        return !rootCall && rest[rest.length - 1] === 'load' ? { api, http: false, loaderLoad: true } : undefined;
      default:
        return undefined;
    }
  }

  // ---- helpers: which local and imported functions block or query ----
  const blockMemo = new Map<number, Evidence | null>();
  const queryMemo = new Map<number, Evidence | null>();

  function evidence(node: Node, api: string, message: string): Evidence {
    return { file, line: lineOf(node), message, api };
  }

  /** Calls that belong to function `f` itself (not to nested non-inline functions). */
  let callsByOwner: Map<number, Node[]> | undefined;
  function ownCalls(f: Node): Node[] {
    if (!callsByOwner) {
      callsByOwner = new Map();
      for (const c of calls) {
        let owner: Node | undefined;
        for (let p = enclosingFunction(c); p; p = enclosingFunction(p)) {
          owner = p;
          if (!inlineOf(p)) break;
        }
        if (!owner) continue;
        const list = callsByOwner.get(owner.id) ?? [];
        list.push(c);
        callsByOwner.set(owner.id, list);
      }
    }
    return callsByOwner.get(f.id) ?? [];
  }

  /** The function a call invokes: a local function, or an exported one of a workspace module. */
  type Helper = { local?: Node; summary?: FunctionSummary; remote?: { facts: ModuleFacts; name: string } };
  const helperMemo = new Map<number, Helper | undefined>();
  function helperOf(call: Node): Helper | undefined {
    if (helperMemo.has(call.id)) return helperMemo.get(call.id);
    const h = computeHelperOf(call);
    helperMemo.set(call.id, h);
    return h;
  }
  /** The function a name refers to: an export of a workspace module, or a function of this file. */
  function helperNamed(name: string): Helper | undefined {
    const ws = workspaceImports.get(name);
    if (ws) return { remote: { facts: ws.facts, name: ws.name === '*' ? 'default' : ws.name } };
    const local = localFunctions.get(name);
    if (isSummary(local)) return { summary: local };
    return local ? { local } : undefined;
  }

  function computeHelperOf(call: Node): Helper | undefined {
    const fn = calleeOf(call);
    if (!fn) return undefined;
    if (fn.type === 'identifier') {
      const named = helperNamed(fn.text);
      if (named) return named;
    }
    if (fn.type === 'member_expression') {
      const obj = field(fn, 'object');
      const prop = field(fn, 'property')?.text;
      // this.helper(): a method of the same class.
      if (obj?.type === 'this' && prop) {
        const body = classes.innermost(call);
        if (!body) return undefined;
        // A class around the function re-analysed alone: its other methods are known by summary.
        if (inside && !contains(scope![0]!, body)) {
          const summary = snap!.methods.get(`${body.startPosition.row}:${prop}`);
          return summary ? { summary } : undefined;
        }
        const method = methodsOf(body).get(prop);
        return method ? { local: method } : undefined;
      }
      if (obj?.type === 'identifier' && prop) {
        const ws = workspaceImports.get(obj.text);
        if (ws && ws.name === '*') return { remote: { facts: ws.facts, name: prop } };
      }
    }
    return undefined;
  }

  /** Keeps the summary with the fewest helper levels. */
  function shallower(found: Evidence | null, via: Evidence | undefined): Evidence | null {
    if (!via) return found;
    const d = (via.depth ?? 1) + 1;
    return !found || d < (found.depth ?? 1) ? { ...via, depth: d } : found;
  }

  /** The blocking call a helper invocation leads to, within MAX_DEPTH helper levels. */
  /** An evidence within the helper depth limit. */
  function withinDepth(ev: Evidence | null | undefined): Evidence | undefined {
    return ev && (ev.depth ?? 1) <= MAX_DEPTH ? ev : undefined;
  }

  /** What a helper blocks on: another module's facts, a function of this file, or its summary in the snapshot. */
  function helperBlocks(h: Helper | undefined): Evidence | undefined {
    return withinDepth(h?.remote ? h.remote.facts.blocking.get(h.remote.name) : h?.local ? functionBlocks(h.local) : h?.summary?.blocks);
  }

  /** What a helper queries (as helperBlocks). */
  function helperQueries(h: Helper | undefined): Evidence | undefined {
    return withinDepth(h?.remote ? h.remote.facts.querying.get(h.remote.name) : h?.local ? functionQueries(h.local) : h?.summary?.queries);
  }

  function blocksVia(call: Node): Evidence | undefined {
    return helperBlocks(helperOf(call));
  }

  function functionBlocks(f: Node): Evidence | null {
    if (!mayBlock()) return null;
    if (blockMemo.has(f.id)) return blockMemo.get(f.id) ?? null;
    const info = classify(f);
    blockMemo.set(f.id, null); // also the cycle guard
    if (info.async || facts.worker) return null;
    let found: Evidence | null = null;
    for (const c of ownCalls(f)) {
      const api = blockingApi(c);
      if (api) { found = { ...evidence(c, api, `\`${api}\` blocks here`), depth: 1 }; break; }
      found = shallower(found, blocksVia(c));
    }
    blockMemo.set(f.id, found);
    return found;
  }

  function queriesVia(call: Node): Evidence | undefined {
    return helperQueries(helperOf(call));
  }

  function functionQueries(f: Node): Evidence | null {
    if (queryMemo.has(f.id)) return queryMemo.get(f.id) ?? null;
    queryMemo.set(f.id, null);
    let found: Evidence | null = null;
    for (const c of ownCalls(f)) {
      const hit = queryApi(c);
      if (hit && !hit.http && !hit.loaderLoad) { found = { ...evidence(c, hit.api, `\`${hit.api}\` queries here`), depth: 1 }; break; }
      found = shallower(found, queriesVia(c));
    }
    queryMemo.set(f.id, found);
    return found;
  }

  let blocks: boolean | undefined;
  /**
   * Whether anything in the file can block: `Atomics.wait`, a module with blocking APIs, a
   * better-sqlite3 client, a blocking API from the settings, a workspace helper that blocks (a
   * scoped re-analysis also asks its own text). Nothing blocks otherwise: no blocking-call
   * analysis.
   */
  function mayBlock(): boolean {
    blocks ??= (snap ? snap.blocks || scope!.some((n) => BLOCK_WORDS.test(n.text)) : BLOCK_WORDS.test(root.text))
      || (options.extraBlockingApis?.length ?? 0) > 0
      || [...clients.values()].some((k) => k === 'sqlite-db' || k === 'sqlite-stmt')
      || [...workspaceImports.values()].some((w) => w.facts.blocking.size > 0);
    return blocks;
  }

  let requests: boolean | undefined;
  /**
   * Whether anything in the file can send an HTTP request: `fetch`, an HTTP module or client, a
   * workspace helper that sends its arguments (a scoped re-analysis also asks its own text).
   */
  function mayRequest(): boolean {
    requests ??= (snap ? snap.requests || scope!.some((n) => HTTP_WORDS.test(n.text)) : HTTP_WORDS.test(root.text))
      || [...clients.values()].includes('http')
      || [...workspaceImports.values()].some((w) => [...w.facts.querying.keys()].some((k) => k.includes('(http:')));
    return requests;
  }

  /** What a helper sends in an HTTP request when given argument `i`, within the depth limit. */
  function httpParamOf(h: Helper, i: number): Evidence | undefined {
    return withinDepth(h.remote ? h.remote.facts.querying.get(`${h.remote.name}(http:#${i})`) : h.local ? httpParams(h.local).get(i) : h.summary?.http.find(([k]) => k === i)?.[1]);
  }

  /**
   * The parameter positions of `f` whose value reaches an HTTP request `f` sends (directly,
   * through a variable declared from it, or through another such helper), with that request.
   * Exported to other files as `name(http:#i)` in `querying` (no name can take that form).
   */
  const httpMemo = new Map<number, Map<number, Evidence>>();
  function httpParams(f: Node): Map<number, Evidence> {
    const known = httpMemo.get(f.id);
    if (known) return known;
    const out = new Map<number, Evidence>();
    httpMemo.set(f.id, out); // also the cycle guard
    if (!mayRequest()) return out;
    // The calls that can send a request: HTTP calls, and helpers that send one of their arguments.
    const sending: Array<{ used: Set<string>; ev: Evidence }> = [];
    for (const c of ownCalls(f)) {
      const hit = queryApi(c);
      if (hit?.http) {
        sending.push({ used: identifiersIn(c), ev: { ...evidence(c, hit.api, `\`${hit.api}\` sends the request here`), depth: 1 } });
        continue;
      }
      const h = helperOf(c);
      const args = h ? field(c, 'arguments') : null;
      if (!h || !args) continue;
      for (const [j, arg] of kids(args).entries()) {
        const inner = httpParamOf(h, j);
        if (inner) sending.push({ used: identifiersIn(arg), ev: { ...inner, depth: (inner.depth ?? 1) + 1 } });
      }
    }
    if (sending.length === 0) return out;
    const params = field(f, 'parameters') ?? field(f, 'parameter');
    const body = field(f, 'body');
    if (!params || !body) return out;
    // Names derived from each parameter: itself, and declarations whose value uses one.
    const derived = params.type === 'identifier' ? [new Set([params.text])] : kids(params).map((p) => identifiersIn(p));
    walk(body, (n) => {
      if (n.type !== 'variable_declarator') return;
      const value = field(n, 'value');
      const name = field(n, 'name');
      if (!value || !name) return;
      const used = identifiersIn(value);
      for (const set of derived) if ([...used].some((u) => set.has(u))) for (const id of identifiersIn(name)) set.add(id);
    });
    for (const { used, ev } of sending) {
      derived.forEach((set, i) => {
        if (!out.has(i) && [...used].some((u) => set.has(u))) out.set(i, ev);
      });
    }
    return out;
  }

  for (const [exp, local] of snap ? [] : exported) {
    const f = localFunctions.get(local);
    if (!f || isSummary(f)) continue;
    for (const [i, ev] of httpParams(f)) facts.querying.set(`${exp}(http:#${i})`, ev);
    const b = functionBlocks(f);
    if (b) facts.blocking.set(exp, b);
    const q = functionQueries(f);
    if (q) facts.querying.set(exp, q);
  }
  // Object of functions exported (module.exports = { a, b }) and methods of exported classes are covered above.

  const findings: RawFinding[] = [];
  if (snap) journalStatement();
  if (!wantFindings) return snap ? (refused ? undefined : { findings, facts, journal: journal.join('\n') }) : { findings, facts };

  // ---- blocking-call ----
  if (!facts.worker && mayBlock()) {
    for (const c of calls) {
      const ctx = contextOf(c);
      if (!ctx || !isServing(ctx)) continue;
      const api = blockingApi(c);
      if (api) {
        findings.push({ rule: 'blocking-call', node: c, message: `\`${api}\` blocks the event loop inside ${describeContext(ctx)}`, related: [evidence(ctx.node, '', describeContext(ctx))] });
        continue;
      }
      const via = blocksVia(c);
      if (via) {
        const helper = calleeOf(c)?.text ?? 'helper';
        findings.push({ rule: 'blocking-call', node: c, message: `\`${helper}\` calls \`${via.api}\`, which blocks the event loop inside ${describeContext(ctx)}`, related: [{ ...via, message: `\`${via.api}\` blocks here` }] });
      }
    }
  }

  // ---- n-plus-one ----
  for (const c of calls) {
    const hit = queryApi(c);
    const via = hit ? undefined : queriesVia(c);
    const instanceWrite = !hit && !via ? instanceWriteOf(c) : undefined;
    if (!hit && !via && !instanceWrite) {
      requestPerItem(c);
      helperPerItem(c);
      continue;
    }
    const loop = loopOf(c);
    if (!loop) continue;
    if (hit?.loaderLoad && (loop.kind === 'callback' || c.parent?.type !== 'await_expression')) continue;
    if (hit?.http && !usesLoopVariable(c, loop)) continue;
    if (instanceWrite && !loop.vars.has(field(calleeOf(c)!, 'object')!.text)) continue;
    if (exitsAfter(c, loop)) continue;
    const what = hit ? `\`${hit.api}\`` : instanceWrite ? `\`${instanceWrite}\`` : `\`${calleeOf(c)?.text}\` (which runs \`${via!.api}\`)`;
    findings.push({
      rule: 'n-plus-one',
      node: c,
      message: `${what} ${hit?.http ? 'sends one request' : 'runs one query'} per item of ${loop.describe}`,
      related: [evidence(loop.node, '', 'the loop'), ...(via ? [{ ...via, message: `\`${via.api}\` queries here` }] : [])],
    });
  }

  /**
   * A helper that sends an HTTP request built from one of its parameters, called in a loop with a
   * value derived from the loop variable at that position: one request per item (the spec's HTTP
   * rule, through the helper). The finding goes on the helper call.
   */
  function requestPerItem(c: Node): void {
    if (!mayRequest()) return;
    const h = helperOf(c);
    const args = h ? field(c, 'arguments') : null;
    if (!h || !args) return;
    let sent: Evidence | undefined;
    let loop: LoopInfo | undefined;
    for (const [i, arg] of kids(args).entries()) {
      const ev = httpParamOf(h, i);
      if (!ev) continue;
      loop ??= loopOf(c);
      if (!loop) return;
      if (usesLoopVariable(arg, loop)) { sent = ev; break; }
    }
    if (!sent || !loop || exitsAfter(c, loop)) return;
    findings.push({
      rule: 'n-plus-one',
      node: c,
      message: `\`${calleeOf(c)?.text}\` (which sends \`${sent.api}\`) sends one request per item of ${loop.describe}`,
      related: [evidence(loop.node, '', 'the loop'), { ...sent, message: `\`${sent.api}\` sends the request here` }],
    });
  }

  /** The array method of a call that runs its callback once per item (`xs.map(…)`), if it is one. */
  function loopMethod(call: Node): string | undefined {
    const method = call.type === 'call_expression' ? methodOf(call) : undefined;
    return method && LOOP_CALLBACK_METHODS.has(method) && calleeOf(call)?.type === 'member_expression' ? method : undefined;
  }

  /** `prisma.$transaction(items.map(…))` sends the writes as one batch. */
  function batched(call: Node): boolean {
    const outer = call.parent?.type === 'arguments' ? call.parent.parent : undefined;
    return outer?.type === 'call_expression' && methodOf(outer) === '$transaction';
  }

  /**
   * `items.map(helper)`: an array method that calls a helper by reference once per item, where
   * the helper queries, or sends a request built from its first argument (the item).
   */
  function helperPerItem(c: Node): void {
    const method = loopMethod(c);
    if (!method || batched(c)) return;
    const first = firstKid(field(c, 'arguments')!);
    const h = first?.type === 'identifier' ? helperNamed(first.text) : undefined;
    if (!h) return;
    const ev = helperQueries(h);
    const sent = ev || !mayRequest() ? undefined : httpParamOf(h, 0);
    if (!ev && !sent) return;
    const api = (ev ?? sent)!.api;
    findings.push({
      rule: 'n-plus-one',
      node: c,
      message: ev ? `\`${first!.text}\` (which runs \`${api}\`) runs one query per item of \`.${method}()\`` : `\`${first!.text}\` (which sends \`${api}\`) sends one request per item of \`.${method}()\``,
      related: [ev ? { ...ev, message: `\`${api}\` queries here` } : { ...sent!, message: `\`${api}\` sends the request here` }],
    });
  }

  function instanceWriteOf(call: Node): string | undefined {
    if (!fileUsesMongoose && !fileUsesSequelize) return undefined;
    const fn = calleeOf(call);
    if (fn?.type !== 'member_expression') return undefined;
    const obj = field(fn, 'object');
    const prop = field(fn, 'property')?.text ?? '';
    if (obj?.type !== 'identifier') return undefined;
    if (INSTANCE_WRITES.has(prop) || (fileUsesSequelize && (prop === 'update' || /^(get|set|add|remove|count|has|create)[A-Z]\w*$/.test(prop)))) return `${obj.text}.${prop}()`;
    return undefined;
  }

  interface LoopInfo { node: Node; kind: 'statement' | 'callback'; vars: Set<string>; body: Node; describe: string }

  function loopOf(node: Node): LoopInfo | undefined {
    let child = node;
    for (let p = node.parent; p; child = p, p = p.parent) {
      if (isFunction(p)) {
        const call = callOfArgument(p);
        const method = call ? loopMethod(call) : undefined;
        if (call && method) {
          if (batched(call)) return undefined;
          const params = field(p, 'parameters') ?? field(p, 'parameter');
          const vars = params ? identifiersIn(params) : new Set<string>();
          const body = field(p, 'body')!;
          return { node: call, kind: 'callback', vars, body, describe: `\`.${method}()\`` };
        }
        if (inlineOf(p)) continue;
        return undefined;
      }
      if (p.type === 'for_in_statement' && field(p, 'body')?.id === child.id) {
        const left = field(p, 'left');
        return { node: p, kind: 'statement', vars: left ? identifiersIn(left) : new Set(), body: child, describe: 'the loop' };
      }
      if (p.type === 'for_statement' && field(p, 'body')?.id === child.id) {
        if (isCountLoop(p)) continue;
        const init = field(p, 'initializer');
        const vars = new Set<string>();
        if (init) walk(init, (n) => { if (n.type === 'variable_declarator') { const nm = field(n, 'name'); if (nm) identifiersIn(nm, vars); } });
        return { node: p, kind: 'statement', vars, body: child, describe: 'the loop' };
      }
    }
    return undefined;
  }

  function isCountLoop(loop: Node): boolean {
    const cond = field(loop, 'condition');
    if (!cond) return false;
    const expr = cond.type === 'expression_statement' ? firstKid(cond) : cond;
    if (expr?.type !== 'binary_expression') return false;
    const right = field(expr, 'right');
    if (!right) return false;
    if (right.type === 'number') return true;
    return right.type === 'identifier' && constNumbers().has(right.text);
  }

  /** Names declared `const n = <number>` (a loop up to one counts). */
  function constNumbers(): Set<string> {
    if (snap) return snap.constNumbers;
    numbers ??= numbersDeclaredBy(declarators);
    return numbers;
  }

  /**
   * What the statement of a scoped re-analysis tells the rest of the file, besides the map
   * writes journalled as they happen: the summaries of its functions, registrations by name,
   * value references of possible startup functions, constants, and its exported facts.
   */
  function journalStatement(): void {
    journal.push(...[...calledFrom].sort());
    // The function re-analysed alone may be a method or a callback that no name reaches.
    const summary = (f: Node): string => `${JSON.stringify(functionBlocks(f))} ${JSON.stringify(functionQueries(f))} ${JSON.stringify([...httpParams(f)])}`;
    if (inside) journal.push(`summary @scope ${summary(scope![0]!)}`);
    for (const [name, f] of ownFunctions) journal.push(`summary ${stable(name)} ${summary(f)}`);
    for (const c of calls) {
      if (!mayRegister(c)) continue;
      const args = field(c, 'arguments');
      if (!args) continue;
      for (const a of kids(args)) {
        if (a.type !== 'identifier') continue;
        const probe: Registration = { startup: false };
        servingOfCall(c, probe, a.text);
        if (probe.serving || probe.startup) journal.push(`registers ${a.text} ${probe.serving ?? ''} ${probe.startup}`);
      }
    }
    for (const name of snap!.references.keys()) journal.push(`references ${name} ${scope!.reduce((sum, n) => sum + referencesIn(n, name), 0)}`);
    journal.push(`numbers ${[...numbersDeclaredBy(declarators)].join(',')}`);
    journal.push(`facts ${JSON.stringify([[...facts.clients], [...facts.registers].map(([f, n]) => [f, [...n]]), [...facts.handlerRegs].map(([f, n]) => [f, [...n]])])}`);
  }

  function usesLoopVariable(expr: Node, loop: LoopInfo): boolean {
    const tainted = new Set(loop.vars);
    walk(loop.body, (n) => {
      if (n.type === 'variable_declarator') {
        const value = field(n, 'value');
        const name = field(n, 'name');
        if (value && name && [...identifiersIn(value)].some((i) => tainted.has(i))) for (const id of identifiersIn(name)) tainted.add(id);
      }
    });
    return [...identifiersIn(expr)].some((i) => tainted.has(i));
  }

  function exitsAfter(call: Node, loop: LoopInfo): boolean {
    if (loop.kind !== 'statement') return false;
    const body = loop.body;
    const stmts = body.type === 'statement_block' ? kids(body) : [body];
    const idx = stmts.findIndex((s) => contains(s, call));
    if (idx < 0) return false;
    if (stmts[idx]!.type === 'return_statement' || stmts[idx]!.type === 'break_statement') return true;
    return stmts.slice(idx + 1).some((s) => s.type === 'return_statement' || s.type === 'break_statement' || s.type === 'throw_statement');
  }

  if (snap) return refused ? undefined : { findings, facts, journal: journal.join('\n') };
  if (mode !== 'record') return { findings, facts };
  const functionSummaries = new Map<string, FunctionSummary>();
  for (const [name, f] of localFunctions) {
    if (isSummary(f)) continue;
    functionSummaries.set(name, { blocks: functionBlocks(f), queries: functionQueries(f), http: [...httpParams(f)] });
  }
  const methods = new Map<string, FunctionSummary>();
  for (const body of classBodies) {
    for (const [name, m] of methodsOf(body)) methods.set(`${body.startPosition.row}:${name}`, { blocks: functionBlocks(m), queries: functionQueries(m), http: [...httpParams(m)] });
  }
  const references = new Map<string, number>();
  for (const f of functions) {
    const name = functionName(f);
    const rec = name ? topLevelCallers.get(name) : undefined;
    if (name && rec && rec.top > 0 && rec.inner === 0 && !enclosingFunction(f) && f.children.some((c) => c?.type === 'async')) references.set(name, referencesIn(root, name));
  }
  const functionNames = new Set<string>();
  for (const f of functions) {
    const name = functionName(f);
    if (name) functionNames.add(name);
  }
  const registered = new Map<string, Registration>();
  for (const name of functionNames) {
    const reg = registrationOf(name);
    if (reg) registered.set(name, reg);
  }
  const matters = (f: FunctionSummary): boolean => !!f.blocks || !!f.queries || f.http.length > 0;
  const mattering = { names: new Set(GLOBAL_NAMES), members: new Set<string>() };
  for (const [k, b] of bindings) if (!unseenBinding(k, b.module)) mattering.names.add(k);
  for (const [k, w] of workspaceImports) if (!unseenWorkspace(k, w.facts)) mattering.names.add(k);
  for (const k of clients.keys()) (k.startsWith('this.') ? mattering.members : mattering.names).add(k.replace(/^this\./, ''));
  for (const [name, f] of functionSummaries) if (matters(f)) mattering.names.add(name);
  for (const [key, m] of methods) if (matters(m)) mattering.members.add(key.slice(key.indexOf(':') + 1));
  const snapshot: JsSnapshot = {
    bindings, workspaceImports, clients, functions: functionSummaries, methods, functionWriters, exportWriters, functionNames, exported, topLevelCallers,
    registrations: registered, references, constNumbers: constNumbers(), worker: facts.worker,
    extendsSequelize, usesSequelize: fileUsesSequelize, usesMongoose: fileUsesMongoose, requests: mayRequest(), blocks: mayBlock(), mattering,
  };
  return { findings, facts, snapshot };
}

function numbersDeclaredBy(declarators: readonly Node[]): Set<string> {
  const out = new Set<string>();
  for (const d of declarators) {
    const name = field(d, 'name');
    if (name?.type === 'identifier' && field(d, 'value')?.type === 'number' && d.parent?.text.startsWith('const')) out.add(name.text);
  }
  return out;
}

/** Files started as worker threads by `new Worker(…)` in this text (string literals of the first argument, joined). */
export function jsWorkerTargets(text: string, file: string): string[] {
  const out: string[] = [];
  const re = /new\s+Worker\s*\(/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const tail = text.slice(m.index + m[0].length, m.index + m[0].length + 300);
    const firstArg = /^[^,;]*?(?:\)\s*(?:,|\)|$)|,)/.exec(tail)?.[0] ?? tail.split(/[;\n]/)[0]!;
    const parts = [...firstArg.matchAll(/['"`]([^'"`$]+)['"`]/g)].map((x) => x[1]!);
    if (parts.length === 0) continue;
    const target = path.resolve(path.dirname(file), ...parts);
    out.push(target, target.replace(/\.[cm]?js$/, '.ts'));
  }
  return out;
}
