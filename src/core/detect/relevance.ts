import { DB_LIBS, HTTP_MODULES, LIBRARY_BLOCKERS, SYNC_MODULES } from './js/apis';
import type { ModuleFacts } from './facts';
import type { DetectorOptions, LanguageId } from './types';

/**
 * A text prefilter for workspace scans, in the manner of a literal prefilter in a code search
 * tool: a finding needs an API to flag, and every API the rules know is named in the text of the
 * file that calls it — a module specifier (`'fs'`, `'@prisma/client'`), a global (`fetch`,
 * `Atomics`), a type or decorator (`PrismaClient`, `Repository<…>`, `@InjectModel`) — or reached
 * through a workspace import whose facts are not empty. A file with none of these can produce
 * neither findings nor facts, so it is not parsed. The patterns over-approximate on purpose:
 * a false "maybe" costs a parse, a false "no" would cost a finding.
 */

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/@-]/g, '\\$&');

const JS_MODULES = [...SYNC_MODULES, ...Object.keys(LIBRARY_BLOCKERS), ...DB_LIBS, ...HTTP_MODULES, 'mysql', 'sequelize-typescript', 'dataloader'];
const JS_SEEDS = [
  `['"\`](?:node:)?(?:${JS_MODULES.map(escape).join('|')})(?:/[^'"\`]*)?['"\`]`,
  // Globals the analyser knows by name.
  String.raw`\bfetch\s*\(`, String.raw`\bAtomics\s*\.\s*wait\b`,
  // A Prisma client by its usual name, DataLoaders by theirs (`loaders.user.load(id)`).
  String.raw`\bprisma\b`, String.raw`(?:[lL]oader|LOADER)[\w$.\][]*\.load(?:Many)?\s*\(`,
  // Clients known by their TypeScript type or Nest injection decorator.
  String.raw`:\s*(?:(?:Tree|Mongo)?Repository\s*<|EntityManager\b|DataSource\b|Knex\b|Model\s*<|Prisma(?:Client|Service|\.TransactionClient)\b)`, String.raw`@Inject(?:Repository|DataSource|EntityManager|Model)\b`,
];

/**
 * Python query APIs come from imports of these packages (clients are made from their
 * constructors, typed parameters name their types), or from Django (any mention of it: the
 * analyser treats capitalised names as models then) or a workspace module's facts.
 */
const PY_QUERY_SEEDS = String.raw`^[ \t]*(?:from|import)[ \t]+(?:sqlalchemy|requests|httpx|urllib\.request|urllib3|aiohttp|sqlite3|psycopg|psycopg2|pymysql|MySQLdb|mysql|redis|aioredis|asyncpg|aiosqlite|aiomysql|databases|sqlmodel)\b|^[ \t]*from[ \t]+urllib[ \t]+import[^\n]*\brequest\b|\bdjango\b`;

interface Seeds { js: RegExp; py: RegExp; pyQuery: RegExp }
const compiled = new WeakMap<DetectorOptions, Seeds | null>();

function seedsFor(options: DetectorOptions): Seeds | null {
  const hit = compiled.get(options);
  if (hit !== undefined) return hit;
  const extra = [...(options.extraBlockingApis ?? []), ...(options.extraQueryApis ?? [])];
  // A module pattern with a wildcard could match any import: no prefilter then.
  let result: Seeds | null = null;
  if (!extra.some((p) => p.module.includes('*'))) {
    const modules = extra.map((p) => escape(p.module));
    const js = new RegExp([...JS_SEEDS, ...modules].join('|'));
    const pyQuery = new RegExp([PY_QUERY_SEEDS, ...modules].join('|'), 'm');
    const py = new RegExp([String.raw`\basync\b|\bawait\b`, PY_QUERY_SEEDS, ...modules].join('|'), 'm');
    result = { js, py, pyQuery };
  }
  compiled.set(options, result);
  return result;
}

/** JavaScript/TypeScript: may the file hold an API the rules flag, by its own text? */
export function jsMayUseApis(text: string, options: DetectorOptions): boolean {
  const seeds = seedsFor(options);
  return seeds === null || seeds.js.test(text);
}

/**
 * Python: words without which a module can neither block nor query (so its facts are empty
 * unless a module it imports has some): the blocking APIs of the spec by name, and the query
 * packages.
 */
