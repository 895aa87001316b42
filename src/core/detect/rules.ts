import type { RuleId } from './types';

const DOCS = 'https://github.com/perflens/perflens/blob/main/docs/rules';

/** Rule metadata shared by the CLI (SARIF) and the editor (diagnostic codes and links). */
export const RULES: Record<RuleId, { name: string; short: string; full: string; helpUri: string }> = {
  'blocking-call': {
    name: 'BlockingCall',
    short: 'A synchronous, blocking call in code that serves concurrent work',
    full: 'A blocking API (fs *Sync, child_process *Sync, time.sleep, requests, a synchronous database client, …) called inside an async function, a request handler or a serving listener stalls every other request while it runs.',
    helpUri: `${DOCS}/blocking-call.md`,
  },
  'n-plus-one': {
    name: 'NPlusOneQuery',
    short: 'One database query or remote request per item of a collection',
    full: 'A query or request inside a loop over a collection runs once per element; batch it (IN/…in/$in, DataLoader, select_related/prefetch_related, include) so it runs once.',
    helpUri: `${DOCS}/n-plus-one.md`,
  },
};
