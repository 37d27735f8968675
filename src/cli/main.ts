#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=2
// The young generation is capped at 2 MiB per semi-space (V8's default lets it grow to 16): the
// proxy's garbage is short-lived. Against 4 MiB this keeps the peak RSS under load 10-30 MiB
// lower, for 10-20% more CPU once the proxy is saturated; against 16 MiB, 40-70 MiB lower.
// MALLOC_MMAP_THRESHOLD_ fixes glibc's mmap threshold at its initial 128 KiB: by default glibc
// raises it to the size of the largest block freed, after which big buffers (record lines,
// messages) come from the heap and stay there once freed; 15-45 MiB lower peaks (other C
// libraries ignore it). docs/performance.md, "Levers". `npm start` sets the same.
import { readFileSync } from 'node:fs';
import { loadOrCreateCa } from '../tls/ca-store.js';
import { formatCaReport } from './ca-report.js';
import { describeFailure } from './describe-failure.js';
import { exitProcess } from './exit-process.js';
import { type ParsedCommand, parseCommand } from './parse-options.js';
import { runProxy } from './run-proxy.js';
import { runStoreCommand } from './run-store-command.js';
import { FilterError } from '../filter/filter-error.js';
import { runUntilSignal } from './run-until-signal.js';
import { USAGE } from './usage.js';

function log(line: string): void {
  process.stderr.write(`grpctap: ${line}\n`);
}

/** The package version, from the nearest package.json above the compiled file (any outDir). */
function readVersion(): string {
  for (let url = new URL('./', import.meta.url); ; url = new URL('../', url)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', url), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'grpctap') return String(pkg.version);
    } catch {
      // Not here; look one folder up.
    }
    if (url.pathname === '/') return 'unknown';
  }
}

async function run(command: ParsedCommand): Promise<number> {
  switch (command.kind) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'version':
      process.stdout.write(`${readVersion()}\n`);
      return 0;
    case 'error':
      log(command.message);
      return 2;
    case 'ca': {
      const { ca, created, warnings } = await loadOrCreateCa(command.certsDir);
      for (const warning of warnings) log(warning);
      process.stdout.write(formatCaReport(ca, created));
      return 0;
    }
    case 'proxy':
      return runUntilSignal(() => runProxy(command.options, log), { log });
    case 'flows':
    case 'show':
    case 'export':
      // `grpctap flows | head`: a reader that went away ends the command, quietly.
      process.stdout.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EPIPE') process.exit(0);
        throw error;
      });
      try {
        return await runStoreCommand(command.kind, command.options, {
          log,
          version: readVersion(),
        });
      } catch (error) {
        if (error instanceof FilterError) {
          log(error.message);
          return 2;
        }
        throw error;
      }
  }
}

/** Usage errors exit 2, failures the user can fix exit 1 with one line, bugs exit 1 with a stack. */
async function main(): Promise<number> {
  const command = parseCommand(process.argv.slice(2), process.env);
  try {
    return await run(command);
  } catch (error) {
    const context =
      command.kind === 'proxy'
        ? {
            certsDir: command.options.certsDir,
            listen: formatListen(command.options.listenHost, command.options.listenPort),
          }
        : { certsDir: command.kind === 'ca' ? command.certsDir : '' };
    log(describeFailure(error, context) ?? `fatal: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}

function formatListen(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

void main().then((code) => exitProcess(code, log));