const PY_FACT_SEEDS = new RegExp([
  String.raw`\b(?:open|input)\s*\(|\bsleep\b|\bsubprocess\b|\bos\.(?:system|popen|posix_spawnp?|spawn[lv]p?e?|wait(?:pid|id|3|4)?)\b|^[ \t]*from[ \t]+os[ \t]+import\b`,
  String.raw`\b(?:read_text|read_bytes|write_text|write_bytes|urlopen|urllib3|requests|httpx|aiohttp|sqlite3|psycopg2?|pymysql|MySQLdb|mysql|redis|aioredis|sqlalchemy|django|asyncpg|aiosqlite|aiomysql|databases|sqlmodel|Session|cursor|execute|relationship)\b`,
].join('|'), 'm');

/** Python: may the module block or query by its own text (see PY_FACT_SEEDS)? */
export function pyMayHaveFacts(text: string, options: DetectorOptions): boolean {
  return seedsFor(options) === null || PY_FACT_SEEDS.test(text) || pyMayQuery(text, options);
}

/** Python: may the module use a query API (so that a loop calling it is N+1)? */
function pyMayQuery(text: string, options: DetectorOptions): boolean {
  const seeds = seedsFor(options);
  return seeds === null || seeds.pyQuery.test(text);
}

/** Python: may the file report a finding by its own text (an async context or a query API)? */
export function pyMayReport(text: string, options: DetectorOptions): boolean {
  const seeds = seedsFor(options);
  return seeds === null || seeds.py.test(text);
}

const JS_RELATIVE = /(['"`])(\.{1,2}\/[^'"`\n]*)\1/g;
const PY_FROM = /^[ \t]*from[ \t]+([\w.]+)[ \t]+import[ \t]+(\(?[^\n#]*)/gm;

/**
 * Workspace import specifiers a file may use, from its text: every relative string literal in
 * JavaScript/TypeScript (more than the imports, never fewer), and in Python each `from M import
 * a, b` as `M`, `M.a`, `M.b` (the engine resolves either form).
 */
export function workspaceSpecifiers(language: LanguageId, text: string): string[] {
  const out = new Set<string>();
  if (language === 'python') {
    for (const m of text.matchAll(PY_FROM)) {
      out.add(m[1]!);
      // A parenthesised list may run over several lines: take what follows up to the `)`.
      const list = m[2]!.startsWith('(') ? text.slice(m.index! + m[0].length - m[2]!.length + 1, text.indexOf(')', m.index!)) : m[2]!;
      for (const part of list.split(',')) {
        const name = /^\s*(\w+)/.exec(part)?.[1];
        if (name) out.add(`${m[1]!.endsWith('.') ? m[1] : m[1] + '.'}${name}`);
      }
    }
  } else {
    for (const m of text.matchAll(JS_RELATIVE)) out.add(m[2]!);
  }
  return [...out];
}

/** Python summary keys that hold only for an argument of a client kind (analyzePython.ts): `f(#0:dbapi)`, `f(conn:redis)`. */
const CLIENT_CONDITIONAL = /\((?!http:)[^()]*:[\w-]+\)$/;
const plainKeys = (summaries: ReadonlyMap<string, unknown>): boolean => [...summaries.keys()].some((k) => !CLIENT_CONDITIONAL.test(k));

/**
 * Facts that can change another file's findings (`forFacts`: or another module's facts, which
 * in Python include helpers that block).
 */
export function factsMatter(facts: ModuleFacts | undefined, language: LanguageId, forFacts = false): boolean {
  if (!facts) return true;
  if (forFacts && language === 'python') return facts.clients.size > 0 || plainKeys(facts.blocking) || plainKeys(facts.querying) || facts.relations.size > 0 || facts.libs.size > 0;
  if (forFacts) return facts.clients.size > 0 || facts.blocking.size > 0 || facts.querying.size > 0 || facts.relations.size > 0 || facts.libs.size > 0;
  // Python blocks only inside `async def`, which is a seed of its own: helpers matter for queries.
  // A helper that queries only when handed a client (`f(#0:dbapi)`) matters only to a file that
  // has such a client, and that file has a seed or a module with clients of its own.
  // (For facts too: a module wrapping such a helper without naming a client API itself is not
  // followed — a chain of three modules, where the middle one names no API, loses that summary.)
  if (language === 'python') return plainKeys(facts.querying) || facts.clients.size > 0 || facts.relations.size > 0;
  return facts.clients.size > 0 || facts.blocking.size > 0 || facts.querying.size > 0 || facts.libs.size > 0;
}
