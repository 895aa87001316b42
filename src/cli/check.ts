import { UsageError } from './args';

/** `perflens check` — static detectors (issue 3). Not available yet. */
export async function checkCommand(_argv: string[]): Promise<number> {
  throw new UsageError('"perflens check" is not available yet');
}
