/**
 * The demo's service definition, `demo.agent.v1.AgentService` from `fixtures/demo/agent.proto`,
 * loaded at run time with `@grpc/proto-loader`, and the TypeScript shapes of its messages as
 * proto-loader presents them (camelCase fields, enums as names, 64-bit integers as numbers).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** Where the proto lives, relative to the repository root. */
const PROTO_FROM_ROOT = join('fixtures', 'demo', 'agent.proto');

/** Fully qualified name of the demo service. */
export const AGENT_SERVICE = 'demo.agent.v1.AgentService';

export interface ListProcessesRequest {
  readonly nameFilter?: string;
}
export interface Process {
  readonly pid: number;
  readonly name: string;
  readonly cpuPercent: number;
  readonly rssBytes: number;
  readonly user: string;
}
export interface ListSummary {
  readonly total: number;
  readonly note: string;
}
/** A `oneof item`: exactly one of `process` and `summary` is set. */
export interface ListProcessesResponse {
  readonly process?: Process | null;
  readonly summary?: ListSummary | null;
}
export interface GetHealthRequest {
  readonly component: string;
}
export interface GetHealthResponse {
  readonly status: 'STATUS_UNSPECIFIED' | 'SERVING' | 'DEGRADED';
  readonly uptimeSeconds: number;
  readonly version: string;
}
export interface ExecRequest {
  readonly command: string;
}
export interface ExecResponse {
  readonly output: string;
  readonly exitCode: number;
}

/**
 * Finds `fixtures/demo/agent.proto` in the nearest ancestor of this module that has it, so the
 * demo runs from `dist/` as well as from any private build folder.
 *
 * @throws Error when no ancestor holds the file (the demo runs from a repository checkout only).
 */
export function findAgentProto(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, PROTO_FROM_ROOT);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${PROTO_FROM_ROOT} not found above ${import.meta.url}`);
    dir = parent;
  }
}

/** Loads the service; the constructor makes clients, its `service` feeds `Server.addService`. */
export function loadAgentService(protoPath: string): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync(protoPath, {
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    demo: { agent: { v1: { AgentService: grpc.ServiceClientConstructor } } };
  };
  return loaded.demo.agent.v1.AgentService;
}
