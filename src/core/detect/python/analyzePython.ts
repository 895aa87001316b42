import type { Node, Query, Tree } from 'web-tree-sitter';
import { emptyFacts, type ClientKind, type Evidence, type ImportResolver, type ModuleFacts } from '../facts';
import type { RawFinding } from '../js/analyzeJs';
import { contains, field, firstKid, kids, perNode, RangeIndex, walk } from '../syntax';
import { matchesApi, type DetectorOptions, type FindingFix, type FixEdit } from '../types';
import {
  DBAPI_METHODS, DJANGO_EVALUATING, DJANGO_LAZY, EAGER_OPTIONS, EVALUATING_WRAPPERS, HTTP_SESSION_METHODS, PATH_IO, PY_BLOCKING, PY_HTTP,
  REDIS_NON_COMMANDS, SQLA_BLOCKING_METHODS, SQLA_QUERY_METHODS,
} from './apis';

const MAX_DEPTH = 3;
const COMPREHENSIONS = new Set(['list_comprehension', 'set_comprehension', 'dictionary_comprehension', 'generator_expression']);

interface Binding { module: string; name: string }

function lineOf(n: Node): number {
  return n.startPosition.row + 1;
}

/** `a.b(x).c` → root `a`, path [b, c]; rootCall when the chain starts with a call `a(...)`. */
function chainOf(expr: Node): { root: Node; path: string[]; rootCall?: Node; calls: Node[] } {
  const parts: string[] = [];
  const calls: Node[] = [];
  let cur = expr;
  let rootCall: Node | undefined;
  for (;;) {
    if (cur.type === 'attribute') {
      parts.unshift(field(cur, 'attribute')?.text ?? '');
      cur = field(cur, 'object')!;
    } else if (cur.type === 'call') {
      const fn = field(cur, 'function')!;
      calls.unshift(cur);
      if (fn.type !== 'attribute' && fn.type !== 'call') { rootCall = cur; cur = fn; break; }
      cur = fn;
    } else if (cur.type === 'subscript') {
      cur = field(cur, 'value')!;
    } else if (cur.type === 'await' || cur.type === 'parenthesized_expression') {
      const inner = firstKid(cur);
      if (!inner) break;
      cur = inner;
    } else break;
  }
  return { root: cur, path: parts, rootCall, calls };
}

function identifiers(node: Node): Set<string> {
  const out = new Set<string>();
  walk(node, (n) => { if (n.type === 'identifier') out.add(n.text); });
  return out;
}

