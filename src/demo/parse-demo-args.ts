import { parseArgs } from 'node:util';

/** How `npm run demo` was asked to run. */
export interface DemoOptions {
  /** Sessions to run before exiting; ignored with `loop`. */
  readonly rounds: number;
  /** Run sessions until SIGINT / SIGTERM. */
  readonly loop: boolean;
  /** The proxy's certs directory; null for a temporary one removed at exit. */
  readonly certsDir: string | null;
}

export type ParsedDemoArgs =
  | { readonly kind: 'run'; readonly options: DemoOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

/** Sessions run when `--rounds` is absent. */
export const DEFAULT_ROUNDS = 2;

/** `npm run demo -- --help`. */
export const DEMO_USAGE = `Usage: npm run demo -- [--rounds N] [--loop] [--certs-dir DIR]

Starts a demo gRPC service (demo.agent.v1.AgentService), grpctap in front of it, and a client
that calls it through grpctap, so grpctap's live tail shows every call on stdout.

  --rounds N        client sessions to run, then exit (default ${DEFAULT_ROUNDS})
  --loop            run sessions until Ctrl-C
  --certs-dir DIR   grpctap's CA directory (default: a temporary one, removed at exit)
  -h, --help        this help
`;

/** Parses the demo's command line. */
export function parseDemoArgs(argv: readonly string[]): ParsedDemoArgs {
  let values: { rounds?: string; loop?: boolean; 'certs-dir'?: string; help?: boolean };
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        rounds: { type: 'string' },
        loop: { type: 'boolean' },
        'certs-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    return { kind: 'error', message: (error as Error).message };
  }
  if (values.help) return { kind: 'help' };
  const rounds = values.rounds === undefined ? DEFAULT_ROUNDS : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    return { kind: 'error', message: `--rounds takes a positive integer, got ${values.rounds}` };
  }
  return {
    kind: 'run',
    options: { rounds, loop: values.loop ?? false, certsDir: values['certs-dir'] ?? null },
  };
}
