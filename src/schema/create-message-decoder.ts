/**
 * The decoder the proxy calls for every gRPC message and status: a readable view next to the raw
 * bytes, never a change to them. Requests decode with the method's input type, responses with its
 * output type; without a schema, or when the bytes do not fit it, the view is schemaless.
 */
import { createRequire } from 'node:module';
import type { Anomaly } from '../grpc/grpc-envelope.js';
import { parseGrpcPath } from '../grpc/parse-grpc-path.js';
import type { Direction } from '../http2/channel-event.js';
import { decodeSchemaless, type SchemalessOptions } from './decode-schemaless.js';
import { formatJsonPreview, formatSchemalessPreview } from './format-schemaless-preview.js';
import type * as GoogleRpcSchemaModule from './google-rpc-schema.js';
import type * as MessageSchemaModule from './message-schema.js';
import type { SchemaRegistry } from './message-schema.js';
import type { MethodResolver } from './method-resolver.js';

interface StatusSchema {
  readonly schemas: typeof MessageSchemaModule;
  readonly rpc: typeof GoogleRpcSchemaModule;
}

let statusSchema: StatusSchema | null = null;

/**
 * The schema machinery status details need (protobuf.js to read the built-in `google.rpc` files,
 * the descriptor registry of `@bufbuild/protobuf`), loaded the first time a status carries
 * details. Most sessions never see one, and without `--proto`, `--descriptor-set` or `--reflect`
 * nothing else needs these modules: not loading them keeps about 8 MiB out of the proxy's memory.
 * Loaded synchronously (`require` of ES modules, Node >= 20.19) because records are written in
 * order, as their events happen; the first load takes some tens of milliseconds, once.
 */
function loadStatusSchema(): StatusSchema {
  if (statusSchema === null) {
    const load = createRequire(import.meta.url);
    statusSchema = {
      schemas: load('./message-schema.js') as typeof MessageSchemaModule,
      rpc: load('./google-rpc-schema.js') as typeof GoogleRpcSchemaModule,
    };
  }
  return statusSchema;
}

/** The schema was found but the bytes do not parse with it; the view is schemaless. */
export const SCHEMA_MISMATCH = 'SCHEMA_MISMATCH';
/** Decoding failed unexpectedly (a bug); the view is empty. */
export const DECODE_FAILED = 'DECODE_FAILED';

export interface DecodedView {
  /** Proto-JSON (`schema`) or the schemaless view (`schemaless`); null only after `DECODE_FAILED`. */
  readonly decoded: unknown;
  readonly decodedAs: 'schema' | 'schemaless';
  readonly anomalies: readonly Anomaly[];
  /** One line for the text tail; computed when read (JSON output never reads it). */
  readonly preview: string;
  /** Long strings of `decoded` that JSON holds without escapes (see `SchemalessResult`). */
  readonly plainStrings?: readonly string[];
  /** The protobuf message type decoded with (`decodedAs: 'schema'`), e.g. `grpc.testing.SimpleRequest`. */
  readonly typeName?: string | undefined;
}

export interface MessageDecoder {
  /** Decodes one message of the RPC at `path` on `authority`. Never throws. */
  decodeMessage(
    path: string,
    authority: string,
    direction: Direction,
    payload: Uint8Array,
  ): DecodedView;
  /**
   * Decodes `grpc-status-details-bin` as `google.rpc.Status`; `Any` details decode when their type
   * is known (the `google.rpc` error details always are). Never throws.
   */
  decodeStatusDetails(bytes: Uint8Array, path: string, authority: string): DecodedView;
}

export interface MessageDecoderOptions {
  /** Schemas from `--proto` / `--descriptor-set`; null when none were given. */
  readonly registry: SchemaRegistry | null;
  /** Server reflection, asked about services the registry lacks. */
  readonly resolver?: MethodResolver;
  readonly schemaless?: SchemalessOptions;
  /** Preview length in characters; default 120. */
  readonly previewChars?: number;
}

/**
 * A view whose preview is formatted only when read. A class, so the getter lives on the
 * prototype: a getter written in an object literal gets a per-object accessor pair that V8
 * allocates in old space, and that pair would keep the decoded message alive until the next full
 * garbage collection; with one view per message that made most of the old generation's growth.
 */
class LazyPreviewView implements DecodedView {
  constructor(
    readonly decoded: unknown,
    readonly decodedAs: 'schema' | 'schemaless',
    readonly anomalies: readonly Anomaly[],
    private readonly previewChars: number,
    readonly plainStrings: readonly string[] = [],
    readonly typeName?: string,
  ) {}

  get preview(): string {
    return this.decodedAs === 'schema'
      ? formatJsonPreview(this.decoded, this.previewChars)
      : formatSchemalessPreview(this.decoded, this.previewChars);
  }
}

export function createMessageDecoder(options: MessageDecoderOptions): MessageDecoder {
  const { registry, resolver } = options;
  const previewChars = options.previewChars ?? 120;
  const statusRegistries = new WeakMap<object, SchemaRegistry>();
  const noReflection = {};

  const schemaless = (bytes: Uint8Array, anomalies: readonly Anomaly[]): DecodedView => {
    const view = decodeSchemaless(bytes, options.schemaless);
    const all = anomalies.length === 0 ? view.anomalies : [...anomalies, ...view.anomalies];
    return new LazyPreviewView(view.value, 'schemaless', all, previewChars, view.plainStrings);
  };
  const withSchema = (schema: SchemaRegistry, typeName: string, bytes: Uint8Array): DecodedView => {
    const result = schema.decode(typeName, bytes);
    if ('json' in result) {
      return new LazyPreviewView(result.json, 'schema', [], previewChars, [], typeName);
    }
    return schemaless(bytes, [{ code: SCHEMA_MISMATCH, message: `${typeName}: ${result.error}` }]);
  };
  const guarded = (decode: () => DecodedView): DecodedView => {
    try {
      return decode();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return {
        decoded: null,
        decodedAs: 'schemaless',
        anomalies: [{ code: DECODE_FAILED, message }],
        preview: '',
      };
    }
  };
  const statusRegistryFor = (authority: string): SchemaRegistry => {
    const reflected = resolver?.registryFor(authority) ?? null;
    const key = reflected ?? noReflection;
    let merged = statusRegistries.get(key);
    if (merged === undefined) {
      const { schemas, rpc } = loadStatusSchema();
      merged = schemas.createSchemaRegistry([
        ...(registry?.files ?? []),
        ...(reflected?.files ?? []),
        ...rpc.getGoogleRpcFiles(),
      ]);
      statusRegistries.set(key, merged);
    }
    return merged;
  };

  return {
    decodeMessage(path, authority, direction, payload) {
      return guarded(() => {
        let schema = registry;
        let method = schema?.findMethod(path) ?? null;
        if (method === null && resolver !== undefined) {
          schema = resolver.registryFor(authority);
          method = schema?.findMethod(path) ?? null;
          const parts = method === null ? parseGrpcPath(path) : null;
          if (parts !== null) void resolver.request(authority, parts.service);
        }
        if (schema === null || method === null) return schemaless(payload, []);
        const typeName = direction === 'send' ? method.requestType : method.responseType;
        return withSchema(schema, typeName, payload);
      });
    },
    decodeStatusDetails(bytes, _path, authority) {
      return guarded(() =>
        withSchema(statusRegistryFor(authority), loadStatusSchema().rpc.GOOGLE_RPC_STATUS, bytes),
      );
    },
  };
}
