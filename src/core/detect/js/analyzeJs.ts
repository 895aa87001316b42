import * as path from 'node:path';
import type { Node, Query, Tree } from 'web-tree-sitter';
import { emptyFacts, type ClientKind, type Evidence, type ImportResolver, type ModuleFacts } from '../facts';
import { contains, field, identifiersIn, firstKid, kids, perNode, RangeIndex, stringValue, walk } from '../syntax';
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
}

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

function isFunction(node: Node | null | undefined): boolean {
  return !!node && FUNCTION_TYPES.has(node.type);
}

function calleeName(call: Node): string | undefined {
  const fn = field(call, 'function');
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

export function analyseJs(tree: Tree, file: string, nodesQuery: Query, resolve: ImportResolver, options: DetectorOptions, wantFindings = true, external: ExternalRegistrations = {}): JsAnalysis {
  const registeredElsewhere = external.startup ?? new Set<string>();
  const handlersElsewhere = external.handlers ?? new Set<string>();
  const root = tree.rootNode;
  const facts = emptyFacts(file);
  for (const name of registeredElsewhere) facts.startupExports.add(name);
  const bindings = new Map<string, Binding>();
  const clients = new Map<string, ClientKind>();
  const workspaceImports = new Map<string, { facts: ModuleFacts; name: string }>();
  const calls: Node[] = [];
  const news: Node[] = [];
  const declarators: Node[] = [];
  const functions: Node[] = [];
  // Each node is asked about several times (helpers, contexts, loops): answers are kept per node.
  const chainAt = perNode(chainOf);
  /** The callee of a call, looked up once per call node. */
  const calleeOf = perNode((call: Node): Node | null => field(call, 'function'));
  const isNextApi = /[\\/]pages[\\/]api[\\/]/.test(file) || /[\\/]app[\\/](.*[\\/])?route\.[cm]?[jt]sx?$/.test(file);

  for (const cap of nodesQuery.captures(root)) {
    switch (cap.name) {
      case 'call': calls.push(cap.node); break;
      case 'new': news.push(cap.node); break;
      case 'import': collectImport(cap.node); break;
      case 'declarator': declarators.push(cap.node); break;
      case 'function': functions.push(cap.node); break;
    }
  }

  // Function nesting from source ranges (no tree walking).
  const scopes = new RangeIndex(functions);
  const enclosingFunction = perNode((node: Node): Node | undefined => scopes.innermost(node));

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
      if (q) return kindOfModuleCall(q.module, q.name, value.type === 'new_expression');
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

  for (const [local, imp] of workspaceImports) {
    const kind = imp.facts.clients.get(imp.name === '*' ? 'default' : imp.name) ?? (imp.name === '*' ? undefined : undefined);
    if (kind) clients.set(local, kind);
  }
  // Classes extending ORM bases, typed parameters and injected fields (TypeScript).
  // One walk, and only for what can matter: classes when Sequelize is imported, typed parameters
  // and fields in TypeScript (JavaScript has neither).
  let extendsSequelize = false;
  for (const b of bindings.values()) if (b.module === 'sequelize' || b.module === 'sequelize-typescript') extendsSequelize = true;
  const typedTypes = [...(extendsSequelize ? ['class_declaration', 'class'] : []), ...(/\.[cm]?tsx?$/.test(file) ? ['required_parameter', 'optional_parameter', 'public_field_definition'] : [])];
  const typedNodes = typedTypes.length > 0 ? root.descendantsOfType(typedTypes) : [];
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
  // A few passes so `const repo = ds.getRepository(X)` after `const ds = new DataSource()` resolves.
  const thisAssignments = root.text.includes('this.') ? root.descendantsOfType('assignment_expression').filter((a) => a?.childForFieldName('left')?.type === 'member_expression' && a.childForFieldName('left')?.text.startsWith('this.')) : [];
  for (let pass = 0; pass < 2; pass++) {
    for (const a of thisAssignments) {
      const kind = a ? kindOfExpression(field(a, 'right')) : undefined;
      if (a && kind) clients.set(field(a, 'left')!.text, kind);
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
    if (calleeName(c) !== 'register' || calleeOf(c)?.type !== 'member_expression') continue;
    const arg = firstKid(field(c, 'arguments')!);
    const ws = arg?.type === 'identifier' ? workspaceImports.get(arg.text) : undefined;
    if (!ws) continue;
    const set = facts.registers.get(ws.facts.file) ?? new Set<string>();
    set.add(ws.name === '*' ? 'default' : ws.name);
    facts.registers.set(ws.facts.file, set);
  }
  for (const b of bindings.values()) if (DB_LIBS.has(b.module)) facts.libs.add(b.module);
  // Models exported dynamically by a workspace module that uses an ORM (`const { User } = require('./models')`).
  for (const [local, imp] of workspaceImports) {
    if (clients.has(local) || !/^[A-Z]/.test(local) || imp.name === '*') continue;
    if (imp.facts.libs.has('sequelize')) clients.set(local, 'sequelize-model');
    else if (imp.facts.libs.has('mongoose')) clients.set(local, 'mongoose-model');
  }
  // Handlers registered by reference to workspace modules: router.get('/x', controller.list).
  for (const c of calls) {
    const fn = calleeOf(c);
    const method = calleeName(c);
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
  const fileUsesSequelize = [...bindings.values()].some((b) => b.module === 'sequelize') || [...clients.values()].some((k) => k === 'sequelize-model');
  const fileUsesMongoose = [...bindings.values()].some((b) => b.module === 'mongoose') || [...clients.values()].some((k) => k === 'mongoose-model');

  // ---- worker files ----
  const workerThreads = [...bindings.entries()].filter(([, b]) => b.module === 'worker_threads');
  facts.worker = workerThreads.some(([local, b]) => b.name === 'parentPort' || b.name === 'workerData' || (b.name === '*' && new RegExp(`\\b${local}\\.(parentPort|workerData)\\b`).test(root.text)));

  // ---- functions ----
  const infos = new Map<number, FunctionInfo>();
  const localFunctions = new Map<string, Node>();
  const exported = new Map<string, string>(); // export name → local name
  for (const f of functions) {
    const name = functionName(f);
    if (name && (f.type === 'function_declaration' || f.type === 'generator_function_declaration' || f.parent?.type === 'variable_declarator')) localFunctions.set(name, f);
  }
  collectExports();

  function functionName(f: Node): string | undefined {
    const n = field(f, 'name');
    if (n) return n.text;
    if (f.parent?.type === 'variable_declarator') return field(f.parent, 'name')?.text;
    if (f.parent?.type === 'pair') return field(f.parent, 'key')?.text;
    return undefined;
  }

  function collectExports(): void {
    for (const top of kids(root)) {
      if (top.type === 'export_statement') {
        const isDefault = top.children.some((c) => c?.type === 'default');
        const decl = field(top, 'declaration') ?? field(top, 'value');
        if (decl) {
          if (isFunction(decl) || decl.type === 'class_declaration') {
            const name = field(decl, 'name')?.text;
            if (isDefault) exported.set('default', name ?? `@${decl.id}`);
            if (name) exported.set(name, name);
            if (!name && isFunction(decl)) localFunctions.set(`@${decl.id}`, decl);
          } else if (decl.type === 'lexical_declaration' || decl.type === 'variable_declaration') {
            for (const d of kids(decl)) {
              const n = field(d, 'name');
              if (n?.type === 'identifier') exported.set(n.text, n.text);
            }
          } else if (decl.type === 'identifier' && isDefault) exported.set('default', decl.text);
          else if (isDefault) {
            const kind = kindOfExpression(decl);
            if (kind) facts.clients.set('default', kind);
          }
        }
        for (const clause of kids(top).filter((k) => k.type === 'export_clause')) {
          for (const spec of kids(clause)) {
            const name = field(spec, 'name')?.text;
            const alias = field(spec, 'alias')?.text ?? name;
            if (name && alias) exported.set(alias, name);
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
          if (right.type === 'identifier') exported.set(m[1]!, right.text);
          else if (isFunction(right)) { localFunctions.set(`@${right.id}`, right); exported.set(m[1]!, `@${right.id}`); }
          else exported.set(m[1]!, `@expr${right.id}`);
        } else if (left === 'module.exports') {
          if (right.type === 'object') {
            for (const p of kids(right)) {
              if (p.type === 'shorthand_property_identifier') exported.set(p.text, p.text);
              else if (p.type === 'pair') {
                const k = field(p, 'key')?.text;
                const v = field(p, 'value');
                if (k && v?.type === 'identifier') exported.set(k, v.text);
                else if (k && v && kindOfExpression(v)) facts.clients.set(k, kindOfExpression(v)!);
                else if (k && v && isFunction(v)) { localFunctions.set(`@${v.id}`, v); exported.set(k, `@${v.id}`); }
              } else if (p.type === 'method_definition') {
                const k = field(p, 'name')?.text;
                if (k) { localFunctions.set(`@${p.id}`, p); exported.set(k, `@${p.id}`); }
              }
            }
          } else if (right.type === 'identifier') exported.set('default', right.text);
          else if (isFunction(right)) { localFunctions.set(`@${right.id}`, right); exported.set('default', `@${right.id}`); }
          else if (kindOfExpression(right)) facts.clients.set('default', kindOfExpression(right)!);
        }
      }
    }
    for (const [exp, local] of exported) {
      const kind = clients.get(local);
      if (kind) facts.clients.set(exp, kind);
    }
    // module.exports = { User: mongoose.model(...) } handled through declarators; exports.x = new Pool()
    for (const top of kids(root)) {
      if (top.type !== 'expression_statement') continue;
      const e = firstKid(top);
      if (e?.type !== 'assignment_expression') continue;
      const m = /^(?:module\.)?exports\.(\w+)$/.exec(field(e, 'left')?.text ?? '');
      const kind = m ? kindOfExpression(field(e, 'right')) : undefined;
      if (m && kind) facts.clients.set(m[1]!, kind);
    }
  }

  const topLevelCallers = new Map<string, { top: number; inner: number; exported: boolean }>();
  for (const c of calls) {
    const fn = calleeOf(c);
    if (fn?.type !== 'identifier' || !localFunctions.has(fn.text)) continue;
    const rec = topLevelCallers.get(fn.text) ?? { top: 0, inner: 0, exported: false };
    if (enclosingFunction(c)) rec.inner++; else rec.top++;
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

  let callsByArgument: Map<string, Node[]> | undefined;
  function classify(f: Node): FunctionInfo {
    const cached = infos.get(f.id);
    if (cached) return cached;
    const info: FunctionInfo = { node: f, name: functionName(f), async: f.children.some((c) => c?.type === 'async'), inline: false, startup: false };
    infos.set(f.id, info);
    const call = callOfArgument(f);
    if (call) {
      const callee = field(call, call.type === 'new_expression' ? 'constructor' : 'function');
      const method = call.type === 'call_expression' ? calleeName(call) : undefined;
      if (call.type === 'new_expression' && callee?.text === 'Promise') info.inline = true;
      else if (method && INLINE_CALLBACK_METHODS.has(method) && callee?.type === 'member_expression') info.inline = true;
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
    if (info.name && [...exported].some(([e, l]) => l === info.name && facts.startupExports.has(e))) info.startup = true;
    if (!info.serving && [...exported].some(([e, l]) => (l === info.name || l === `@${f.id}`) && handlersElsewhere.has(e))) info.serving = 'a request handler registered in another module';
    if (isNextApi && !enclosingFunction(f)) {
      const exportedAs = [...exported.entries()].filter(([, local]) => local === info.name || local === `@${f.id}`).map(([e]) => e);
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
      if (!callsByArgument) {
        callsByArgument = new Map();
        for (const c of calls) {
          const args = field(c, 'arguments');
          if (!args) continue;
          for (const a of kids(args)) if (a.type === 'identifier') callsByArgument.set(a.text, [...(callsByArgument.get(a.text) ?? []), c]);
        }
      }
      for (const c of callsByArgument.get(info.name) ?? []) {
        const probe: FunctionInfo = { ...info, serving: undefined, startup: false };
        servingOfCall(c, probe, info.name);
        if (probe.serving) info.serving = probe.serving;
        if (probe.startup) info.startup = true;
      }
    }
    return info;
  }

  function referencedElsewhere(name: string): boolean {
    let count = 0;
    walk(root, (n) => {
      if (n.type === 'identifier' && n.text === name) {
        const p = n.parent;
        if (!(p?.type === 'call_expression' && field(p, 'function')?.id === n.id) && !(p && isFunction(p) && field(p, 'name')?.id === n.id)) count++;
      }
    });
    return count > 0;
  }

  function servingOfCall(call: Node, info: FunctionInfo, byName?: string): void {
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
          if (!classify(p).inline) break;
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
  const helperMemo = new Map<number, { local?: Node; remote?: { facts: ModuleFacts; name: string } } | undefined>();
  function helperOf(call: Node): { local?: Node; remote?: { facts: ModuleFacts; name: string } } | undefined {
    if (helperMemo.has(call.id)) return helperMemo.get(call.id);
    const h = computeHelperOf(call);
    helperMemo.set(call.id, h);
    return h;
  }
  function computeHelperOf(call: Node): { local?: Node; remote?: { facts: ModuleFacts; name: string } } | undefined {
    const fn = calleeOf(call);
    if (!fn) return undefined;
    if (fn.type === 'identifier') {
      const ws = workspaceImports.get(fn.text);
      if (ws) return { remote: { facts: ws.facts, name: ws.name === '*' ? 'default' : ws.name } };
      const local = localFunctions.get(fn.text);
      if (local) return { local };
    }
    if (fn.type === 'member_expression') {
      const obj = field(fn, 'object');
      const prop = field(fn, 'property')?.text;
      // this.helper(): a method of the same class.
      if (obj?.type === 'this' && prop) {
        for (let p = call.parent; p; p = p.parent) {
          if (p.type !== 'class_body') continue;
          const method = kids(p).find((m) => m.type === 'method_definition' && field(m, 'name')?.text === prop);
          return method ? { local: method } : undefined;
        }
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
  function blocksVia(call: Node): Evidence | undefined {
    const h = helperOf(call);
    const ev = h?.remote ? h.remote.facts.blocking.get(h.remote.name) : h?.local ? functionBlocks(h.local) ?? undefined : undefined;
    return ev && (ev.depth ?? 1) <= MAX_DEPTH ? ev : undefined;
  }

  function functionBlocks(f: Node): Evidence | null {
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
    const h = helperOf(call);
    const ev = h?.remote ? h.remote.facts.querying.get(h.remote.name) : h?.local ? functionQueries(h.local) ?? undefined : undefined;
    return ev && (ev.depth ?? 1) <= MAX_DEPTH ? ev : undefined;
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

  for (const [exp, local] of exported) {
    const f = localFunctions.get(local);
    if (!f) continue;
    const b = functionBlocks(f);
    if (b) facts.blocking.set(exp, b);
    const q = functionQueries(f);
    if (q) facts.querying.set(exp, q);
  }
  // Object of functions exported (module.exports = { a, b }) and methods of exported classes are covered above.

  const findings: RawFinding[] = [];
  if (!wantFindings) return { findings, facts };

  // ---- blocking-call ----
  if (!facts.worker) {
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
    if (!hit && !via && !instanceWrite) continue;
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
        const method = call?.type === 'call_expression' ? calleeName(call) : undefined;
        if (call && method && LOOP_CALLBACK_METHODS.has(method) && calleeOf(call)?.type === 'member_expression') {
          // prisma.$transaction(items.map(…)) sends the writes as one batch.
          const outer = call.parent?.type === 'arguments' ? call.parent.parent : undefined;
          if (outer?.type === 'call_expression' && calleeName(outer) === '$transaction') return undefined;
          const params = field(p, 'parameters') ?? field(p, 'parameter');
          const vars = params ? identifiersIn(params) : new Set<string>();
          const body = field(p, 'body')!;
          return { node: call, kind: 'callback', vars, body, describe: `\`.${method}()\`` };
        }
        if (classify(p).inline) continue;
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
    if (right.type === 'identifier') {
      for (const d of declarators) {
        if (field(d, 'name')?.text === right.text && field(d, 'value')?.type === 'number' && d.parent?.text.startsWith('const')) return true;
      }
    }
    return false;
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

  return { findings, facts };
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
