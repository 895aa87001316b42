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
function chainOfNode(expr: Node): { root: Node; path: string[]; rootCall?: Node; calls: Node[] } {
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

/** Identifier names in a node, in document order. One native search instead of a walk of every node. */
function identifiersOf(node: Node): Set<string> {
  if (node.type === 'identifier') return new Set([node.text]);
  const out = new Set<string>();
  for (const n of node.descendantsOfType('identifier')) if (n) out.add(n.text);
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
  // Every Node property read crosses into WebAssembly and allocates: the source text, chains and
  // identifier sets are computed once per node and reused by the many questions asked about them.
  const source = root.text;
  const chainOf = perNode(chainOfNode);
  /** Callers only read these sets (never add to them), so one per node is shared. */
  const identifiers = perNode(identifiersOf);
  const typeOf = perNode((n: Node): string => n.type);
  const textOf = perNode((n: Node): string => n.text);
  const leftOf = perNode((a: Node): Node | null => field(a, 'left'));
  const rightOf = perNode((a: Node): Node | null => field(a, 'right'));
  let nearRoot: Map<number, number> | undefined;
  /** 1 for a statement of the module, 2 for a child of one (`parent` is slow to climb). */
  function rootDepth(n: Node): number | undefined {
    if (!nearRoot) {
      nearRoot = new Map();
      for (const c of kids(root)) {
        nearRoot.set(c.id, 1);
        for (const k of kids(c)) nearRoot.set(k.id, 2);
      }
    }
    return nearRoot.get(n.id);
  }
  const fnOf = perNode((c: Node): Node | null => field(c, 'function'));
  const argsNode = perNode((c: Node): Node | null => field(c, 'arguments'));
  const argKids = perNode((c: Node): Node[] => kids(argsNode(c)!));
  const facts = emptyFacts(file);
  const bindings = new Map<string, Binding>();
  const workspace = new Map<string, { facts: ModuleFacts; name: string }>();
  const clients = new Map<string, ClientKind>();
  const calls: Node[] = [];
  const functions: Node[] = [];
  const classes: Node[] = [];
  const assignments: Node[] = [];
  const hasFor = /\bfor\b/.test(source);
  const withItems: Node[] = [];
  const lambdas: Node[] = [];
  const loopNodes: Node[] = [];
  const imports: Node[] = [];
  for (const cap of nodesQuery.captures(root)) {
    switch (cap.name) {
      case 'lambda': lambdas.push(cap.node); break;
      case 'loop': loopNodes.push(cap.node); break;
      case 'call': calls.push(cap.node); break;
      case 'import': imports.push(cap.node); break;
      case 'function': functions.push(cap.node); break;
      case 'class': classes.push(cap.node); break;
      case 'assignment': assignments.push(cap.node); break;
      case 'with': withItems.push(cap.node); break;
    }
  }
  for (const node of imports) collectImport(node);

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

  // Bindings are complete once the captures are read, so a name's qualification never changes.
  const qualify = perNode((expr: Node): string | undefined => {
    const { root: r, path: p, rootCall } = chainOf(expr);
    if (rootCall || typeOf(r) !== 'identifier') return undefined;
    const b = bindings.get(textOf(r));
    if (!b) return p.length === 0 ? textOf(r) : undefined; // builtins
    const base = b.name === '*' ? b.module : `${b.module}.${b.name}`;
    return [base, ...p].join('.');
  });

  // ---- models (relations) from this module and imported workspace modules ----
  const relations = new Map<string, boolean>(); // 'Model.rel' and 'rel' → eager?; 'manager:rel'
  for (const cls of classes) {
    const name = field(cls, 'name')?.text ?? '';
    const supers = field(cls, 'superclasses')?.text ?? '';
    const body = field(cls, 'body');
    if (!body) continue;
    const isDjango = /models\.Model|\bModel\b/.test(supers) && /django/.test(source.slice(0, 4000)) ;
    const isSqla = /\b(Base|DeclarativeBase|Model)\b/.test(supers) && /sqlalchemy/.test(source.slice(0, 4000));
    if (isDjango) { clients.set(name, 'django-model'); facts.clients.set(name, 'django-model'); }
    else if (isSqla) { clients.set(name, 'sqla-model'); facts.clients.set(name, 'sqla-model'); }
    if (!isDjango && !isSqla) continue;
    for (const stmt of kids(body)) {
      const a = stmt.type === 'expression_statement' ? firstKid(stmt) : undefined;
      if (a?.type !== 'assignment') continue;
      const left = leftOf(a)?.text;
      const right = rightOf(a);
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
        // Items read through `owner.<rn>` know their owner: `item.<left>` is cached, no query.
        if (rn && !/ManyToManyField$/.test(callee)) relations.set(`backref:${rn}.${left}`, true);
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
  const usesDjango = /\bdjango\b/.test(source) || [...clients.values()].includes('django-model');

  // ---- functions ----
  const isAsync = perNode((f: Node): boolean => f.children.some((c) => c?.type === 'async'));
  const localFunctions = new Map<string, Node>();
  for (const f of functions) {
    const name = field(f, 'name')?.text;
    if (name && !localFunctions.has(name)) localFunctions.set(name, f);
  }
  // `fetch = lambda: requests.get(url)`: calling `fetch()` runs the lambda's body (a def wins).
  for (const a of assignments) {
    const left = leftOf(a);
    if (left?.type === 'identifier' && rightOf(a)?.type === 'lambda' && !localFunctions.has(left.text)) localFunctions.set(left.text, rightOf(a)!);
  }
  // Nesting from source ranges: a node's `parent` is found by searching down from the root each
  // time, so the innermost function or loop around a node is looked up in sorted ranges instead.
  const scopes = new RangeIndex([...functions, ...lambdas]);
  const loopRanges = new RangeIndex(loopNodes);
  const enclosingFunction = perNode((n: Node): Node | undefined => scopes.innermost(n));

  // ---- clients ----
  // Names are resolved in the scope that binds them: a function's parameters, assignments,
  // `with … as` and `for` targets shadow the module's names (`db: AsyncSession` in one handler
  // and `db: Session` in another are different clients), the module level is the fallback.
  /** A name bound in a function; `at` is where the binding takes effect. */
  interface LocalBinding { name: string; at: number; value?: Node; param?: { index: number; type?: string } }
  /** A helper summarised for one caller: parameter `name` of function `fn` holds a `kind` client. */
  interface Assumption { fn: number; name: string; kind: ClientKind }
  let assumed: Assumption | undefined;
  /**
   * Set when a summary's outcome may depend on more than its inputs: an assumption was read, or
   * a memo answered with the guard of a computation still running (a cycle). The exports below
   * use it to give one answer for all client kinds when the first kind's run read neither.
   */
  let sensitive = false;
  /** Memo keys (prefixed per memo) whose computation is running: their memo holds only the guard. */
  const running = new Set<string>();
  function guarded(key: string): void {
    if (running.has(key)) sensitive = true;
  }
  const scopeBindings = new Map<number, LocalBinding[]>();
  function bind(owner: Node | undefined, b: LocalBinding): void {
    if (!owner) return;
    const list = scopeBindings.get(owner.id);
    if (list) list.push(b); else scopeBindings.set(owner.id, [b]);
  }
  /** Parameters of a def or lambda in order, with their annotation (self/cls included). */
  const paramsOf = perNode((f: Node): { name: string; index: number; type?: string; node: Node }[] => {
    const list = field(f, 'parameters');
    if (!list) return [];
    const out: { name: string; index: number; type?: string; node: Node }[] = [];
    for (const p of kids(list)) {
      let name: string | undefined;
      if (p.type === 'identifier') name = p.text;
      else if (p.type === 'typed_parameter') name = kids(p).find((k) => k.type === 'identifier')?.text;
      else if (p.type === 'default_parameter' || p.type === 'typed_default_parameter') name = field(p, 'name')?.text;
      if (name) out.push({ name, index: out.length, type: field(p, 'type')?.text, node: p });
    }
    return out;
  });
  for (const f of [...functions, ...lambdas]) {
    for (const p of paramsOf(f)) bind(f, { name: p.name, at: f.startIndex, param: { index: p.index, type: p.type } });
  }
  for (const a of assignments) {
    const left = leftOf(a);
    const owner = enclosingFunction(a);
    if (left?.type === 'identifier') bind(owner, { name: left.text, at: a.endIndex, value: rightOf(a) ?? undefined });
    else if (left && left.type !== 'attribute' && left.type !== 'subscript') for (const id of identifiers(left)) bind(owner, { name: id, at: a.endIndex });
  }
  for (const w of withItems) {
    const v = field(w, 'value');
    const target = v?.type === 'as_pattern' ? kids(v).find((k) => k.type === 'as_pattern_target') : undefined;
    const id = target ? firstKid(target) : undefined;
    if (id?.type === 'identifier') bind(enclosingFunction(w), { name: id.text, at: w.endIndex, value: firstKid(v!) ?? undefined });
  }
  for (const l of loopNodes) {
    const left = l.type === 'for_statement' ? field(l, 'left') : null;
    if (left) for (const id of identifiers(left)) bind(enclosingFunction(l), { name: id, at: left.endIndex });
  }

  /** The client kind of `name` as seen at `at`: innermost binding scope first, then the module. */
  function kindAt(name: string, at: Node, depth = 0): ClientKind | undefined {
    // Summaries ask the same names again for every parameter and client kind they assume. An
    // answer is kept when nothing it read can change: module clients are final, it read no
    // assumption and no running computation's guard, and none runs now that it could meet.
    if (!kindsSettled || kindGuards > 0) return kindAtNow(name, at, depth);
    return remembered(`${at.id}:${name}:${depth}`, () => kindAtNow(name, at, depth));
  }
  /** The memo of kindAt and kindOfValue (see kindAt for when an answer is kept and reused). */
  function remembered(key: string, compute: () => ClientKind | undefined): ClientKind | undefined {
    const hit = kindMemo.get(key);
    // Valid unless the assumption now in force is about a parameter the answer went through.
    if (hit && !(assumed && hit.params.has(`${assumed.fn}:${assumed.name}`))) {
      for (const p of hit.params) reached.add(p);
      return hit.kind;
    }
    const outer = sensitive;
    const outerReached = reached;
    sensitive = false;
    reached = new Set();
    const kind = compute();
    if (!sensitive) kindMemo.set(key, { kind, params: reached });
    for (const p of reached) outerReached.add(p);
    reached = outerReached;
    sensitive = outer || sensitive;
    return kind;
  }
  /**
   * Untyped parameters (`fn.id:name`) the kind being computed went through: where an assumption
   * about them would have been read. Computations that reset the assumption start a set of their own.
   */
  let reached = new Set<string>();
  /** Set once the module-level client passes are done (they add to `clients`). */
  let kindsSettled = false;
  /** How many caller, file or return kind computations are running (their memos hold guards). */
  let kindGuards = 0;
  const kindMemo = new Map<string, { kind: ClientKind | undefined; params: Set<string> }>();
  function kindAtNow(name: string, at: Node, depth: number): ClientKind | undefined {
    if (depth > 8) return undefined;
    for (let f = enclosingFunction(at); f; f = enclosingFunction(f)) {
      const own = scopeBindings.get(f.id)?.filter((b) => b.name === name);
      if (!own?.length) continue;
      // The binding in effect at `at`; before any (a loop's back edge), the last one.
      const b = own.filter((x) => x.at <= at.startIndex).pop() ?? own[own.length - 1]!;
      if (b.param) {
        const typed = b.param.type ? kindOfType(b.param.type) : undefined;
        if (typed) return typed;
        reached.add(`${f.id}:${name}`);
        if (assumed?.fn === f.id && assumed.name === name) { sensitive = true; return assumed.kind; }
        return callerKind(f, b.param.index, name) ?? fileKind(name);
      }
      return b.value ? kindOfValue(b.value, depth + 1) : undefined;
    }
    return clients.get(name);
  }

  const fileMemo = new Map<string, ClientKind | null>();
  /**
   * The last resort for an untyped parameter: the client the same name holds elsewhere in the
   * file (`def low_stock(conn)` in a script whose `main` does `conn = sqlite3.connect(…)`), when
   * every binding of the name that has a known kind agrees.
   */
  function fileKind(name: string): ClientKind | undefined {
    return settledKind(fileMemo, name, `f:${name}`, () => {
      const kinds = new Set<ClientKind>();
      const module = clients.get(name);
      if (module) kinds.add(module);
      for (const list of scopeBindings.values()) {
        for (const b of list) {
          if (b.name !== name) continue;
          const k = b.param ? (b.param.type ? kindOfType(b.param.type) : undefined) : b.value ? kindOfValue(b.value) : undefined;
          if (k) kinds.add(k);
        }
      }
      return kinds.size === 1 ? [...kinds][0] : undefined;
    });
  }

  /**
   * A kind that does not depend on a caller's argument being summarised (what callers pass, what
   * the file binds, what a function returns): computed once under `key` with no assumption in
   * force. While it runs its memo holds a guard (`guard` in `running`): a cycle reads undefined.
   */
  function settledKind<K>(memo: Map<K, ClientKind | null>, key: K, guard: string, compute: () => ClientKind | undefined): ClientKind | undefined {
    if (memo.has(key)) { guarded(guard); return memo.get(key) ?? undefined; }
    memo.set(key, null); // the cycle guard
    running.add(guard);
    kindGuards++;
    const saved = assumed;
    const savedReached = reached;
    reached = new Set();
    assumed = undefined;
    try {
      const kind = compute();
      memo.set(key, kind ?? null);
      return kind;
    } finally {
      assumed = saved;
      reached = savedReached;
      running.delete(guard);
      kindGuards--;
    }
  }
  const callerMemo = new Map<string, ClientKind | null>();
  /**
   * An untyped parameter holds the client its callers in this file pass
   * (`count_changes(conn, feed)` after `conn = sqlite3.connect(…)`): the kind of the argument
   * at its position or keyword, when the call sites that pass a known client agree.
   */
  function callerKind(f: Node, index: number, name: string): ClientKind | undefined {
    const fname = f.type === 'function_definition' ? field(f, 'name')?.text : undefined;
    if (!fname || localFunctions.get(fname)?.id !== f.id) return undefined;
    const key = `${f.id}:${index}`;
    return settledKind(callerMemo, key, `c:${key}`, () => {
      let kind: ClientKind | undefined;
      let agree = true;
      for (const c of callsNamed(fname)) {
        const arg = argumentFor(c, fname, index, name);
        const k = arg ? kindOfValue(arg) : undefined;
        if (!k) continue;
        if (kind && k !== kind) agree = false;
        kind = k;
      }
      return agree ? kind : undefined;
    });
  }
  let callsByName: Map<string, Node[]> | undefined;
  /** Calls that may reach a function named `name` (`name(…)`, `self.name(…)`), in file order. */
  function callsNamed(name: string): Node[] {
    if (!callsByName) {
      callsByName = new Map();
      for (const c of calls) {
        const fn = fnOf(c);
        const type = fn?.type;
        const key = type === 'identifier' ? fn!.text : type === 'attribute' ? field(fn!, 'attribute')?.text : undefined;
        if (key === undefined) continue;
        const list = callsByName.get(key);
        if (list) list.push(c); else callsByName.set(key, [c]);
      }
    }
    return callsByName.get(name) ?? [];
  }
  /** The argument a call of `fname` (`fname(…)` or `self.fname(…)`) passes to parameter `index`/`name`. */
  function argumentFor(c: Node, fname: string, index: number, name: string): Node | undefined {
    const fn = fnOf(c);
    const method = fn?.type === 'attribute' && field(fn, 'object')?.text === 'self' && field(fn, 'attribute')?.text === fname;
    if (!(fn?.type === 'identifier' && textOf(fn) === fname) && !method) return undefined;
    // A method called on self: its first parameter is self, not the first argument.
    const position = method ? index - 1 : index;
    const args = argKids(c);
    for (const a of args) {
      if (a.type === 'keyword_argument' && field(a, 'name')?.text === name) return field(a, 'value') ?? undefined;
    }
    const positional = args.filter((a) => a.type !== 'keyword_argument' && a.type !== 'list_splat' && a.type !== 'dictionary_splat' && a.type !== 'comment');
    return position >= 0 && positional.length === args.filter((a) => a.type !== 'keyword_argument' && a.type !== 'comment').length ? positional[position] : undefined;
  }

  /** Constructors, connect functions and types by qualified name. */
  function kindOfQualified(q: string): ClientKind | undefined {
    if (/^requests\.(Session|session|sessions\.Session)$/.test(q) || q === 'httpx.Client' || /^urllib3\.(PoolManager|HTTPConnectionPool|HTTPSConnectionPool)$/.test(q)) return 'http-session';
    if (q === 'httpx.AsyncClient' || q === 'aiohttp.ClientSession') return 'http-async';
    if (/^(sqlite3|psycopg2|psycopg|pymysql|MySQLdb|mysql\.connector)\.connect$/.test(q)) return 'dbapi';
    if (/^redis\.(Redis|StrictRedis|from_url|Redis\.from_url|StrictRedis\.from_url)$/.test(q)) return 'redis-sync';
    if (/^redis\.asyncio\.(Redis|from_url|StrictRedis)/.test(q) || /^aioredis\./.test(q)) return 'redis';
    if (/^sqlalchemy\.orm\.Session$|^sqlalchemy\.orm\.(scoped_session|sessionmaker)$/.test(q)) return 'sqla-session';
    if (/AsyncSession$/.test(q)) return 'sqla-async';
    if (/^(asyncpg\.(connect|create_pool)|aiosqlite\.connect|aiomysql\.(connect|create_pool)|databases\.Database)$/.test(q)) return 'dbapi-async';
    if (q === 'pathlib.Path' || q === 'pathlib.PurePath') return 'path';
    return undefined;
  }
  /** A parameter annotation: `db: Session`, `client: httpx.AsyncClient`, `r: redis.Redis`. */
  function kindOfType(typeText: string): ClientKind | undefined {
    const head = typeText.split('.')[0]!;
    const b = bindings.get(head);
    if (b && /^[\w.]+$/.test(typeText)) {
      const base = b.name === '*' ? b.module : `${b.module}.${b.name}`;
      const q = [base, ...typeText.split('.').slice(1)].join('.');
      if (/^(sqlite3|psycopg2|pymysql)(\.extensions)?\.(connection|Connection|cursor|Cursor)$/.test(q)) return 'dbapi';
      const kind = kindOfQualified(q);
      if (kind) return kind;
    }
    if (/^(Session|orm\.Session|sqlalchemy\.orm\.Session)$/.test(typeText)) return 'sqla-session';
    if (/AsyncSession$/.test(typeText)) return 'sqla-async';
    if (/^(redis\.)?(Redis|StrictRedis)$/.test(typeText)) return b?.module.includes('asyncio') ? 'redis' : 'redis-sync';
    if (/^(sqlite3\.)?(Connection|Cursor)$/.test(typeText)) return 'dbapi';
    return undefined;
  }
  /** Path methods that return another path (`p.with_suffix(".bak")`, `p.parent`). */
  const PATH_DERIVED = new Set(['with_suffix', 'with_name', 'with_stem', 'joinpath', 'parent', 'resolve', 'absolute', 'expanduser']);
  function kindOfValue(value: Node | null, depth = 0): ClientKind | undefined {
    if (!value || depth > 8) return undefined;
    if (!kindsSettled || kindGuards > 0) return kindOfValueNow(value, depth);
    return remembered(`v${value.id}:${depth}`, () => kindOfValueNow(value, depth));
  }
  function kindOfValueNow(value: Node, depth: number): ClientKind | undefined {
    const type = typeOf(value);
    if (type === 'await' || type === 'parenthesized_expression') return kindOfValue(firstKid(value) ?? null, depth + 1);
    if (type === 'identifier') return kindAt(textOf(value), value, depth + 1);
    // `BASE / "name.json"` is a path when BASE is one.
    if (type === 'binary_operator') {
      return field(value, 'operator')?.text === '/' && kindOfValue(field(value, 'left'), depth + 1) === 'path' ? 'path' : undefined;
    }
    if (type !== 'call') return undefined;
    const fn = fnOf(value)!;
    const q = qualify(fn);
    const known = q ? kindOfQualified(q) : undefined;
    if (known) return known;
    const { root: r, path: p } = chainOf(fn);
    const kind = typeOf(r) === 'identifier' ? kindAt(textOf(r), r, depth + 1) : kindOfValue(r, depth + 1);
    const last = p[p.length - 1] ?? '';
    if (kind === 'dbapi' && last === 'cursor') return 'dbapi';
    if (kind === 'dbapi-async' && /^(acquire|cursor)$/.test(last)) return 'dbapi-async';
    if (kind === 'sqla-session' && p.length === 0) return 'sqla-session'; // SessionLocal() from sessionmaker
    if (kind === 'sqla-async' && p.length === 0) return 'sqla-async';
    if (kind === 'redis-sync' || kind === 'redis') return p.length === 0 ? kind : undefined;
    if (kind === 'path' && p.length > 0 && p.every((m) => PATH_DERIVED.has(m))) return 'path';
    if (typeOf(r) === 'identifier' && p.length === 0 && /^(Session|SessionLocal|session_factory|SessionFactory)$/.test(textOf(r)) && bindings.get(textOf(r))) return 'sqla-session';
    return returnKindOfCall(fn);
  }
  /** `pg()` / `db.legacy()`: the client a workspace helper returns (`return psycopg2.connect(…)`). */
  function returnKindOfCall(fn: Node): ClientKind | undefined {
    if (typeOf(fn) === 'identifier') {
      const w = workspace.get(textOf(fn));
      if (w) return w.facts.clients.get(`${w.name}()`);
      const local = localFunctions.get(textOf(fn));
      return local ? returnKind(local) : undefined;
    }
    const obj = typeOf(fn) === 'attribute' ? field(fn, 'object') : null;
    const w = obj?.type === 'identifier' ? workspace.get(obj.text) : undefined;
    return w?.name === '*' ? w.facts.clients.get(`${field(fn, 'attribute')?.text ?? ''}()`) : undefined;
  }
  const returnMemo = new Map<number, ClientKind | null>();
  /** Built when a return statement is first met: files without any skip the ranges. */
  let ownerIndex: RangeIndex | undefined;
  function returnKind(f: Node): ClientKind | undefined {
    return settledKind(returnMemo, f.id, `r:${f.id}`, () => {
      if (f.type === 'lambda') return kindOfValue(field(f, 'body'));
      // The function's own returns (not those of nested defs, lambdas or classes), in order.
      for (const r of f.descendantsOfType('return_statement')) {
        ownerIndex ??= new RangeIndex([...functions, ...lambdas, ...classes]);
        if (!r || ownerIndex.innermost(r)?.id !== f.id) continue;
        const kind = kindOfValue(firstKid(r) ?? null);
        if (kind) return kind;
      }
      return undefined;
    });
  }
  // Module-level clients (exported) and instance attributes (`self.http = requests.Session()`,
  // shared by the methods of the class). Two passes: `cur = conn.cursor()` after `conn = …`.
  for (let pass = 0; pass < 2; pass++) {
    for (const a of assignments) {
      const left = leftOf(a);
      if (left?.type === 'identifier' && !enclosingFunction(a)) {
        const kind = kindOfValue(rightOf(a));
        if (kind) { clients.set(left.text, kind); if (rootDepth(a) === 2) facts.clients.set(left.text, kind); }
      }
      if (left?.type === 'attribute' && left.text.startsWith('self.')) {
        const kind = kindOfValue(rightOf(a));
        if (kind) clients.set(left.text, kind);
      }
    }
    for (const w of withItems) {
      const v = field(w, 'value');
      if (v?.type !== 'as_pattern' || enclosingFunction(w)) continue;
      const kind = kindOfValue(firstKid(v) ?? null);
      const target = kids(v).find((k) => k.type === 'as_pattern_target');
      const id = target ? firstKid(target) : undefined;
      if (kind && id?.type === 'identifier') clients.set(id.text, kind);
    }
  }
  kindsSettled = true;
  // Clients module-level helpers return, for the callers in other files (`conn = db.pg()`).
  for (const f of functions) {
    const name = field(f, 'name')?.text;
    if (!name || enclosingFunction(f) || rootDepth(f) === undefined || isAsync(f)) continue;
    const kind = returnKind(f);
    if (kind) facts.clients.set(`${name}()`, kind);
  }

  const decoratorsOf = perNode((f: Node): string[] => {
    const parent = f.parent;
    return parent?.type === 'decorated_definition' ? kids(parent).filter((k) => k.type === 'decorator').map((d) => d.text) : [];
  });
  const startupNames = new Set<string>();
  for (const n of calls) {
    if (/^(asyncio\.run|anyio\.run|trio\.run|uvloop\.run|loop\.run_until_complete)$/.test(fnOf(n)?.text ?? '')) {
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
      const fn = fnOf(c);
      if (fn?.type === 'identifier' && textOf(fn) === name && enclosingFunction(c)) otherCalls++;
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

  /**
   * The client a method chain is called on, resolved in the scope of the call: a name
   * (`db.get`), an instance attribute (`self.http.get`, set anywhere in the class) or an
   * expression (`(BASE / "x").open`). `rest` is the chain after the client.
   */
  function receiverOf(fn: Node): { kind?: ClientKind; rest: string[]; label: string } {
    const { root: r, path: p, rootCall } = chainOf(fn);
    if (rootCall) return { rest: p, label: '' };
    if (typeOf(r) !== 'identifier') return { kind: kindOfValue(r), rest: p, label: textOf(r) };
    const own = kindAt(textOf(r), r);
    if (own) return { kind: own, rest: p, label: textOf(r) };
    const selfKind = textOf(r) === 'self' && p.length > 1 ? clients.get(`self.${p[0]}`) : undefined;
    if (selfKind) return { kind: selfKind, rest: p.slice(1), label: `self.${p[0]}` };
    return { rest: p, label: textOf(r) };
  }

  // ---- blocking APIs ----
  function blockingApi(call: Node): string | undefined {
    const fn = fnOf(call);
    if (!fn) return undefined;
    const q = qualify(fn);
    if (q) {
      if ((q === 'open' || q === 'input') && (bindings.has(q) || localFunctions.has(q))) return undefined;
      if (PY_BLOCKING.has(q)) return q;
      const dot = q.lastIndexOf('.');
      if (dot > 0 && matchesApi(options.extraBlockingApis, q.slice(0, dot), q.slice(dot + 1))) return q;
    }
    if (typeOf(fn) !== 'attribute') return undefined;
    const { root: r, path: p, rootCall } = chainOf(fn);
    const method = p[p.length - 1] ?? '';
    if (PATH_IO.has(method)) return `pathlib.Path.${method}`;
    if (rootCall && p.length === 1 && method === 'request' && qualify(field(rootCall, 'function')!)?.startsWith('urllib3.PoolManager')) return 'urllib3.PoolManager.request';
    const { kind, rest, label } = receiverOf(fn);
    const first = rest[0] ?? '';
    switch (kind) {
      case 'http-session': return HTTP_SESSION_METHODS.has(first) ? `${label}.${first}` : undefined;
      case 'dbapi': return DBAPI_METHODS.has(first) || first === 'cursor' && rest.length > 1 ? `${label}.${rest.join('.')}` : undefined;
      case 'redis-sync': return !REDIS_NON_COMMANDS.has(first) && /^[a-z_]+$/.test(first) ? `redis.Redis.${first}` : undefined;
      case 'sqla-session': return SQLA_BLOCKING_METHODS.has(first) ? `Session.${first}` : undefined;
      // `path.with_suffix(".bak").open()`: derived paths are paths too.
      case 'path': return method === 'open' && rest.slice(0, -1).every((m) => PATH_DERIVED.has(m)) ? 'pathlib.Path.open' : undefined;
      case 'django-model': return djangoQuery(fn, () => !isEvaluated(call));
      default: break;
    }
    if (kind === undefined) {
      const dj = djangoQuery(fn, () => !isEvaluated(call));
      if (dj) return dj;
    }
    if (kind === undefined && usesDjango && typeOf(r) === 'identifier' && p.length === 1 && (method === 'save' || method === 'delete') && !rootCall) return `${textOf(r)}.${method}()`;
    if (kind === undefined && rootCall && p.length === 1 && method === 'open' && qualify(field(rootCall, 'function')!) === 'pathlib.Path') return 'pathlib.Path.open';
    return undefined;
  }

  /** `Model.objects…<method>` → API name when it runs a query (evaluating, or any in a loop when `lazyCounts`). */
  // `evaluatingOnly` is asked last: finding out climbs parents, and most chains are no query.
  function djangoQuery(fn: Node, evaluatingOnly: () => boolean): string | undefined {
    const { root: r, path: p, rootCall } = chainOf(fn);
    if (rootCall || typeOf(r) !== 'identifier' || p[0] !== 'objects' || p.length < 2) return undefined;
    if (clients.get(textOf(r)) !== 'django-model' && !(usesDjango && /^[A-Z]/.test(textOf(r)))) return undefined;
    const methods = p.slice(1);
    const last = methods[methods.length - 1]!;
    const evaluating = DJANGO_EVALUATING.has(last) || (last.startsWith('a') && DJANGO_EVALUATING.has(last.slice(1)));
    if (evaluating || (DJANGO_LAZY.has(last) && !evaluatingOnly())) return `${textOf(r)}.objects.${methods.join('(…).')}`;
    return undefined;
  }

  const isEvaluated = perNode((call: Node): boolean => {
    // A slice of a queryset is still a queryset: `list(qs.values_list(…)[:200])` runs it.
    let node = call;
    while (node.parent?.type === 'subscript' && field(node.parent, 'value')?.id === node.id) node = node.parent;
    const parent = node.parent?.type === 'argument_list' ? node.parent.parent : undefined;
    if (parent?.type === 'call' && EVALUATING_WRAPPERS.has(field(parent, 'function')?.text ?? '')) return true;
    // `async for` iterates the queryset asynchronously: no synchronous query.
    const loop = node.parent;
    return (loop?.type === 'for_statement' || loop?.type === 'for_in_clause') && !loop.children.some((k) => k?.type === 'async');
  });

  // ---- query APIs (N+1) ----
  interface Hit { api: string; http: boolean; /** A related manager read with `.all()` on a loop item: prefetching it removes the query. */ prefetch?: string }
  function queryApi(call: Node, loop?: Loop): Hit | undefined {
    const loopVars = loop?.vars;
    const fn = fnOf(call);
    if (!fn) return undefined;
    const q = qualify(fn);
    if (q && PY_HTTP.has(q)) return { api: q, http: true };
    if (q) {
      const dot = q.lastIndexOf('.');
      if (dot > 0 && matchesApi(options.extraQueryApis, q.slice(0, dot), q.slice(dot + 1))) return { api: q, http: false };
    }
    if (typeOf(fn) !== 'attribute') return undefined;
    const dj = djangoQuery(fn, () => false);
    if (dj) {
      const last = dj.split('.').pop()!;
      if (DJANGO_LAZY.has(last) && !isEvaluated(call) && call.parent?.type !== 'attribute') return undefined;
      return { api: dj, http: false };
    }
    const { root: r, path: p, rootCall } = chainOf(fn);
    const key = typeOf(r) === 'identifier' && !rootCall ? textOf(r) : undefined;
    const { kind, rest, label } = receiverOf(fn);
    const first = rest[0] ?? '';
    const name = `${label}.${first}`;
    switch (kind) {
      case 'http-session': case 'http-async': return HTTP_SESSION_METHODS.has(first) ? { api: name, http: true } : undefined;
      case 'dbapi': return first === 'execute' || first === 'executemany' ? { api: name, http: false } : undefined;
      case 'dbapi-async': return /^(execute|executemany|fetch|fetchrow|fetchval|fetch_one|fetch_all|fetch_val)$/.test(first) ? { api: name, http: false } : undefined;
      case 'redis-sync': case 'redis': return !REDIS_NON_COMMANDS.has(first) && /^[a-z_]+$/.test(first) ? { api: name, http: false } : undefined;
      case 'sqla-session': case 'sqla-async': return SQLA_QUERY_METHODS.has(first) ? { api: name, http: false } : undefined;
      default: break;
    }
    // A helper saving the model instance it is given (`def send_reminder(appt): … appt.save()`)
    // writes once per call. Keyword arguments only: `img.save(path)` (Pillow) is no model.
    if (key && !rootCall && p.length === 1 && (p[0] === 'save' || p[0] === 'delete') && usesDjango && !loopVars?.has(key) && isParameter(key, call) && !argsOf(call).some((a) => a.index !== undefined)) {
      return { api: `${key}.${p[0]}()`, http: false };
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


  /** Is `name` a parameter of the function `at` is in? */
  function isParameter(name: string, at: Node): boolean {
    const f = enclosingFunction(at);
    return !!f && paramsOf(f).some((p) => p.name === name && !/^(self|cls)$/.test(p.name));
  }

  // ---- helpers ----
  // A helper's summary can depend on what its caller passes: `fetch_series(conn, name)` blocks
  // when `conn` is a DB-API connection, `usage_for(account_id)` sends a request built from its
  // argument. Summaries for an argument's client are computed per (helper, parameter, kind);
  // for other files they are exported under keys no Python name can take: `fetch_series(#0:dbapi)`
  // and `fetch_series(conn:dbapi)` in `blocking`/`querying`, `usage_for(http:#0)` and
  // `usage_for(http:account_id)` in `querying`.
  const blockMemo = new Map<string, Evidence | null>();
  const queryMemo = new Map<string, Evidence | null>();
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
  /** What a call reaches: a function of this file (`self.m()` too), or a workspace module's export. */
  interface Helper { local?: Node; remote?: { facts: ModuleFacts; name: string }; method: boolean }
  const helperOf = perNode((call: Node): Helper | undefined => {
    const fn = fnOf(call);
    if (!fn) return undefined;
    if (typeOf(fn) === 'identifier') {
      const w = workspace.get(textOf(fn));
      if (w) return { remote: w, method: false };
      const local = localFunctions.get(textOf(fn));
      if (local) return { local, method: false };
    }
    if (typeOf(fn) === 'attribute') {
      const obj = field(fn, 'object');
      const attr = field(fn, 'attribute')?.text ?? '';
      if (obj?.type === 'identifier') {
        const w = workspace.get(obj.text);
        if (w && w.name === '*') return { remote: { facts: w.facts, name: attr }, method: false };
        if (obj.text === 'self') {
          const local = localFunctions.get(attr);
          if (local) return { local, method: true };
        }
      }
    }
    return undefined;
  });
  /** An argument of a helper call as the helper sees it: parameter position (self excluded) and keyword. */
  interface Arg { index?: number; keyword?: string; value: Node }
  const argsOf = perNode((c: Node): Arg[] => {
    const out: Arg[] = [];
    let index = 0;
    for (const a of argKids(c)) {
      if (a.type === 'comment') continue;
      if (a.type === 'keyword_argument') {
        const value = field(a, 'value');
        if (value) out.push({ keyword: field(a, 'name')?.text, value });
      } else if (a.type === 'list_splat' || a.type === 'dictionary_splat') {
        break; // positions after a splat are unknown
      } else out.push({ index: index++, value: a });
    }
    return out;
  });
  /** The parameter of a local helper an argument binds (a method's `self` skipped). */
  function paramFor(h: Node, method: boolean, arg: Arg): string | undefined {
    const params = paramsOf(h).filter((p, i) => !(i === 0 && method && /^(self|cls)$/.test(p.name)));
    if (arg.keyword) return params.some((p) => p.name === arg.keyword) ? arg.keyword : undefined;
    return arg.index === undefined ? undefined : params[arg.index]?.name;
  }
  /** Keys of a remote summary for an argument: by position and by keyword. */
  function remoteKeys(name: string, arg: Arg, tag: string): string[] {
    return [arg.index !== undefined ? `${name}(${tag}#${arg.index})` : undefined, arg.keyword ? `${name}(${tag}${arg.keyword})` : undefined].filter((k): k is string => !!k);
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
  type Summary = (f: Node, assume?: { name: string; kind: ClientKind }) => Evidence | null;
  /** A helper's evidence for this call: its own, or the one it has for a client the call passes. */
  function via(c: Node, local: Summary, facts0: 'blocking' | 'querying'): Evidence | undefined {
    const h = helperOf(c);
    if (!h) return undefined;
    const plain = h.local ? local(h.local) : h.remote!.facts[facts0].get(h.remote!.name);
    if (plain) return within(plain);
    for (const arg of argsOf(c)) {
      const kind = kindOfValue(arg.value);
      if (!kind) continue;
      if (h.local) {
        const name = paramFor(h.local, h.method, arg);
        const ev = name ? local(h.local, { name, kind }) : null;
        if (ev) return within(ev);
      } else {
        const ev = remoteKeys(h.remote!.name, arg, '').map((k) => h.remote!.facts[facts0].get(`${k.slice(0, -1)}:${kind})`)).find(Boolean);
        if (ev) return within(ev);
      }
    }
    return undefined;
  }
  const blocksVia = (c: Node): Evidence | undefined => via(c, functionBlocks, 'blocking');
  const queriesVia = (c: Node): Evidence | undefined => via(c, functionQueries, 'querying');
  /** Runs a summary of `f` with one parameter assumed to hold a client, memoised per assumption. */
  function summarise(memo: Map<string, Evidence | null>, f: Node, assume: { name: string; kind: ClientKind } | undefined, scan: () => Evidence | null): Evidence | null {
    const key = assume ? `${f.id}:${assume.name}:${assume.kind}` : `${f.id}`;
    const tag = `${memo === blockMemo ? 'b' : 'q'}:${key}`;
    // A replayed outcome must not have met the summaries being replayed (their guards differ per kind).
    if (replay && assume && summaryDepth > 0 && f.id === replay.fn && assume.name === replay.name) sensitive = true;
    if (memo.has(key)) { guarded(tag); return memo.get(key) ?? null; }
    memo.set(key, null); // also the cycle guard
    running.add(tag);
    summaryDepth++;
    const saved = assumed;
    const savedReached = reached;
    reached = new Set();
    assumed = assume ? { fn: f.id, ...assume } : undefined;
    const found = scan();
    assumed = saved;
    reached = savedReached;
    memo.set(key, found);
    running.delete(tag);
    summaryDepth--;
    return found;
  }
  let summaryDepth = 0;
  /** What one call contributes to a summary scan. */
  interface Outcome { api?: string; hit?: Hit; via?: Evidence }
  /**
   * The exports summarise a helper once per client kind assumed for one parameter. A call whose
   * outcome read neither the assumption nor a guard (`sensitive` stayed false) has the same
   * outcome for every kind, so the top-level runs for the other kinds reuse it.
   */
  let replay: { fn: number; name: string; blocks: Map<number, Outcome>; queries: Map<number, Outcome> } | undefined;
  function outcomeCache(f: Node, assume: { name: string } | undefined, which: 'blocks' | 'queries'): Map<number, Outcome> | undefined {
    return replay && assume && summaryDepth === 1 && replay.fn === f.id && replay.name === assume.name ? replay[which] : undefined;
  }
  /** The outcome of one call, recorded in `cache` when it is the same for every assumed kind. */
  function outcomeOf(c: Node, cache: Map<number, Outcome> | undefined, compute: () => Outcome): Outcome {
    const known = cache?.get(c.id);
    if (known) return known;
    const outer = sensitive;
    sensitive = false;
    const outcome = compute();
    if (cache && !sensitive) cache.set(c.id, outcome);
    sensitive = outer || sensitive;
    return outcome;
  }
  function functionBlocks(f: Node, assume?: { name: string; kind: ClientKind }): Evidence | null {
    // async, or made awaitable by running in a thread (`@sync_to_async`, `@database_sync_to_async`).
    if (isAsync(f) || decoratorsOf(f).some((d) => /sync_to_async|to_thread|run_in_threadpool|run_in_executor/.test(d))) return null;
    return summarise(blockMemo, f, assume, () => {
      let found: Evidence | null = null;
      const cache = outcomeCache(f, assume, 'blocks');
      for (const c of ownCalls(f)) {
        const { api, via: through } = outcomeOf(c, cache, () => {
          const a = blockingApi(c);
          return a ? { api: a } : { via: blocksVia(c) };
        });
        if (api) return { file, line: lineOf(c), message: `\`${api}\` blocks here`, api, depth: 1 };
        found = shallower(found, through);
      }
      return found;
    });
  }
  function functionQueries(f: Node, assume?: { name: string; kind: ClientKind }): Evidence | null {
    return summarise(queryMemo, f, assume, () => {
      let found: Evidence | null = null;
      const cache = outcomeCache(f, assume, 'queries');
      for (const c of ownCalls(f)) {
        const { hit, via: through } = outcomeOf(c, cache, () => {
          const h = queryApi(c);
          return h && !h.http ? { hit: h } : { hit: h, via: queriesVia(c) };
        });
        if (hit && !hit.http) return { file, line: lineOf(c), message: `\`${hit.api}\` queries here`, api: hit.api, depth: 1 };
        found = shallower(found, through);
      }
      return found;
    });
  }

  /** Names derived from `seed` inside `scope` through assignments (`url = f"{base}/{x}"`). */
  function derived(scope: Node, seed: Iterable<string>): Set<string> {
    const t = new Set(seed);
    // The captured assignments are every assignment of the file: those in the scope's range, in
    // document order, are the ones a walk of the scope would meet (without walking it again).
    const start = scope.startIndex;
    const end = endOf(scope);
    let lo = 0;
    let hi = byStart.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byStart[mid]!.startIndex < start) lo = mid + 1; else hi = mid;
    }
    for (let i = lo; i < byStart.length && byStart[i]!.startIndex < end; i++) {
      const f = flowOf(byStart[i]!);
      if (f.end > end || !f.right || !f.left) continue;
      for (const id of f.right) {
        if (t.has(id)) { for (const l of f.left) t.add(l); break; }
      }
    }
    return t;
  }
  const endOf = perNode((n: Node): number => n.endIndex);
  /** Assignments by position; nested ones (`a = b = c`) start later than the one around them. */
  const byStart = [...assignments].sort((x, y) => x.startIndex - y.startIndex);
  /** The identifiers an assignment reads and binds, computed when a flow first crosses it. */
  const flowOf = perNode((a: Node): { end: number; right?: Set<string>; left?: Set<string> } => {
    const right = rightOf(a);
    const left = leftOf(a);
    return { end: endOf(a), right: right ? identifiers(right) : undefined, left: left ? identifiers(left) : undefined };
  });
  const httpMemo = new Map<number, Map<string, Evidence>>();
  /**
   * Parameters of `f` that reach the arguments of an HTTP request it sends (directly or through
   * helpers): called with a loop-derived argument there, the helper sends one request per item.
   */
  function httpParams(f: Node): Map<string, Evidence> {
    const memo = httpMemo.get(f.id);
    if (memo) return memo;
    const out = new Map<string, Evidence>();
    httpMemo.set(f.id, out); // also the cycle guard
    const params = paramsOf(f).filter((p) => !/^(self|cls)$/.test(p.name));
    // The parameters' flows are only needed at a request or a helper call, which most functions lack.
    let taint: Map<string, Set<string>> | undefined;
    const reaches = (arg: Node): string[] => {
      taint ??= new Map(params.map((p) => [p.name, derived(f, [p.name])]));
      const ids = identifiers(arg);
      return params.filter((p) => [...taint!.get(p.name)!].some((i) => ids.has(i))).map((p) => p.name);
    };
    for (const c of ownCalls(f)) {
      const hit = queryApi(c);
      if (hit?.http) {
        for (const name of reaches(argsNode(c)!)) if (!out.has(name)) out.set(name, { file, line: lineOf(c), message: `\`${hit.api}\` sends a request here`, api: hit.api, depth: 1 });
        continue;
      }
      // Without a helper behind the call, httpVia has nothing to say about any argument.
      if (params.length === 0 || !helperOf(c)) continue;
      for (const arg of argsOf(c)) {
        const names = reaches(arg.value);
        const ev = names.length ? httpVia(c, arg) : undefined;
        if (ev && (ev.depth ?? 1) < MAX_DEPTH) for (const name of names) if (!out.has(name)) out.set(name, { ...ev, depth: (ev.depth ?? 1) + 1 });
      }
    }
    return out;
  }
  /** The request a helper call sends with this argument, when the helper builds it from it. */
  function httpVia(c: Node, arg: Arg): Evidence | undefined {
    const h = helperOf(c);
    if (h?.local) {
      const name = paramFor(h.local, h.method, arg);
      return name ? within(httpParams(h.local).get(name)) : undefined;
    }
    if (h?.remote) return within(remoteKeys(h.remote.name, arg, 'http:').map((k) => h.remote!.facts.querying.get(k)).find(Boolean));
    return undefined;
  }

  // Exports: plain summaries, and those for a client or a request-building argument.
  const ASSUMABLE: ClientKind[] = ['dbapi', 'sqla-session', 'redis-sync', 'http-session', 'dbapi-async', 'sqla-async', 'redis', 'http-async'];
  for (const f of functions) {
    if (enclosingFunction(f)) continue;
    const name = field(f, 'name')?.text;
    if (!name || rootDepth(f) === undefined) continue;
    const b = functionBlocks(f);
    if (b) facts.blocking.set(name, b);
    const q = functionQueries(f);
    if (q) facts.querying.set(name, q);
    const params = paramsOf(f).filter((p) => !/^(self|cls)$/.test(p.name));
    for (const [i, p] of params.entries()) {
      const keys = [`${name}(#${i}`, `${name}(${p.name}`];
      const http = httpParams(f).get(p.name);
      if (http) for (const k of keys) facts.querying.set(`${name}(http:${k.slice(name.length + 1)})`, http);
      if (p.type && kindOfType(p.type)) continue;
      if (!usedAsClient(f, p.name)) continue;
      // Nothing is running here: a first run that read neither the assumed kind nor a cycle's
      // guard would run the same way for every other kind, so its answer is theirs.
      replay = { fn: f.id, name: p.name, blocks: new Map(), queries: new Map() };
      const sameB: { value?: Evidence | null } = {};
      const sameQ: { value?: Evidence | null } = {};
      const assumedRun = (memo: Map<string, Evidence | null>, same: { value?: Evidence | null }, summary: Summary, kind: ClientKind, key: string): Evidence | null => {
        if (same.value !== undefined && !memo.has(key)) { memo.set(key, same.value); return same.value; }
        const fresh = !memo.has(key);
        sensitive = false;
        const found = summary(f, { name: p.name, kind });
        if (kind === ASSUMABLE[0] && fresh && memo.has(key) && !sensitive) same.value = found;
        return found;
      };
      for (const kind of ASSUMABLE) {
        const key = `${f.id}:${p.name}:${kind}`;
        const pb = b ? null : assumedRun(blockMemo, sameB, functionBlocks, kind, key);
        if (pb) for (const k of keys) facts.blocking.set(`${k}:${kind})`, pb);
        const pq = q ? null : assumedRun(queryMemo, sameQ, functionQueries, kind, key);
        if (pq) for (const k of keys) facts.querying.set(`${k}:${kind})`, pq);
      }
      replay = undefined;
    }
  }
  /** A parameter some call is made on or passed to (so that its client kind can matter). */
  function usedAsClient(f: Node, name: string): boolean {
    return ownCalls(f).some((c) => {
      const { root: r } = chainOf(fnOf(c)!);
      return (typeOf(r) === 'identifier' && textOf(r) === name) || argsOf(c).some((a) => typeOf(a.value) === 'identifier' && textOf(a.value) === name);
    });
  }

  const findings: RawFinding[] = [];
  if (!wantFindings) return { findings, facts };

  // ---- blocking-call ----
  for (const c of calls) {
    const ctx = contextOf(c);
    if (!ctx) continue;
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
    // Only functions, lambdas and loops matter on the way up: climb their ranges, not `parent`.
    for (let p = loopScopes.innermost(n); p; p = loopScopes.innermost(p)) {
      const shape = loopShape(p);
      if (shape.kind === 'function') return undefined;
      if (shape.kind === 'for') {
        if (!shape.body || !contains(shape.body, n) || shape.count) continue;
        return shape.loop;
      }
      if (shape.kind === 'comprehension') {
        if (!shape.loop) continue;
        if (shape.firstRight && contains(shape.firstRight, n)) continue; // the iterable runs once
        if (shape.count) continue;
        return shape.loop;
      }
    }
    return undefined;
  }
  const loopScopes = new RangeIndex([...functions, ...lambdas, ...loopNodes]);
  interface LoopShape { kind: 'function' | 'for' | 'comprehension' | 'other'; body?: Node; count?: boolean; firstRight?: Node | null; loop?: Loop }
  /** What a function, lambda or loop node means to loopOf, independent of the node inside it. */
  const loopShape = perNode((p: Node): LoopShape => {
    const type = p.type;
    if (type === 'function_definition' || type === 'lambda') return { kind: 'function' };
    if (type === 'for_statement') {
      const body = field(p, 'body') ?? undefined;
      const count = isCount(field(p, 'right'));
      return { kind: 'for', body, count, loop: body && !count ? { node: p, vars: identifiers(field(p, 'left')!), body, statement: true } : undefined };
    }
    if (COMPREHENSIONS.has(type)) {
      const clauses = kids(p).filter((k) => k.type === 'for_in_clause');
      const first = clauses[0];
      if (!first) return { kind: 'comprehension' };
      const firstRight = field(first, 'right');
      const count = clauses.every((cl) => isCount(field(cl, 'right')));
      const vars = new Set<string>();
      for (const cl of clauses) for (const v of identifiers(field(cl, 'left')!)) vars.add(v);
      return { kind: 'comprehension', firstRight, count, loop: { node: p, vars, body: p, statement: false } };
    }
    return { kind: 'other' };
  });
  /** Assignments by the text of their left side, built on first use (loops look names up often). */
  let assignmentsByLeft: Map<string, Node[]> | undefined;
  function assignmentsTo(name: string): Node[] {
    if (!assignmentsByLeft) {
      assignmentsByLeft = new Map();
      for (const a of assignments) {
        const left = leftOf(a)?.text;
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
    return assignmentsTo(name).some((a) => rightOf(a)?.type === 'integer');
  }
  const taintMemo = new Map<number, Set<string>>();
  /** A loop's body and variables depend on its node only, so the flow is computed once per loop. */
  function tainted(loop: Loop): Set<string> {
    let t = taintMemo.get(loop.node.id);
    if (!t) { t = derived(loop.body, loop.vars); taintMemo.set(loop.node.id, t); }
    return t;
  }
  /** A helper called with a loop-derived argument that it builds an HTTP request from. */
  function loopRequestVia(c: Node, loop: Loop): Evidence | undefined {
    const t = tainted(loop);
    for (const arg of argsOf(c)) {
      if (![...identifiers(arg.value)].some((i) => t.has(i))) continue;
      const ev = httpVia(c, arg);
      if (ev) return ev;
    }
    return undefined;
  }
  const bodyKids = perNode(kids);
  function exitsAfter(c: Node, loop: Loop): boolean {
    if (!loop.statement) return false;
    const stmts = bodyKids(loop.body);
    const idx = stmts.findIndex((s) => contains(s, c));
    if (idx < 0) return false;
    if (stmts[idx]!.type === 'return_statement') return true;
    return stmts.slice(idx + 1).some((s) => s.type === 'return_statement' || s.type === 'break_statement' || s.type === 'raise_statement');
  }
  /** The source of a loop: model and eagerly loaded relations, when known. */
  const sourceMemo = new Map<number, { eager: Set<string>; model?: string; known: boolean; origin?: Node }>();
  /** Depends on the loop's node only: computed once per loop. */
  function sourceOf(loop: Loop): { eager: Set<string>; model?: string; known: boolean; origin?: Node } {
    let memo = sourceMemo.get(loop.node.id);
    if (!memo) { memo = sourceOfLoop(loop); sourceMemo.set(loop.node.id, memo); }
    return memo;
  }
  function sourceOfLoop(loop: Loop): { eager: Set<string>; model?: string; known: boolean; origin?: Node } {
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
        right = a ? rightOf(a) : null;
        continue;
      }
      const text = right.text;
      if (/\.objects\b/.test(text) || /\b(select|query|scalars|execute)\s*\(/.test(text)) {
        known = true;
        origin ??= right;
      }
      // `doctor.patients.all()`: a related manager's queryset, whose items know their owner.
      const manager = /^\w+\.(\w+)\.(all|filter|exclude|order_by)\(/.exec(text)?.[1];
      if (manager && relations.has(`manager:${manager}`)) {
        known = true;
        for (const k of relations.keys()) if (k.startsWith(`backref:${manager}.`)) eager.add(k.slice(`backref:${manager}.`.length));
        // The owner's own query may have loaded the items' relations too:
        // `order = Order.objects.prefetch_related("lines__product")`, then `order.lines.all()`.
        const owner = /^(\w+)\./.exec(text)?.[1];
        const loaded = owner ? assignmentsTo(owner).filter((x) => contains(scope, x) && x.startIndex < loop.node.startIndex).pop() : undefined;
        const ownerQuery = loaded ? rightOf(loaded) : null;
        if (ownerQuery) {
          walk(ownerQuery, (n) => {
            if (n.type === 'call' && EAGER_OPTIONS.has((field(n, 'function')?.text ?? '').split('.').pop()!)) {
              for (const path of stringArgs(field(n, 'arguments')!)) if (path.startsWith(`${manager}__`)) eager.add(path.slice(manager.length + 2).split('__')[0]!);
            }
            return true;
          });
        }
      }
      const m = /(\w+)\.objects\b/.exec(text) ?? /\b(?:select|query)\(\s*(\w+)/.exec(text);
      if (m && !model) model = m[1];
      walk(right, (n) => {
        if (n.type === 'call' && EAGER_OPTIONS.has((field(n, 'function')?.text ?? '').split('.').pop()!)) {
          for (const s of stringArgs(field(n, 'arguments')!)) { eager.add(s.split('__')[0]!); }
        }
        return true;
      });
      const inner = [...identifiers(right)].find((i) => assignmentsTo(i).some((a) => contains(scope, a) && a.startIndex < loop.node.startIndex && /\b(select|query)\(|\.options\(/.test(rightOf(a)?.text ?? '')));
      right = inner ? ({ type: 'identifier', text: inner } as unknown as Node) : null;
      if (inner) {
        const a = assignmentsTo(inner).filter((x) => contains(scope, x) && x.startIndex < loop.node.startIndex).pop();
        right = a ? rightOf(a) : null;
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
    if (!/^\s*from\s+sqlalchemy\.orm\s+import\s+[^\n]*\bselectinload\b/m.test(source)) {
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
      via = queriesVia(c) ?? loopRequestVia(c, loop);
      if (!via) continue;
    }
    if (hit?.http && ![...identifiers(argsNode(c)!)].some((i) => tainted(loop).has(i))) continue;
    if (exitsAfter(c, loop)) continue;
    const what = hit ? `\`${hit.api}\`` : `\`${field(c, 'function')?.text}\` (which runs \`${via!.api}\`)`;
    const request = hit ? hit.http : /sends a request/.test(via!.message);
    // `item.tags.all()` on a loop item: prefetch the related manager with the loop's query.
    const manager = hit?.prefetch ? sourceOf(loop) : undefined;
    const fix = manager ? eagerLoadFix(manager.origin, manager.model, hit!.prefetch!, true) : undefined;
    findings.push({ rule: 'n-plus-one', node: c, message: `${what} ${request ? 'sends one request' : 'runs one query'} per item of the loop`, related: [{ file, line: lineOf(loop.node), message: 'the loop', api: '' }, ...(via ? [{ ...via, message: `\`${via.api}\` ${request ? 'sends a request' : 'queries'} here` }] : [])], ...(fix ? { fix } : {}) });
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
