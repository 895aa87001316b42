import { UsageError } from './args';

/** `perflens bench` — benchmark history (issue 4). Not available yet. */
export async function benchCommand(_argv: string[]): Promise<number> {
  throw new UsageError('"perflens bench" is not available yet');
}
