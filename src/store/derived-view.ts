import { isProtobufContentType } from '../flow/flow-call.js';
import type { DecodedView } from '../flow/payload-decoder.js';
import { createMessageDecoder } from '../schema/create-message-decoder.js';
import { stringifyView } from './to-store-op.js';

const schemaless = createMessageDecoder({ registry: null });

/**
 * The store keeps a message's decoded view only when it cannot be made again from the payload:
 * decoded with a schema, or with anomalies. A plain schemaless view is a pure function of the
 * payload, so it is made again when read (`show`, `export`, the `msg` filter), at no cost to the
 * proxy while it forwards.
 */
export function mustKeepView(view: DecodedView): boolean {
  return view.decodedAs === 'schema' || view.anomalies.length > 0;
}

/** The schemaless view of a stored protobuf message that has no view of its own; else null. */
export function deriveView(
  payload: Uint8Array | null,
  contentType: string | null,
): DecodedView | null {
  if (payload === null || contentType === null || !isProtobufContentType(contentType)) return null;
  return schemaless.decodeMessage('', '', 'send', payload);
}

/** `deriveView` as the store would have kept it (`stringifyView`), for the `msg` filter. */
export function deriveViewText(
  payload: Uint8Array | null,
  contentType: string | null,
): string | null {
  const view = deriveView(payload, contentType);
  return view === null ? null : stringifyView(view);
}
