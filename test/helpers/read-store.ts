import { readFile } from 'node:fs/promises';
import { runCli, type CliRun } from './run-cli.js';
import { waitForValue, waitUntil } from './wait.js';

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

/** The lines of `recordPath` for one flow, once there are `count` of them (bounded poll). */
export async function waitForRecordedLines(
  recordPath: string,
  flowId: string,
  count: number,
): Promise<string[]> {
  let lines: string[] = [];
  await waitUntil(async () => {
    lines = (await readFile(recordPath, 'utf8'))
      .split('\n')
      .filter((line) => line.includes(`"flowId":"${flowId}"`));
    return lines.length === count;
  }, `the ${count} records of flow ${flowId} in ${recordPath}`);
  return lines;
}

/** The non-empty lines of a command's stdout. */
export function stdoutLines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line !== '');
}
