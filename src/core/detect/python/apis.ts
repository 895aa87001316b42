/** The API lists of spec/detectors.md for Python. Exact qualified names. */
const http = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'request'];
export const PY_BLOCKING = new Set<string>([
  ...http.map((m) => `requests.${m}`),
  ...http.map((m) => `requests.api.${m}`),
  ...[...http, 'stream'].map((m) => `httpx.${m}`),
  'urllib.request.urlopen', 'urllib3.request',
  'time.sleep', 'input', 'open', 'io.open', 'io.open_code',
  // Opening a synchronous database connection (a socket or a file) is a call of that client.
  ...['sqlite3', 'psycopg2', 'psycopg', 'pymysql', 'MySQLdb', 'mysql.connector'].map((m) => `${m}.connect`),
  ...['run', 'call', 'check_call', 'check_output', 'getoutput', 'getstatusoutput', 'Popen'].map((m) => `subprocess.${m}`),
  ...['system', 'popen', 'posix_spawn', 'posix_spawnp', 'spawnl', 'spawnle', 'spawnlp', 'spawnlpe', 'spawnv', 'spawnve', 'spawnvp', 'spawnvpe', 'wait', 'wait3', 'wait4', 'waitid', 'waitpid'].map((m) => `os.${m}`),
]);
/** HTTP calls (for N+1 they need an argument derived from the loop variable). */
export const PY_HTTP = new Set<string>([
  ...http.map((m) => `requests.${m}`), ...[...http, 'stream'].map((m) => `httpx.${m}`), 'urllib.request.urlopen', 'urllib3.request',
]);
export const HTTP_SESSION_METHODS = new Set([...http, 'stream', 'urlopen', 'send']);
export const PATH_IO = new Set(['read_text', 'read_bytes', 'write_text', 'write_bytes']);
export const DBAPI_METHODS = new Set(['execute', 'executemany', 'executescript', 'fetchone', 'fetchall', 'fetchmany', 'commit', 'callproc']);
export const SQLA_QUERY_METHODS = new Set(['execute', 'exec', 'scalar', 'scalars', 'get', 'query', 'refresh', 'merge', 'flush', 'commit', 'get_one']);
export const SQLA_BLOCKING_METHODS = new Set([...SQLA_QUERY_METHODS, 'delete', 'rollback']);
/** Django queryset methods that run a query. */
export const DJANGO_EVALUATING = new Set(['get', 'first', 'last', 'count', 'exists', 'aggregate', 'create', 'get_or_create', 'update_or_create', 'update', 'delete', 'bulk_create', 'bulk_update', 'in_bulk', 'earliest', 'latest', 'contains', 'explain', 'iterator', 'raw']);
/** Django queryset methods that return a new queryset (a query when evaluated). */
export const DJANGO_LAZY = new Set(['all', 'filter', 'exclude', 'order_by', 'values', 'values_list', 'select_related', 'prefetch_related', 'only', 'defer', 'annotate', 'distinct', 'using', 'none', 'reverse', 'dates', 'datetimes', 'select_for_update']);
export const EVALUATING_WRAPPERS = new Set(['list', 'len', 'bool', 'sum', 'set', 'tuple', 'sorted', 'dict', 'any', 'all', 'max', 'min']);
export const REDIS_NON_COMMANDS = new Set(['pipeline', 'multi', 'lock', 'pubsub', 'close', 'connection_pool', 'register_script', 'from_url', 'transaction', 'monitor']);
export const EAGER_OPTIONS = new Set(['select_related', 'prefetch_related', 'joinedload', 'selectinload', 'subqueryload', 'immediateload', 'contains_eager', 'options', 'Prefetch']);
