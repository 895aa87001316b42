import type { RelatedLocation } from './types';

/** What another file needs to know about a module: computed once per file, used across files. */
export interface Evidence extends RelatedLocation {
  /** The API at the end of the chain (`fs.readFileSync`, `prisma.user.findMany`). */
  api: string;
  /** Functions from the summarised one to the API: 1 when it calls the API itself. */
  depth?: number;
}

export type ClientKind =
  | 'prisma' | 'typeorm' | 'sequelize' | 'sequelize-model' | 'mongoose-model' | 'knex' | 'sql'
  | 'sqlite-db' | 'sqlite-stmt' | 'redis' | 'redis-sync' | 'http' | 'dataloader'
  | 'django-model' | 'sqla-model' | 'sqla-session' | 'sqla-async' | 'dbapi' | 'dbapi-async' | 'http-session' | 'http-async' | 'path';

export interface ModuleFacts {
  file: string;
  /** Exported bindings that are database/HTTP clients or models. `default` for the default export. */
  clients: Map<string, ClientKind>;
  /** Exported synchronous functions that block (directly or through helpers). */
  blocking: Map<string, Evidence>;
  /** Exported functions (sync or async) that query. */
  querying: Map<string, Evidence>;
  /** Python: relation attributes declared by models in this module (name → eager?). */
  relations: Map<string, boolean>;
  /** Local names that other files register as startup code (Fastify `register(plugin)`). */
  startupExports: Set<string>;
  /** Workspace functions this file registers as startup code: resolved file → export names. */
  registers: Map<string, Set<string>>;
  /** Workspace functions this file registers as request handlers: resolved file → export names. */
  handlerRegs: Map<string, Set<string>>;
  /** Database/ORM packages the module imports (to recognise models exported dynamically). */
  libs: Set<string>;
  /** The file is worker code (parentPort/workerData). */
  worker: boolean;
}

export function emptyFacts(file: string): ModuleFacts {
  return { file, clients: new Map(), blocking: new Map(), querying: new Map(), relations: new Map(), worker: false, startupExports: new Set(), registers: new Map(), handlerRegs: new Map(), libs: new Set() };
}

/** Resolves an import specifier of `fromFile` to the facts of a workspace module, or undefined. */
export type ImportResolver = (fromFile: string, specifier: string) => ModuleFacts | undefined;
