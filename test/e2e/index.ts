// The extension-host suite: PerfLens inside a real VS Code, on a copy of examples/. Each suite
// file registers its tests on import; they run in this order.
import './activation.suite';
import './profile.suite';
import './detect.suite';
import './history.suite';
import { runAll } from './harness';

export async function run(): Promise<void> {
  const results = await runAll();
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length > 0) throw new Error(`${failed.length} extension test(s) failed: ${failed.map((f) => f.name).join('; ')}`);
}