function stringArgs(node: Node): string[] {
  const out: string[] = [];
  walk(node, (n) => {
    if (n.type === 'string') out.push(n.text.replace(/^[a-zA-Z]*['"]+|['"]+$/g, ''));
    if (n.type === 'attribute') out.push(field(n, 'attribute')?.text ?? '');
  });
  return out;
}

export function analysePython(tree: Tree, file: string, nodesQuery: Query, resolve: ImportResolver, options: DetectorOptions, wantFindings = true): { findings: RawFinding[]; facts: ModuleFacts } {
  const root = tree.rootNode;
  const facts = emptyFacts(file);
  const bindings = new Map<string, Binding>();
  const workspace = new Map<string, { facts: ModuleFacts; name: string }>();
  const clients = new Map<string, ClientKind>();
  const calls: Node[] = [];
  const functions: Node[] = [];
  const classes: Node[] = [];
  const assignments: Node[] = [];
  const hasFor = /\bfor\b/.test(root.text);
  const withItems: Node[] = [];
  const lambdas: Node[] = [];
  const loopNodes: Node[] = [];
  for (const cap of nodesQuery.captures(root)) {
    switch (cap.name) {
      case 'lambda': lambdas.push(cap.node); break;
      case 'loop': loopNodes.push(cap.node); break;
      case 'call': calls.push(cap.node); break;
      case 'import': collectImport(cap.node); break;
      case 'function': functions.push(cap.node); break;
      case 'class': classes.push(cap.node); break;
      case 'assignment': assignments.push(cap.node); break;
      case 'with': withItems.push(cap.node); break;
    }
  }

  function collectImport(node: Node): void {
    if (node.type === 'import_statement') {
      for (const n of kids(node)) {
        if (n.type === 'dotted_name') bindings.set(n.text.split('.')[0]!, { module: n.text.split('.')[0]!, name: '*' });
        else if (n.type === 'aliased_import') {
          const name = field(n, 'name')?.text;
          const alias = field(n, 'alias')?.text;
          if (name && alias) bindings.set(alias, { module: name, name: '*' });
        }
      }
      return;
    }
    const moduleNode = field(node, 'module_name');
    if (!moduleNode) return;
    const module = moduleNode.text;
    const facts0 = resolve(file, module);
    for (const n of kids(node)) {
      if (n.id === moduleNode.id) continue;
      let name: string | undefined;
      let alias: string | undefined;
      if (n.type === 'dotted_name') { name = n.text; alias = n.text; }
      else if (n.type === 'aliased_import') { name = field(n, 'name')?.text; alias = field(n, 'alias')?.text; }
      if (!name || !alias) continue;
      bindings.set(alias, { module, name });
      if (facts0) workspace.set(alias, { facts: facts0, name });
      else if (module.startsWith('.') || !/^(django|sqlalchemy|fastapi|starlette|flask|requests|httpx|redis|os|sys|time|asyncio|typing|pathlib|subprocess)\b/.test(module)) {
        const sub = resolve(file, module.endsWith('.') ? `${module}${name}` : `${module}.${name}`);
        if (sub) workspace.set(alias, { facts: sub, name: '*' });
      }
    }
  }

  function qualify(expr: Node): string | undefined {
    const { root: r, path: p, rootCall } = chainOf(expr);
    if (rootCall || r.type !== 'identifier') return undefined;
    const b = bindings.get(r.text);
    if (!b) return p.length === 0 ? r.text : undefined; // builtins
    const base = b.name === '*' ? b.module : `${b.module}.${b.name}`;
    return [base, ...p].join('.');
  }

  // ---- models (relations) from this module and imported workspace modules ----
  const relations = new Map<string, boolean>(); // 'Model.rel' and 'rel' → eager?; 'manager:rel'
  for (const cls of classes) {
    const name = field(cls, 'name')?.text ?? '';
    const supers = field(cls, 'superclasses')?.text ?? '';
    const body = field(cls, 'body');
    if (!body) continue;
    const isDjango = /models\.Model|\bModel\b/.test(supers) && /django/.test(root.text.slice(0, 4000)) ;
    const isSqla = /\b(Base|DeclarativeBase|Model)\b/.test(supers) && /sqlalchemy/.test(root.text.slice(0, 4000));
    if (isDjango) { clients.set(name, 'django-model'); facts.clients.set(name, 'django-model'); }
    else if (isSqla) { clients.set(name, 'sqla-model'); facts.clients.set(name, 'sqla-model'); }
    if (!isDjango && !isSqla) continue;
    for (const stmt of kids(body)) {
      const a = stmt.type === 'expression_statement' ? firstKid(stmt) : undefined;
      if (a?.type !== 'assignment') continue;
      const left = field(a, 'left')?.text;
      const right = field(a, 'right');
      if (!left || right?.type !== 'call') continue;
      const callee = field(right, 'function')?.text ?? '';
      const argText = field(right, 'arguments')?.text ?? '';
      if (/(ForeignKey|OneToOneField)$/.test(callee)) {
        relations.set(`${name}.${left}`, false);
        relations.set(left, false);
      }
      if (/(ForeignKey|ManyToManyField|OneToOneField)$/.test(callee)) {
        const rn = /related_name\s*=\s*['"](\w+)['"]/.exec(argText)?.[1];
        if (rn) relations.set(`manager:${rn}`, false);
        if (/ManyToManyField$/.test(callee)) relations.set(`manager:${left}`, false);
      }
      if (/\brelationship$/.test(callee)) {
        const eager = /lazy\s*=\s*['"](selectin|joined|subquery|immediate)['"]/.test(argText);
        relations.set(`${name}.${left}`, eager);
        if (!relations.has(left) || !eager) relations.set(left, eager);
      }
    }
  }
  for (const { facts: f } of workspace.values()) {
    for (const [k, v] of f.relations) if (!relations.has(k) || (k.includes('.') || k.startsWith('manager:'))) relations.set(k, v);
  }
  for (const [k, v] of relations) facts.relations.set(k, v);
  for (const [local, w] of workspace) {
    const kind = w.facts.clients.get(w.name);
    if (kind) clients.set(local, kind);
  }
  const usesDjango = /\bdjango\b/.test(root.text) || [...clients.values()].includes('django-model');

  // ---- clients ----
  function kindOfValue(value: Node | null): ClientKind | undefined {
    if (!value) return undefined;
    if (value.type === 'await') return kindOfValue(firstKid(value) ?? null);
    if (value.type === 'identifier') return clients.get(value.text);
    if (value.type !== 'call') return undefined;
    const fn = field(value, 'function')!;
    const q = qualify(fn);
    if (q) {
      if (/^requests\.(Session|session)$/.test(q) || q === 'httpx.Client' || /^urllib3\.(PoolManager|HTTPConnectionPool|HTTPSConnectionPool)$/.test(q)) return 'http-session';
      if (q === 'httpx.AsyncClient' || q === 'aiohttp.ClientSession') return 'http-async';
      if (/^(sqlite3|psycopg2|psycopg|pymysql|MySQLdb|mysql\.connector)\.connect$/.test(q)) return 'dbapi';
      if (/^redis\.(Redis|StrictRedis|from_url|Redis\.from_url|StrictRedis\.from_url)$/.test(q)) return 'redis-sync';
      if (/^redis\.asyncio\.(Redis|from_url|StrictRedis)/.test(q) || /^aioredis\./.test(q)) return 'redis';
      if (/^sqlalchemy\.orm\.Session$|^sqlalchemy\.orm\.(scoped_session|sessionmaker)$/.test(q)) return 'sqla-session';
      if (/AsyncSession$/.test(q)) return 'sqla-async';
      if (/^(asyncpg\.(connect|create_pool)|aiosqlite\.connect|aiomysql\.(connect|create_pool)|databases\.Database)$/.test(q)) return 'dbapi-async';
      if (q === 'pathlib.Path' || q === 'pathlib.PurePath') return 'path';
    }
    const { root: r, path: p } = chainOf(fn);
    const kind = r.type === 'identifier' ? clients.get(r.text) : undefined;
    if (kind === 'dbapi' && p[p.length - 1] === 'cursor') return 'dbapi';
    if (kind === 'dbapi-async' && /^(acquire|cursor)$/.test(p[p.length - 1] ?? '')) return 'dbapi-async';
    if (kind === 'sqla-session' && p.length === 0) return 'sqla-session'; // SessionLocal() from sessionmaker
    if (kind === 'sqla-async' && p.length === 0) return 'sqla-async';
    if (kind === 'redis-sync' || kind === 'redis') return p.length === 0 ? kind : undefined;
    if (r.type === 'identifier' && p.length === 0 && /^(Session|SessionLocal|session_factory|SessionFactory)$/.test(r.text) && bindings.get(r.text)) return 'sqla-session';
    return undefined;
  }
  for (let pass = 0; pass < 2; pass++) {
    for (const a of assignments) {
      const left = field(a, 'left');
      const kind = kindOfValue(field(a, 'right'));
      if (left?.type === 'identifier' && kind) { clients.set(left.text, kind); if (a.parent?.parent?.type === 'module') facts.clients.set(left.text, kind); }
      if (left?.type === 'attribute' && left.text.startsWith('self.') && kind) clients.set(left.text, kind);
    }
    for (const w of withItems) {
      const v = field(w, 'value');
      if (v?.type === 'as_pattern') {
        const kind = kindOfValue(firstKid(v) ?? null);
        const target = kids(v).find((k) => k.type === 'as_pattern_target');
        const id = target ? firstKid(target) : undefined;
        if (kind && id?.type === 'identifier') clients.set(id.text, kind);
      }
    }
  }
  // Typed parameters: db: Session, session: AsyncSession, r: redis.Redis
  for (const n of root.descendantsOfType(['typed_parameter', 'typed_default_parameter'])) {
    if (!n) continue;
    const typeText = field(n, 'type')?.text ?? '';
    const name = n.type === 'typed_parameter' ? kids(n).find((k) => k.type === 'identifier')?.text : field(n, 'name')?.text;
    if (!name) continue;
    if (/^(Session|orm\.Session|sqlalchemy\.orm\.Session)$/.test(typeText)) clients.set(name, 'sqla-session');
    else if (/AsyncSession$/.test(typeText)) clients.set(name, 'sqla-async');
    else if (/^(redis\.)?(Redis|StrictRedis)$/.test(typeText)) clients.set(name, bindings.get(typeText.split('.')[0]!)?.module.includes('asyncio') ? 'redis' : 'redis-sync');
    else if (/^(sqlite3\.)?(Connection|Cursor)$/.test(typeText)) clients.set(name, 'dbapi');
  }

  // ---- functions ----
  const isAsync = (f: Node): boolean => f.children.some((c) => c?.type === 'async');
  const localFunctions = new Map<string, Node>();
  for (const f of functions) {
    const name = field(f, 'name')?.text;
    if (name && !localFunctions.has(name)) localFunctions.set(name, f);
  }
  // Nesting from source ranges: a node's `parent` is found by searching down from the root each
  // time, so the innermost function or loop around a node is looked up in sorted ranges instead.
  const scopes = new RangeIndex([...functions, ...lambdas]);
  const loopRanges = new RangeIndex(loopNodes);
  const enclosingFunction = perNode((n: Node): Node | undefined => scopes.innermost(n));
  function decoratorsOf(f: Node): string[] {
    return f.parent?.type === 'decorated_definition' ? kids(f.parent).filter((k) => k.type === 'decorator').map((d) => d.text) : [];
  }
  const startupNames = new Set<string>();
  for (const n of calls) {
    if (/^(asyncio\.run|anyio\.run|trio\.run|uvloop\.run|loop\.run_until_complete)$/.test(field(n, 'function')?.text ?? '')) {
      const arg = firstKid(field(n, 'arguments')!);
      const inner = arg?.type === 'call' ? field(arg, 'function') : arg;
      if (inner?.type === 'identifier' && !enclosingFunction(n)) startupNames.add(inner.text);
    }
  }
  function isStartup(f: Node): boolean {
    const name = field(f, 'name')?.text ?? '';
    if (decoratorsOf(f).some((d) => /on_event\(\s*['"](startup|shutdown)['"]/.test(d))) return true;
    if (name === 'ready' || name === 'lifespan') return true;
    if (!startupNames.has(name)) return false;
    // Invoked from elsewhere than startup code too? Then it serves.
    let otherCalls = 0;
    for (const c of calls) {
      const fn = field(c, 'function');
      if (fn?.type === 'identifier' && fn.text === name && enclosingFunction(c)) otherCalls++;
    }
    return otherCalls === 0;
  }
  /** The async def whose body a node is in (nested def/lambda end the body), or undefined. */
  function contextOf(n: Node): Node | undefined {
    const f = enclosingFunction(n);
    if (!f || f.type === 'lambda' || !isAsync(f) || isStartup(f)) return undefined;
    return f;
  }
  function describe(f: Node): string {
    const name = field(f, 'name')?.text ?? '';
    const route = decoratorsOf(f).map((d) => /\.(get|post|put|patch|delete|api_route|websocket)\(\s*['"]([^'"]*)['"]/.exec(d)).find(Boolean);
    return route ? `the async handler for \`${route[1]!.toUpperCase()} ${route[2]}\`` : `\`async def ${name}\``;
  }

  // ---- blocking APIs ----
  function blockingApi(call: Node): string | undefined {
    const fn = field(call, 'function');
    if (!fn) return undefined;
    const q = qualify(fn);
    if (q) {
      if ((q === 'open' || q === 'input') && (bindings.has(q) || localFunctions.has(q))) return undefined;
      if (PY_BLOCKING.has(q)) return q;
      const dot = q.lastIndexOf('.');
      if (dot > 0 && matchesApi(options.extraBlockingApis, q.slice(0, dot), q.slice(dot + 1))) return q;
    }
    if (fn.type !== 'attribute') return undefined;
    const { root: r, path: p, rootCall } = chainOf(fn);
    const method = p[p.length - 1] ?? '';
    if (PATH_IO.has(method)) return `pathlib.Path.${method}`;
    if (rootCall && p.length === 1 && method === 'request' && qualify(field(rootCall, 'function')!)?.startsWith('urllib3.PoolManager')) return 'urllib3.PoolManager.request';
    const key = r.type === 'identifier' ? (rootCall ? undefined : r.text) : undefined;
    const selfKey = r.type === 'identifier' && r.text === 'self' && p.length > 1 ? `self.${p[0]}` : undefined;
    const kind = (key && clients.get(key)) || (selfKey && clients.get(selfKey)) || undefined;
    const rest = selfKey && clients.get(selfKey) ? p.slice(1) : p;
    const first = rest[0] ?? '';
    switch (kind) {
      case 'http-session': return HTTP_SESSION_METHODS.has(first) ? `${key ?? selfKey}.${first}` : undefined;
      case 'dbapi': return DBAPI_METHODS.has(first) || first === 'cursor' && rest.length > 1 ? `${key ?? selfKey}.${rest.join('.')}` : undefined;
      case 'redis-sync': return !REDIS_NON_COMMANDS.has(first) && /^[a-z_]+$/.test(first) ? `redis.Redis.${first}` : undefined;
      case 'sqla-session': return SQLA_BLOCKING_METHODS.has(first) ? `Session.${first}` : undefined;
      case 'path': return first === 'open' ? 'pathlib.Path.open' : undefined;
      case 'django-model': return djangoQuery(fn, !isEvaluated(call));
      default: break;
    }
    if (kind === undefined) {
      const dj = djangoQuery(fn, !isEvaluated(call));
      if (dj) return dj;
    }
    if (kind === undefined && usesDjango && r.type === 'identifier' && p.length === 1 && (method === 'save' || method === 'delete') && !rootCall) return `${r.text}.${method}()`;
    if (kind === undefined && rootCall && p.length === 1 && method === 'open' && qualify(field(rootCall, 'function')!) === 'pathlib.Path') return 'pathlib.Path.open';
    return undefined;
  }

  /** `Model.objects…<method>` → API name when it runs a query (evaluating, or any in a loop when `lazyCounts`). */
  function djangoQuery(fn: Node, evaluatingOnly: boolean): string | undefined {
    const { root: r, path: p, rootCall } = chainOf(fn);
    if (rootCall || r.type !== 'identifier' || p[0] !== 'objects' || p.length < 2) return undefined;
    if (clients.get(r.text) !== 'django-model' && !(usesDjango && /^[A-Z]/.test(r.text))) return undefined;
    const methods = p.slice(1);
    const last = methods[methods.length - 1]!;
    const evaluating = DJANGO_EVALUATING.has(last) || (last.startsWith('a') && DJANGO_EVALUATING.has(last.slice(1)));
    if (evaluating || (!evaluatingOnly && DJANGO_LAZY.has(last))) return `${r.text}.objects.${methods.join('(…).')}`;
    return undefined;
  }

  function isEvaluated(call: Node): boolean {
    const parent = call.parent?.type === 'argument_list' ? call.parent.parent : undefined;
    if (parent?.type === 'call' && EVALUATING_WRAPPERS.has(field(parent, 'function')?.text ?? '')) return true;
    if (call.parent?.type === 'for_statement' || call.parent?.type === 'for_in_clause') return true;
    return false;
  }

  // ---- query APIs (N+1) ----
  interface Hit { api: string; http: boolean; /** A related manager read with `.all()` on a loop item: prefetching it removes the query. */ prefetch?: string }
  function queryApi(call: Node, loop?: Loop): Hit | undefined {
    const loopVars = loop?.vars;
    const fn = field(call, 'function');
    if (!fn) return undefined;
    const q = qualify(fn);
    if (q && PY_HTTP.has(q)) return { api: q, http: true };
    if (q) {
      const dot = q.lastIndexOf('.');
      if (dot > 0 && matchesApi(options.extraQueryApis, q.slice(0, dot), q.slice(dot + 1))) return { api: q, http: false };
    }
    if (fn.type !== 'attribute') return undefined;
    const dj = djangoQuery(fn, false);
    if (dj) {
      const last = dj.split('.').pop()!;
      if (DJANGO_LAZY.has(last) && !isEvaluated(call) && call.parent?.type !== 'attribute') return undefined;
      return { api: dj, http: false };
    }
    const { root: r, path: p, rootCall } = chainOf(fn);
    const key = r.type === 'identifier' && !rootCall ? r.text : undefined;
    const selfKey = r.type === 'identifier' && r.text === 'self' && p.length > 1 ? `self.${p[0]}` : undefined;
    const kind = (key && clients.get(key)) || (selfKey && clients.get(selfKey)) || undefined;
    const rest = selfKey && clients.get(selfKey) ? p.slice(1) : p;
    const first = rest[0] ?? '';
    const name = `${key ?? selfKey}.${first}`;
    switch (kind) {
      case 'http-session': case 'http-async': return HTTP_SESSION_METHODS.has(first) ? { api: name, http: true } : undefined;
      case 'dbapi': return first === 'execute' || first === 'executemany' ? { api: name, http: false } : undefined;
      case 'dbapi-async': return /^(execute|executemany|fetch|fetchrow|fetchval|fetch_one|fetch_all|fetch_val)$/.test(first) ? { api: name, http: false } : undefined;
      case 'redis-sync': case 'redis': return !REDIS_NON_COMMANDS.has(first) && /^[a-z_]+$/.test(first) ? { api: name, http: false } : undefined;
      case 'sqla-session': case 'sqla-async': return SQLA_QUERY_METHODS.has(first) ? { api: name, http: false } : undefined;
      default: break;
    }
    // Related managers and per-item writes on loop items.
    if (key && loopVars?.has(key) && !rootCall) {
      if (p.length === 1 && (p[0] === 'save' || p[0] === 'delete') && usesDjango) return { api: `${key}.${p[0]}()`, http: false };
      if (p.length >= 2 && (relations.has(`manager:${p[0]}`) || p[0]!.endsWith('_set'))) {
        const m = p[1]!;
        if (m === 'all' && !(loop && sourceOf(loop).eager.has(p[0]!))) return { api: `${key}.${p[0]}.${m}`, http: false, prefetch: p[0]! };
        if (DJANGO_EVALUATING.has(m) || (DJANGO_LAZY.has(m) && m !== 'all')) return { api: `${key}.${p[0]}.${m}`, http: false };
      }
    }
    return undefined;
  }


  // ---- helpers ----
  const blockMemo = new Map<number, Evidence | null>();
  const queryMemo = new Map<number, Evidence | null>();
  let callsByOwner: Map<number, Node[]> | undefined;
  /** Calls in the body of `f` itself (not in nested defs or lambdas). */
  function ownCalls(f: Node): Node[] {
    if (!callsByOwner) {
      callsByOwner = new Map();
      for (const c of calls) {
        const owner = enclosingFunction(c);
        if (!owner) continue;
        const list = callsByOwner.get(owner.id) ?? [];
        list.push(c);
        callsByOwner.set(owner.id, list);
      }
    }
    return callsByOwner.get(f.id) ?? [];
  }
  function helperOf(call: Node): { local?: Node; remote?: Evidence | undefined; remoteQuery?: Evidence | undefined } | undefined {
    const fn = field(call, 'function');
    if (!fn) return undefined;
    if (fn.type === 'identifier') {
      const w = workspace.get(fn.text);
      if (w) return { remote: w.facts.blocking.get(w.name), remoteQuery: w.facts.querying.get(w.name) };
      const local = localFunctions.get(fn.text);
      if (local) return { local };
    }
    if (fn.type === 'attribute') {
      const obj = field(fn, 'object');
      const attr = field(fn, 'attribute')?.text ?? '';
      if (obj?.type === 'identifier') {
        const w = workspace.get(obj.text);
        if (w && w.name === '*') return { remote: w.facts.blocking.get(attr), remoteQuery: w.facts.querying.get(attr) };
        if (obj.text === 'self') {
          const local = localFunctions.get(attr);
          if (local) return { local };
        }
      }
    }
    return undefined;
  }
  /** Keeps the summary with the fewest helper levels. */
  function shallower(found: Evidence | null, via: Evidence | null | undefined): Evidence | null {
    if (!via || (via.depth ?? 1) > MAX_DEPTH) return found;
    const d = (via.depth ?? 1) + 1;
    return !found || d < (found.depth ?? 1) ? { ...via, depth: d } : found;
  }
  function within(ev: Evidence | null | undefined): Evidence | undefined {
    return ev && (ev.depth ?? 1) <= MAX_DEPTH ? ev : undefined;
  }
  function blocksVia(c: Node): Evidence | undefined {
    const h = helperOf(c);
    return within(h?.remote ?? (h?.local ? functionBlocks(h.local) : undefined));
  }
  function queriesVia(c: Node): Evidence | undefined {
    const h = helperOf(c);
    return within(h?.remoteQuery ?? (h?.local ? functionQueries(h.local) : undefined));
  }
  function functionBlocks(f: Node): Evidence | null {
    if (blockMemo.has(f.id)) return blockMemo.get(f.id) ?? null;
    blockMemo.set(f.id, null); // also the cycle guard
    // async, or made awaitable by running in a thread (`@sync_to_async`, `@database_sync_to_async`).
    if (isAsync(f) || decoratorsOf(f).some((d) => /sync_to_async|to_thread|run_in_threadpool|run_in_executor/.test(d))) return null;
    let found: Evidence | null = null;
    for (const c of ownCalls(f)) {
      const api = blockingApi(c);
      if (api) { found = { file, line: lineOf(c), message: `\`${api}\` blocks here`, api, depth: 1 }; break; }
      found = shallower(found, blocksVia(c));
    }
    blockMemo.set(f.id, found);
    return found;
  }
  function functionQueries(f: Node): Evidence | null {
    if (queryMemo.has(f.id)) return queryMemo.get(f.id) ?? null;
    queryMemo.set(f.id, null);
    let found: Evidence | null = null;
    for (const c of ownCalls(f)) {
      const hit = queryApi(c);
      if (hit && !hit.http) { found = { file, line: lineOf(c), message: `\`${hit.api}\` queries here`, api: hit.api, depth: 1 }; break; }
      found = shallower(found, queriesVia(c));
    }
    queryMemo.set(f.id, found);
    return found;
  }
  for (const f of functions) {
    if (enclosingFunction(f)) continue;
    const name = field(f, 'name')?.text;
    if (!name || (f.parent?.type !== 'module' && f.parent?.parent?.type !== 'module')) continue;
    const b = functionBlocks(f);
    if (b) facts.blocking.set(name, b);
    const q = functionQueries(f);
    if (q) facts.querying.set(name, q);
  }

  const findings: RawFinding[] = [];
  if (!wantFindings) return { findings, facts };

  // ---- blocking-call ----
  for (const c of calls) {
    const ctx = contextOf(c);
    if (!ctx) continue;
    if (insideOffload(c)) continue;
    const api = blockingApi(c);
    if (api) {
      if (c.parent?.type === 'await') continue;
      findings.push({ rule: 'blocking-call', node: c, message: `\`${api}\` blocks the event loop inside ${describe(ctx)}`, related: [{ file, line: lineOf(ctx), message: describe(ctx), api: '' }] });
      continue;
    }
    // An awaited helper returns an awaitable: it does not run its body on the loop here.
    const via = c.parent?.type === 'await' ? undefined : blocksVia(c);
    if (via) {
      findings.push({ rule: 'blocking-call', node: c, message: `\`${field(c, 'function')?.text}\` calls \`${via.api}\`, which blocks the event loop inside ${describe(ctx)}`, related: [{ ...via, message: `\`${via.api}\` blocks here` }] });
    }
  }

  function insideOffload(c: Node): boolean {
    for (let p = c.parent; p && p.type !== 'function_definition'; p = p.parent) {
      if (p.type === 'call' && /(to_thread|run_in_executor|run_sync|sync_to_async|run_in_threadpool)$/.test(field(p, 'function')?.text ?? '')) return true;
    }
    return false;
  }

  // ---- n-plus-one ----
  interface Loop { node: Node; vars: Set<string>; body: Node; statement: boolean }
  function loopOf(n: Node): Loop | undefined {
    // Loops and comprehensions all use the `for` keyword: without it there is nothing to find.
    if (!hasFor) return undefined;
    // No loop around the node inside its function: nothing to climb for.
    const loop = loopRanges.innermost(n);
    if (!loop) return undefined;
    const fn = enclosingFunction(n);
    if (fn && fn.startIndex > loop.startIndex) return undefined;
    let child = n;
    for (let p = n.parent; p; child = p, p = p.parent) {
      if (p.type === 'function_definition' || p.type === 'lambda') return undefined;
      if (p.type === 'for_statement' && field(p, 'body')?.id === child.id) {
        if (isCount(field(p, 'right'))) continue;
        return { node: p, vars: identifiers(field(p, 'left')!), body: child, statement: true };
      }
      if (COMPREHENSIONS.has(p.type)) {
        const clauses = kids(p).filter((k) => k.type === 'for_in_clause');
        const first = clauses[0];
        if (!first) continue;
        const firstRight = field(first, 'right');
        if (firstRight && contains(firstRight, n)) continue; // the iterable runs once
        if (clauses.every((cl) => isCount(field(cl, 'right')))) continue;
        const vars = new Set<string>();
        for (const cl of clauses) for (const v of identifiers(field(cl, 'left')!)) vars.add(v);
        return { node: p, vars, body: p, statement: false };
      }
    }
    return undefined;
  }
  /** Assignments by the text of their left side, built on first use (loops look names up often). */
  let assignmentsByLeft: Map<string, Node[]> | undefined;
  function assignmentsTo(name: string): Node[] {
    if (!assignmentsByLeft) {
      assignmentsByLeft = new Map();
      for (const a of assignments) {
        const left = field(a, 'left')?.text;
        if (left === undefined) continue;
        const list = assignmentsByLeft.get(left);
        if (list) list.push(a); else assignmentsByLeft.set(left, [a]);
      }
    }
    return assignmentsByLeft.get(name) ?? [];
  }
  function isCount(right: Node | null): boolean {
    if (right?.type !== 'call' || field(right, 'function')?.text !== 'range') return false;
    const args = kids(field(right, 'arguments')!);
    return args.length > 0 && args.every((a) => a.type === 'integer' || (a.type === 'identifier' && /^[A-Z_0-9]+$/.test(a.text) && constInt(a.text)));
  }
  function constInt(name: string): boolean {
    return assignmentsTo(name).some((a) => field(a, 'right')?.type === 'integer');
  }
  function tainted(loop: Loop): Set<string> {
    const t = new Set(loop.vars);
    walk(loop.body, (n) => {
      if (n.type === 'assignment') {
        const right = field(n, 'right');
        const left = field(n, 'left');
        if (right && left && [...identifiers(right)].some((i) => t.has(i))) for (const i of identifiers(left)) t.add(i);
      }
    });
    return t;
  }
  function exitsAfter(c: Node, loop: Loop): boolean {
    if (!loop.statement) return false;
    const stmts = kids(loop.body);
    const idx = stmts.findIndex((s) => contains(s, c));
    if (idx < 0) return false;
    if (stmts[idx]!.type === 'return_statement') return true;
    return stmts.slice(idx + 1).some((s) => s.type === 'return_statement' || s.type === 'break_statement' || s.type === 'raise_statement');
  }
  /** The source of a loop: model and eagerly loaded relations, when known. */
  function sourceOf(loop: Loop): { eager: Set<string>; model?: string; known: boolean; origin?: Node } {
    let right: Node | null = loop.node.type === 'for_statement' ? field(loop.node, 'right') : field(kids(loop.node).find((k) => k.type === 'for_in_clause')!, 'right');
    const eager = new Set<string>();
    let model: string | undefined;
    let known = false;
    let origin: Node | undefined;
    const scope = enclosingFunction(loop.node) ?? root;
    for (let hops = 0; right && hops < 4; hops++) {
      if (right.type === 'identifier') {
        const name = right.text;
        const a = assignmentsTo(name).filter((x) => contains(scope, x) && x.startIndex < loop.node.startIndex).pop();
        right = a ? field(a, 'right') : null;
        continue;
      }
      const text = right.text;
      if (/\.objects\b/.test(text) || /\b(select|query|scalars|execute)\s*\(/.test(text)) {
        known = true;
        origin ??= right;
      }
      const m = /(\w+)\.objects\b/.exec(text) ?? /\b(?:select|query)\(\s*(\w+)/.exec(text);
      if (m && !model) model = m[1];
      walk(right, (n) => {
        if (n.type === 'call' && EAGER_OPTIONS.has((field(n, 'function')?.text ?? '').split('.').pop()!)) {
          for (const s of stringArgs(field(n, 'arguments')!)) { eager.add(s.split('__')[0]!); }
        }
        return true;
      });
      const inner = [...identifiers(right)].find((i) => assignmentsTo(i).some((a) => contains(scope, a) && a.startIndex < loop.node.startIndex && /\b(select|query)\(|\.options\(/.test(field(a, 'right')?.text ?? '')));
      right = inner ? ({ type: 'identifier', text: inner } as unknown as Node) : null;
      if (inner) {
        const a = assignmentsTo(inner).filter((x) => contains(scope, x) && x.startIndex < loop.node.startIndex).pop();
        right = a ? field(a, 'right') : null;
      }
    }
    return { eager, model, known, origin };
  }

  /**
   * The edit that loads `attr` with the loop's query: Django `.select_related("attr")` (a foreign
   * key) or `.prefetch_related("attr")` (a related manager) after `Model.objects`; SQLAlchemy
   * `.options(selectinload(Model.attr))` after `select(Model)` / `session.query(Model)`, importing
   * `selectinload` when the file lacks it. Undefined when the query's shape is not one of these.
   */
  function eagerLoadFix(origin: Node | undefined, model: string | undefined, attr: string, manager: boolean): FindingFix | undefined {
    if (!origin || !model) return undefined;
    const kind = clients.get(model);
    const text = origin.text;
    const objects = new RegExp(`\\b${model}\\.objects\\b`).exec(text);
    if (objects && (kind === 'django-model' || usesDjango)) {
      const method = manager ? 'prefetch_related' : 'select_related';
      return { title: `Load \`${attr}\` with the query: .${method}("${attr}")`, edits: [insertAt(origin, objects.index + objects[0].length, `.${method}("${attr}")`)] };
    }
    if (manager || kind !== 'sqla-model') return undefined;
    let target: Node | undefined;
    walk(origin, (n) => {
      if (target) return false;
      if (n.type !== 'call') return true;
      const fn = field(n, 'function')?.text ?? '';
      const first = firstKid(field(n, 'arguments')!);
      if ((fn === 'select' || fn.endsWith('.select') || fn.endsWith('.query')) && first?.type === 'identifier' && first.text === model) { target = n; return false; }
      return true;
    });
    if (!target) return undefined;
    const edits: FixEdit[] = [insertAt(target, target.text.length, `.options(selectinload(${model}.${attr}))`)];
    if (!/^\s*from\s+sqlalchemy\.orm\s+import\s+[^\n]*\bselectinload\b/m.test(root.text)) {
      const firstImport = kids(root).find((k) => k.type === 'import_statement' || k.type === 'import_from_statement');
      const line = firstImport ? firstImport.startPosition.row + 1 : 1;
      edits.unshift({ line, column: 1, endLine: line, endColumn: 1, text: 'from sqlalchemy.orm import selectinload\n' });
    }
    return { title: `Load \`${attr}\` with the query: .options(selectinload(${model}.${attr}))`, edits };
  }

  const reported = new Set<string>();
  for (const c of calls) {
    const loop = loopOf(c);
    if (!loop) continue;
    const hit = queryApi(c, loop);
    let via: Evidence | undefined;
    if (!hit) {
      via = queriesVia(c);
      if (!via) continue;
    }
    if (hit?.http && ![...identifiers(field(c, 'arguments')!)].some((i) => tainted(loop).has(i))) continue;
    if (exitsAfter(c, loop)) continue;
    const what = hit ? `\`${hit.api}\`` : `\`${field(c, 'function')?.text}\` (which runs \`${via!.api}\`)`;
    // `item.tags.all()` on a loop item: prefetch the related manager with the loop's query.
    const manager = hit?.prefetch ? sourceOf(loop) : undefined;
    const fix = manager ? eagerLoadFix(manager.origin, manager.model, hit!.prefetch!, true) : undefined;
    findings.push({ rule: 'n-plus-one', node: c, message: `${what} ${hit?.http ? 'sends one request' : 'runs one query'} per item of the loop`, related: [{ file, line: lineOf(loop.node), message: 'the loop', api: '' }, ...(via ? [{ ...via, message: `\`${via.api}\` queries here` }] : [])], ...(fix ? { fix } : {}) });
  }
  // Lazy relation access on loop items.
  // Only attributes on loop variables can be lazy relation reads: skip files without loops.
  // Without a known relation no attribute read can be a lazy relation load.
  const attributes = hasFor && relations.size > 0 ? root.descendantsOfType('attribute') : [];
  for (const n of attributes) {
    if (!n) continue;
    const obj = field(n, 'object');
    const attr = field(n, 'attribute')?.text ?? '';
    if (obj?.type !== 'identifier') continue;
    if (n.parent?.type === 'call' && field(n.parent, 'function')?.id === n.id) continue;
    if (n.parent?.type === 'assignment' && field(n.parent, 'left')?.id === n.id) continue;
    const loop = loopOf(n);
    if (!loop || !loop.vars.has(obj.text)) continue;
    const src = sourceOf(loop);
    if (!src.known) continue;
    const rel = src.model ? relations.get(`${src.model}.${attr}`) : undefined;
    const relKnown = src.model && relations.has(`${src.model}.${attr}`) ? rel : relations.get(attr);
    if (relKnown === undefined || relKnown === true || src.eager.has(attr)) continue;
    const key = `${loop.node.id}:${obj.text}.${attr}`;
    if (reported.has(key)) continue;
    reported.add(key);
    const fix = eagerLoadFix(src.origin, src.model, attr, false);
    findings.push({ rule: 'n-plus-one', node: n, message: `\`${obj.text}.${attr}\` loads a relation lazily: one query per item of the loop (add select_related/prefetch_related or joinedload/selectinload)`, related: [{ file, line: lineOf(loop.node), message: 'the loop', api: '' }], ...(fix ? { fix } : {}) });
  }

  return { findings, facts };
}

/** 1-based position of an offset into a node's text. */
function positionIn(node: Node, offset: number): { line: number; column: number } {
  const before = node.text.slice(0, offset);
  const newline = before.lastIndexOf('\n');
  const rows = newline === -1 ? 0 : before.split('\n').length - 1;
  const column = newline === -1 ? node.startPosition.column + offset : offset - newline - 1;
  return { line: node.startPosition.row + rows + 1, column: column + 1 };
}

function insertAt(node: Node, offset: number, text: string): FixEdit {
  const p = positionIn(node, offset);
  return { line: p.line, column: p.column, endLine: p.line, endColumn: p.column, text };
}
