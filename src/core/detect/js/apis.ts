/** The API lists of spec/detectors.md for JavaScript and TypeScript. */

/** Modules whose every `*Sync` export blocks. */
export const SYNC_MODULES = new Set(['fs', 'child_process', 'crypto', 'zlib', 'fs-extra', 'fs/promises']);

/** Library blockers: module → exported names (or `default.<name>` reached through a default import). */
export const LIBRARY_BLOCKERS: Record<string, Set<string>> = {
  glob: new Set(['sync', 'globSync', 'glob.sync']),
  'fast-glob': new Set(['sync', 'globSync']),
  bcrypt: new Set(['hashSync', 'compareSync', 'genSaltSync']),
  bcryptjs: new Set(['hashSync', 'compareSync', 'genSaltSync']),
  execa: new Set(['sync', 'execaSync', 'execaCommandSync', 'commandSync']),
};

/** Database and cache client packages (their imports mark a module as data access). */
export const DB_LIBS = new Set(['sequelize', 'mongoose', 'typeorm', '@prisma/client', 'knex', 'pg', 'mysql2', 'mysql2/promise', 'better-sqlite3', 'ioredis', 'redis']);

export const ROUTE_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'all', 'use', 'head', 'options']);
export const FRAMEWORK_MODULES = new Set(['express', 'fastify', 'koa', '@koa/router', 'koa-router', 'restify', 'polka', 'hono', 'router']);
export const LISTENER_EVENTS = new Set(['request', 'connection', 'data', 'message']);
export const NEST_HANDLER_DECORATORS = new Set(['Get', 'Post', 'Put', 'Patch', 'Delete', 'All', 'Head', 'Options', 'Sse', 'MessagePattern', 'EventPattern', 'SubscribeMessage']);
export const NEST_STARTUP_METHODS = new Set(['onModuleInit', 'onApplicationBootstrap', 'onModuleDestroy', 'beforeApplicationShutdown', 'onApplicationShutdown']);
export const NEXT_STARTUP_EXPORTS = new Set(['getStaticProps', 'getStaticPaths', 'generateStaticParams', 'generateMetadata']);
export const NEXT_ROUTE_EXPORTS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/** Callbacks that run inline and inherit the context around them. */
export const INLINE_CALLBACK_METHODS = new Set(['forEach', 'map', 'filter', 'reduce', 'reduceRight', 'some', 'every', 'find', 'findIndex', 'findLast', 'findLastIndex', 'flatMap', 'sort']);
/** Array methods whose callback runs once per element (N+1 loops). */
export const LOOP_CALLBACK_METHODS = new Set(['forEach', 'map', 'flatMap', 'reduce', 'filter', 'some', 'every']);

export const PRISMA_METHODS = new Set(['findUnique', 'findUniqueOrThrow', 'findFirst', 'findFirstOrThrow', 'findMany', 'count', 'aggregate', 'groupBy', 'create', 'createMany', 'update', 'updateMany', 'upsert', 'delete', 'deleteMany']);
export const PRISMA_RAW = new Set(['$queryRaw', '$queryRawUnsafe', '$executeRaw', '$executeRawUnsafe']);
export const TYPEORM_METHODS = new Set(['find', 'findBy', 'findOne', 'findOneBy', 'findOneOrFail', 'findOneByOrFail', 'findAndCount', 'findAndCountBy', 'findByIds', 'count', 'countBy', 'sum', 'average', 'minimum', 'maximum', 'exist', 'exists', 'existsBy', 'query', 'save', 'insert', 'update', 'upsert', 'delete', 'remove', 'softDelete', 'increment', 'decrement']);
export const TYPEORM_BUILDER_TERMINALS = new Set(['getMany', 'getOne', 'getOneOrFail', 'getCount', 'getRawMany', 'getRawOne', 'getManyAndCount', 'execute', 'getExists']);
export const SEQUELIZE_MODEL_METHODS = new Set(['findByPk', 'findOne', 'findAll', 'findAndCountAll', 'findOrCreate', 'count', 'create', 'bulkCreate', 'update', 'destroy', 'upsert', 'increment', 'decrement', 'sum', 'max', 'min']);
export const MONGOOSE_MODEL_METHODS = new Set(['find', 'findOne', 'findById', 'countDocuments', 'estimatedDocumentCount', 'updateOne', 'updateMany', 'deleteOne', 'deleteMany', 'findOneAndUpdate', 'findOneAndDelete', 'findOneAndReplace', 'findByIdAndUpdate', 'findByIdAndDelete', 'findByIdAndRemove', 'create', 'insertMany', 'aggregate', 'exists', 'distinct', 'replaceOne', 'where']);
export const KNEX_ROOT_METHODS = new Set(['select', 'from', 'table', 'insert', 'update', 'delete', 'raw', 'where', 'count', 'first', 'sum', 'withSchema', 'with']);
export const REDIS_NON_COMMANDS = new Set(['pipeline', 'multi', 'batch', 'on', 'once', 'off', 'connect', 'disconnect', 'quit', 'duplicate', 'subscribe', 'psubscribe', 'unsubscribe', 'defineCommand', 'removeListener', 'addListener', 'emit', 'isOpen', 'isReady', 'status']);
export const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'request']);
export const HTTP_MODULES = new Set(['axios', 'got', 'node-fetch', 'undici', 'ky', 'superagent', 'cross-fetch']);
/** Per-item write on a loop item (Mongoose `doc.save()`, Sequelize instances). */
export const INSTANCE_WRITES = new Set(['save', 'destroy', 'reload', 'remove', 'deleteOne', 'updateOne', 'increment', 'decrement']);
