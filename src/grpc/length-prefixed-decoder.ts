/**
 * Reassembly of gRPC Length-Prefixed-Messages from body chunks of arbitrary size.
 *
 * Wire format: 1 flag byte (bit 0 = compressed; the other bits are reserved), a 4-byte big-endian
 * length, then that many bytes of message.
 *
 * @see https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md#requests (Length-Prefixed-Message)
 */

/** Bytes of the flag-and-length prefix. */
export const PREFIX_LENGTH = 5;

const FLAG_COMPRESSED = 0x01;

/** One complete message as it crossed the wire. */
export interface WireMessage {
  readonly compressed: boolean;
  /** The declared length of the wire payload. */
  readonly wireLength: number;
  /** A fresh copy of the prefix plus the wire payload; never shares memory with a chunk. */
  readonly raw: Uint8Array;
}

/** A violation that makes the rest of the direction unreadable. */
export interface LengthPrefixedError {
  readonly code: 'MESSAGE_TOO_LARGE' | 'UNKNOWN_FLAGS';
  readonly reason: string;
}

export interface LengthPrefixedResult {
  /** Messages completed by this chunk, in order. */
  readonly messages: readonly WireMessage[];
  /** Set when a prefix was invalid; the messages before it are still reported. */
  readonly error: LengthPrefixedError | null;
}

export interface LengthPrefixedDecoder {
  /** Consumes a chunk. After an error every later call returns that error again. */
  decode(chunk: Uint8Array): LengthPrefixedResult;
  /** True when bytes of an unfinished message (prefix included) are held. */
  readonly midMessage: boolean;
}

/**
 * First buffer for a message, in bytes. Smaller messages get their exact size at once; a larger
 * one starts at what has arrived and doubles as bytes come, so memory follows what the peer sent,
 * not what it declared.
 */
const INITIAL_CAPACITY = 64 * 1024;

const NOTHING: LengthPrefixedResult = Object.freeze({
  messages: Object.freeze([]),
  error: null,
});

/**
 * Creates a decoder for one direction of one stream.
 *
 * Memory: the declared length is checked against `maxMessageSize` (bytes) as soon as the prefix is
 * complete, before anything is allocated. The message buffer then grows with the bytes received
 * (doubling, never past the declared size), so a peer that declares a large message and sends
 * little holds little; bytes are copied once, plus amortised growth copies for messages over
 * 64 KiB. At most `5 + maxMessageSize` bytes are held at a time.
 */
export function createLengthPrefixedDecoder(maxMessageSize: number): LengthPrefixedDecoder {
  const prefix = new Uint8Array(PREFIX_LENGTH);
  let prefixFilled = 0;
  /** The message being filled, prefix included; null while the prefix is incomplete. */
  let message: Uint8Array | null = null;
  /** Prefix plus declared length of the message being filled. */
  let messageLength = 0;
  let messageFilled = 0;
  let failure: LengthPrefixedResult | null = null;

  function fail(code: LengthPrefixedError['code'], reason: string, done: WireMessage[] | null) {
    failure = Object.freeze({ messages: NOTHING.messages, error: Object.freeze({ code, reason }) });
    return done === null ? failure : { messages: done, error: failure.error };
  }

  function decode(chunk: Uint8Array): LengthPrefixedResult {
    if (failure !== null) return failure;
    let done: WireMessage[] | null = null;
    let offset = 0;
    while (offset < chunk.length) {
      if (message === null) {
        const take = Math.min(PREFIX_LENGTH - prefixFilled, chunk.length - offset);
        prefix.set(chunk.subarray(offset, offset + take), prefixFilled);
        prefixFilled += take;
        offset += take;
        if (prefixFilled < PREFIX_LENGTH) break;
        const flags = prefix[0] as number;
        const length =
          (((prefix[1] as number) << 24) >>> 0) +
          ((prefix[2] as number) << 16) +
          ((prefix[3] as number) << 8) +
          (prefix[4] as number);
        if ((flags & ~FLAG_COMPRESSED) !== 0) {
          const hex = flags.toString(16).padStart(2, '0');
          return fail('UNKNOWN_FLAGS', `message flags 0x${hex} set reserved bits`, done);
        }
        if (length > maxMessageSize) {
          const reason = `declared message length ${length} exceeds the limit of ${maxMessageSize} bytes`;
          return fail('MESSAGE_TOO_LARGE', reason, done);
        }
        messageLength = PREFIX_LENGTH + length;
        const arrived = PREFIX_LENGTH + chunk.length - offset;
        message = new Uint8Array(Math.min(messageLength, Math.max(INITIAL_CAPACITY, arrived)));
        message.set(prefix, 0);
        messageFilled = PREFIX_LENGTH;
        prefixFilled = 0;
      }
      const take = Math.min(messageLength - messageFilled, chunk.length - offset);
      if (messageFilled + take > message.length) {
        const grown = new Uint8Array(
          Math.min(messageLength, Math.max(message.length * 2, messageFilled + take)),
        );
        grown.set(message.subarray(0, messageFilled), 0);
        message = grown;
      }
      message.set(chunk.subarray(offset, offset + take), messageFilled);
      messageFilled += take;
      offset += take;
      if (messageFilled === messageLength) {
        done ??= [];
        done.push({
          compressed: ((message[0] as number) & FLAG_COMPRESSED) !== 0,
          wireLength: message.length - PREFIX_LENGTH,
          raw: message,
        });
        message = null;
      }
    }
    return done === null ? NOTHING : { messages: done, error: null };
  }

  // A data property kept current, not a getter: a getter on an object literal gets an accessor
  // pair that V8 allocates in old space, which would keep this closure (and the message it holds)
  // alive until the next full garbage collection instead of the next scavenge.
  const decoder = {
    decode(chunk: Uint8Array): LengthPrefixedResult {
      const result = decode(chunk);
      decoder.midMessage = prefixFilled > 0 || message !== null;
      return result;
    },
    midMessage: false,
  };
  return decoder;
}
