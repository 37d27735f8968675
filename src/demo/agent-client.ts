/**
 * The demo's client side: one session of calls to `demo.agent.v1.AgentService`, covering a unary
 * call, a failing unary call, a server stream and a bidirectional stream.
 */
import * as grpc from '@grpc/grpc-js';
import type {
  ExecRequest,
  ExecResponse,
  GetHealthRequest,
  GetHealthResponse,
  ListProcessesRequest,
  ListProcessesResponse,
} from './agent-proto.js';

/** Longest any single demo call may take, in milliseconds. */
const CALL_DEADLINE_MS = 15_000;

/** Commands the session runs through `Exec`, one reply each. */
const EXEC_COMMANDS: readonly string[] = ['whoami', 'uptime', 'echo hello from grpctap'];

/** grpc-js generated clients have no static method types. */
type ClientMethod = (...args: unknown[]) => unknown;

function getMethod(client: grpc.Client, name: string): ClientMethod {
  const fn = (client as unknown as Record<string, ClientMethod | undefined>)[name];
  if (fn === undefined) throw new Error(`the AgentService client has no method ${name}`);
  return fn.bind(client);
}

function callOptions(): grpc.CallOptions {
  return { deadline: Date.now() + CALL_DEADLINE_MS };
}

/** Resolves with the reply, or with the error status when the call fails. */
function getHealth(
  client: grpc.Client,
  request: GetHealthRequest,
): Promise<GetHealthResponse | grpc.ServiceError> {
  return new Promise((resolve) => {
    getMethod(client, 'GetHealth')(
      request,
      new grpc.Metadata(),
      callOptions(),
      (error: grpc.ServiceError | null, reply: GetHealthResponse) => resolve(error ?? reply),
    );
  });
}

function listProcesses(
  client: grpc.Client,
  request: ListProcessesRequest,
): Promise<ListProcessesResponse[]> {
  return new Promise((resolve, reject) => {
    const replies: ListProcessesResponse[] = [];
    const call = getMethod(client, 'ListProcesses')(
      request,
      new grpc.Metadata(),
      callOptions(),
    ) as grpc.ClientReadableStream<ListProcessesResponse>;
    call.on('data', (reply: ListProcessesResponse) => replies.push(reply));
    call.on('error', reject);
    call.on('end', () => resolve(replies));
  });
}

/** Sends each command after the previous reply arrived, then half-closes. */
function exec(client: grpc.Client, commands: readonly string[]): Promise<ExecResponse[]> {
  return new Promise((resolve, reject) => {
    const replies: ExecResponse[] = [];
    const call = getMethod(client, 'Exec')(
      new grpc.Metadata(),
      callOptions(),
    ) as grpc.ClientDuplexStream<ExecRequest, ExecResponse>;
    let next = 0;
    const sendNext = (): void => {
      const command = commands[next++];
      if (command === undefined) call.end();
      else call.write({ command });
    };
    call.on('data', (reply: ExecResponse) => {
      replies.push(reply);
      sendNext();
    });
    call.on('error', reject);
    call.on('end', () => resolve(replies));
    sendNext();
  });
}

/**
 * Runs one session against `client`, describing each outcome through `say` (one line each).
 * Rejects when a call that should succeed fails, e.g. when the proxy cannot reach the server.
 */
export async function runAgentSession(
  client: grpc.Client,
  say: (line: string) => void,
): Promise<void> {
  const health = await getHealth(client, { component: 'agent' });
  if (health instanceof Error) throw health;
  say(`GetHealth(agent) → ${health.status}, version ${health.version}`);

  const processes = await listProcesses(client, { nameFilter: '' });
  const summary = processes.find((reply) => reply.summary)?.summary;
  say(`ListProcesses → ${processes.length - 1} processes, summary: ${summary?.note ?? 'none'}`);

  const outputs = await exec(client, EXEC_COMMANDS);
  say(`Exec → ${outputs.map((reply) => JSON.stringify(reply.output.trimEnd())).join(', ')}`);

  const missing = await getHealth(client, { component: 'billing' });
  if (!(missing instanceof Error)) throw new Error('GetHealth(billing) should fail');
  say(`GetHealth(billing) → ${grpc.status[missing.code]}: ${missing.details}`);
}
