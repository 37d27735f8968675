/**
 * Schemas from gRPC server reflection (`--reflect`), per authority, resolved in the background.
 *
 * The first message of a service the static schema lacks asks the server, once, which file
 * declares the service (`grpc.reflection.v1`, falling back to `v1alpha` when v1 is
 * UNIMPLEMENTED); the answers, and any imports they lack, are merged into that authority's
 * registry. Outcomes are cached: a server without reflection is not asked again, a service it does
 * not know is not asked for again, and transport failures are retried after `retryAfterMs`. Each
 * outcome is logged once. Reflection streams are control traffic on the session the caller
 * provides; they are never recorded.
 */
import type http2 from 'node:http2';
import type { FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { createSchemaRegistry, type SchemaRegistry } from './message-schema.js';
import type { MethodResolver } from './method-resolver.js';
import { callReflection, type ReflectionCallResult } from './reflection-call.js';

export const REFLECTION_V1_PATH = '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo';
export const REFLECTION_V1ALPHA_PATH =
  '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo';

export interface ReflectionResolverOptions {
  /**
   * A session to the server for `authority`, not observed by the proxy. The resolver opens streams
   * on it but never closes it: the caller owns it.
   */
  openSession(authority: string): http2.ClientHttp2Session | Promise<http2.ClientHttp2Session>;
  /** One line per outcome (loaded, not found, not served, failed). */
  onLog?(line: string): void;
  /** Per exchange; default 10000 ms. */
  readonly timeoutMs?: number;
  /** Wait before retrying after a transport failure; default 60000 ms. */
  readonly retryAfterMs?: number;
  /** Largest reflection message accepted; default 16 MiB. */
  readonly maxMessageBytes?: number;
}

interface ServiceEntry {
  promise: Promise<void>;
  /** When a failed resolution may be tried again; null while running, after success, or never. */
  retryAt: number | null;
}

interface AuthorityState {
  readonly files: Map<string, FileDescriptorProto>;
  registry: SchemaRegistry | null;
  readonly services: Map<string, ServiceEntry>;
  /** The reflection path that answered; null until one did. */
  path: string | null;
  /** The server does not serve reflection at all. */
  unavailable: boolean;
  readonly loggedProblems: Set<string>;
}

export function createReflectionResolver(options: ReflectionResolverOptions): MethodResolver {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retryAfterMs = options.retryAfterMs ?? 60_000;
  const maxMessageBytes = options.maxMessageBytes ?? 16 * 1024 * 1024;
  const states = new Map<string, AuthorityState>();
  const log = (line: string): void => options.onLog?.(`reflection: ${line}`);

  const stateFor = (authority: string): AuthorityState => {
    let state = states.get(authority);
    if (state === undefined) {
      state = {
        files: new Map(),
        registry: null,
        services: new Map(),
        path: null,
        unavailable: false,
        loggedProblems: new Set(),
      };
      states.set(authority, state);
    }
    return state;
  };

  const exchange = async (
    state: AuthorityState,
    authority: string,
    service: string,
  ): Promise<ReflectionCallResult> => {
    try {
      const session = await options.openSession(authority);
      let result: ReflectionCallResult = { kind: 'unimplemented' };
      for (const path of state.path === null
        ? [REFLECTION_V1_PATH, REFLECTION_V1ALPHA_PATH]
        : [state.path]) {
        result = await callReflection({
          session,
          path,
          authority,
          symbol: service,
          isKnownFile: (name) => state.files.has(name),
          timeoutMs,
          maxMessageBytes,
          maxFileRequests: 1000,
        });
        if (result.kind !== 'unimplemented') {
          if (result.kind !== 'failed') state.path = path;
          break;
        }
      }
      return result;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { kind: 'failed', reason, transient: true };
    }
  };

  const record = (
    state: AuthorityState,
    authority: string,
    service: string,
    entry: ServiceEntry,
    result: ReflectionCallResult,
  ): void => {
    switch (result.kind) {
      case 'unimplemented':
        state.unavailable = true;
        log(`${authority} does not serve gRPC server reflection; its messages stay schemaless`);
        return;
      case 'notFound':
        log(
          `${authority} does not know ${service} (${result.message}); its messages stay schemaless`,
        );
        return;
      case 'failed':
        if (result.transient) entry.retryAt = Date.now() + retryAfterMs;
        log(
          `${authority}: cannot resolve ${service}: ${result.reason}` +
            (result.transient ? `; retrying after ${Math.round(retryAfterMs / 1000)} s` : ''),
        );
        return;
      case 'files': {
        let added = 0;
        for (const file of result.files) {
          if (state.files.has(file.name)) continue;
          state.files.set(file.name, file);
          added++;
        }
        if (added > 0 || state.registry === null) {
          state.registry = createSchemaRegistry([...state.files.values()]);
          for (const problem of state.registry.problems) {
            if (state.loggedProblems.has(problem)) continue;
            state.loggedProblems.add(problem);
            log(`${authority}: ${problem}`);
          }
        }
        if (state.registry.hasService(service)) {
          log(`${authority}: loaded ${service} (${result.files.length} files)`);
        } else {
          log(`${authority}: the descriptors returned for ${service} do not declare it`);
        }
        return;
      }
    }
  };

  return {
    registryFor(authority) {
      return states.get(authority)?.registry ?? null;
    },
    request(authority, service) {
      const state = stateFor(authority);
      if (state.unavailable || state.registry?.hasService(service)) return Promise.resolve();
      const existing = state.services.get(service);
      if (existing !== undefined && (existing.retryAt === null || Date.now() < existing.retryAt)) {
        return existing.promise;
      }
      const entry: ServiceEntry = { promise: Promise.resolve(), retryAt: null };
      entry.promise = exchange(state, authority, service)
        .then((result) => record(state, authority, service, entry, result))
        .catch((error: unknown) =>
          log(`${authority}: ${service}: internal error: ${String(error)}`),
        );
      state.services.set(service, entry);
      return entry.promise;
    },
  };
}
