#!/usr/bin/env node
/**
 * `npm run demo`: a self-contained tour of grpctap. It starts the demo service over TLS (with its
 * own throwaway CA), grpctap in front of it trusting that CA (`--upstream-ca`), and a grpc-js
 * client that reaches the service through grpctap with CONNECT (`grpc_proxy`) and trusts
 * grpctap's CA. grpctap's live tail is the demo's stdout; the demo's own lines (`demo: ...`) and
 * grpctap's logs go to stderr. Exits 0 after the sessions, or on Ctrl-C with `--loop`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { CA_CERT_FILE, loadOrCreateCa } from '../tls/ca-store.js';
import { createLeafMinter } from '../tls/leaf-minter.js';
import { runAgentSession } from './agent-client.js';
import { findAgentProto, loadAgentService } from './agent-proto.js';
import { type AgentServer, startAgentServer } from './agent-server.js';
import { DEMO_USAGE, type DemoOptions, parseDemoArgs } from './parse-demo-args.js';
import { type DemoProxy, spawnProxy } from './spawn-proxy.js';

/** Pause between two sessions, in milliseconds, so the tail reads in blocks. */
const PAUSE_BETWEEN_ROUNDS_MS = 700;

function say(line: string): void {
  process.stderr.write(`demo: ${line}\n`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Makes grpc-js send every call through `proxyUrl` (it reads these variables per channel). */
function routeThroughProxy(proxyUrl: string): void {
  // A `no_proxy` covering localhost would make grpc-js bypass grpctap and the demo show nothing.
  delete process.env.no_grpc_proxy;
  delete process.env.no_proxy;
  process.env.grpc_proxy = proxyUrl;
}

async function runDemo(options: DemoOptions): Promise<void> {
  const workDir = await mkdtemp(join(tmpdir(), 'grpctap-demo-'));
  let server: AgentServer | null = null;
  let proxy: DemoProxy | null = null;
  let client: grpc.Client | null = null;
  let stopping = false;
  const stop = (): void => {
    if (!stopping) say('stopping after this session');
    stopping = true;
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const { ca: upstreamCa } = await loadOrCreateCa(join(workDir, 'upstream-ca'));
    const leaf = createLeafMinter(upstreamCa).mint('localhost');
    const protoPath = findAgentProto();
    const AgentService = loadAgentService(protoPath);
    server = await startAgentServer(AgentService.service, leaf);
    say(`demo.agent.v1.AgentService listening on localhost:${server.port} (TLS)`);

    const certsDir = options.certsDir ?? join(workDir, 'proxy-certs');
    proxy = await spawnProxy({
      certsDir,
      upstreamCa: [upstreamCa.certPath],
      args: ['--proto', protoPath],
    });
    routeThroughProxy(proxy.url);
    const proxyCa = await readFile(join(certsDir, CA_CERT_FILE));
    client = new AgentService(`localhost:${server.port}`, grpc.credentials.createSsl(proxyCa));

    for (let round = 1; options.loop || round <= options.rounds; round++) {
      if (stopping) break;
      say(`session ${round}`);
      try {
        await runAgentSession(client, say);
      } catch (error) {
        // Ctrl-C reaches the proxy too (same process group), so calls in flight may fail.
        if (stopping) break;
        throw error;
      }
      if (options.loop || round < options.rounds) await delay(PAUSE_BETWEEN_ROUNDS_MS);
    }
  } finally {
    client?.close();
    const code = await proxy?.stop();
    if (code !== undefined && code !== 0 && !stopping) say(`grpctap exited with code ${code}`);
    server?.close();
    await rm(workDir, { recursive: true, force: true });
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseDemoArgs(argv);
  switch (parsed.kind) {
    case 'help':
      process.stdout.write(DEMO_USAGE);
      return 0;
    case 'error':
      process.stderr.write(`demo: ${parsed.message}\n\n${DEMO_USAGE}`);
      return 2;
    case 'run':
      await runDemo(parsed.options);
      say('done');
      return 0;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(`failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
