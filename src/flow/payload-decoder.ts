/**
 * The decoding stage of the observer pipeline is `src/schema`'s message decoder; a pipeline
 * without one (null) leaves payloads as bytes.
 */
export type {
  DecodedView,
  MessageDecoder as PayloadDecoder,
} from '../schema/create-message-decoder.js';
