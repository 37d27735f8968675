/**
 * The demo's upstream: a grpc-js server implementing `demo.agent.v1.AgentService` over TLS with
 * made-up but plausible host data.
 */
import * as grpc from '@grpc/grpc-js';
import type {
  ExecRequest,
  ExecResponse,
  GetHealthRequest,
  GetHealthResponse,
  ListProcessesRequest,
  ListProcessesResponse,
  Process,
} from './agent-proto.js';

/** The processes `ListProcesses` reports. */
const PROCESSES: readonly Process[] = [
  { pid: 1, name: 'systemd', cpuPercent: 0.1, rssBytes: 12_582_912, user: 'root' },
  { pid: 412, name: 'sshd', cpuPercent: 0, rssBytes: 7_340_032, user: 'root' },
  { pid: 1337, name: 'postgres', cpuPercent: 3.2, rssBytes: 268_435_456, user: 'postgres' },
  { pid: 2048, name: 'node', cpuPercent: 12.5, rssBytes: 157_286_400, user: 'app' },
  { pid: 4096, name: 'nginx', cpuPercent: 0.7, rssBytes: 20_971_520, user: 'www-data' },
];

/** Components `GetHealth` knows; others get NOT_FOUND. */
const COMPONENTS: Readonly<Record<string, GetHealthResponse['status']>> = {
  agent: 'SERVING',
  disk: 'DEGRADED',
  network: 'SERVING',
};

const AGENT_VERSION = '1.4.2';

/** Made-up uptime of the host when the demo starts: 3 days and 4 hours, in seconds. */
const BOOT_UPTIME_SECONDS = 3 * 86_400 + 4 * 3_600;

export interface AgentServerOptions {
  /** Pause between two streamed processes, in milliseconds. Default 300. */
  readonly processIntervalMs?: number;
}

export interface AgentServer {
  readonly port: number;
  /** Stops at once, cancelling calls still running. */
  close(): void;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readUptimeSeconds(startedAt: number): number {
  return BOOT_UPTIME_SECONDS + Math.round((Date.now() - startedAt) / 1000);
}

/** Made-up output of the few commands the agent "runs". */
function runCommand(command: string, startedAt: number): ExecResponse {
  const [name = '', ...args] = command.trim().split(/\s+/);
  switch (name) {
    case 'echo':
      return { output: `${args.join(' ')}\n`, exitCode: 0 };
    case 'whoami':
      return { output: 'agent\n', exitCode: 0 };
    case 'uptime':
      return { output: `up ${readUptimeSeconds(startedAt)} s\n`, exitCode: 0 };
    default:
      return { output: `${name}: command not found\n`, exitCode: 127 };
  }
}

/** Starts the server on 127.0.0.1 (port chosen by the system) with the given certificate. */
export async function startAgentServer(
  service: grpc.ServiceDefinition,
  tls: { readonly certPem: string; readonly keyPem: string },
  options: AgentServerOptions = {},
): Promise<AgentServer> {
  const intervalMs = options.processIntervalMs ?? 300;
  const startedAt = Date.now();
  const server = new grpc.Server();
  server.addService(service, {
    async ListProcesses(
      call: grpc.ServerWritableStream<ListProcessesRequest, ListProcessesResponse>,
    ) {
      const filter = call.request.nameFilter ?? '';
      const matching = PROCESSES.filter((process) => process.name.includes(filter));
      let cancelled = false;
      call.once('cancelled', () => {
        cancelled = true;
      });
      for (const [index, process] of matching.entries()) {
        if (index > 0) await delay(intervalMs);
        if (cancelled) return;
        call.write({ process });
      }
      await delay(intervalMs);
      if (cancelled) return;
      call.write({ summary: { total: matching.length, note: `snapshot of ${PROCESSES.length}` } });
      call.end();
    },
    GetHealth(
      call: grpc.ServerUnaryCall<GetHealthRequest, GetHealthResponse>,
      callback: grpc.sendUnaryData<GetHealthResponse>,
    ) {
      const status = COMPONENTS[call.request.component];
      if (status === undefined) {
        callback({
          code: grpc.status.NOT_FOUND,
          details: `no component named "${call.request.component}"`,
        });
        return;
      }
      callback(null, {
        status,
        uptimeSeconds: readUptimeSeconds(startedAt),
        version: AGENT_VERSION,
      });
    },
    Exec(call: grpc.ServerDuplexStream<ExecRequest, ExecResponse>) {
      call.on('data', (request: ExecRequest) => call.write(runCommand(request.command, startedAt)));
      call.on('end', () => call.end());
    },
  });
  const credentials = grpc.ServerCredentials.createSsl(null, [
    { cert_chain: Buffer.from(tls.certPem), private_key: Buffer.from(tls.keyPem) },
  ]);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { port, close: () => server.forceShutdown() };
}
