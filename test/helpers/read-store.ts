import { runCli, type CliRun } from './run-cli.js';
import { waitForValue } from './wait.js';

/** Runs `grpctap COMMAND ... --store STORE` and returns the run (for exit codes and output). */
export function runStoreCli(store: string, args: readonly string[]): Promise<CliRun> {
  return runCli([...args, '--store', store]);
}

/** `grpctap flows FILTER --json` as objects; throws with stderr when the command fails. */
export async function listStoredFlows(
  store: string,
  filter: string,
  extra: readonly string[] = [],
): Promise<Record<string, unknown>[]> {
  const run = await runStoreCli(store, ['flows', filter, '--json', ...extra]);
  if (run.code !== 0) throw new Error(`grpctap flows failed (${run.code}): ${run.stderr}`);
  return run.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Polls `grpctap flows FILTER --json` until `accept` takes the list (bounded, 20 s). */
export function waitForStoredFlows(
  store: string,
  filter: string,
  accept: (flows: Record<string, unknown>[]) => boolean,
  what: string,
): Promise<Record<string, unknown>[]> {
  return waitForValue(
    async () => {
      const flows = await listStoredFlows(store, filter);
      return accept(flows) ? flows : undefined;
    },
    what,
    20_000,
    100,
  );
}
