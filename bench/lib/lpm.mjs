/**
 * gRPC Length-Prefixed-Message helpers shared by the backend and the probes: 1 flag byte, a
 * 4-byte big-endian length, then the message.
 * @see https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md
 */

export const PREFIX_BYTES = 5;

function varintLength(value) {
  let bytes = 1;
  for (let rest = value >>> 7; rest > 0; rest >>>= 7) bytes += 1;
  return bytes;
}

/**
 * One uncompressed message of exactly `size` bytes, prefix included: a valid protobuf message
 * whose field 1 is a string of `a`–`z` repeated (what a schemaless decoder shows as text), so the
 * proxy's decoding does the work a typical payload costs. Sizes below 3 hold no field.
 */
export function encodeMessage(size) {
  const frame = Buffer.allocUnsafe(PREFIX_BYTES + size);
  frame[0] = 0;
  frame.writeUInt32BE(size, 1);
  let offset = PREFIX_BYTES;
  if (size >= 3) {
    let textLength = size - 2;
    while (1 + varintLength(textLength) + textLength > size) textLength -= 1;
    const lengthBytes = size - 1 - textLength;
    frame[offset++] = 0x0a;
    for (let i = 0, rest = textLength; i < lengthBytes; i++, rest >>>= 7) {
      // Padded varint (continuation bits on leading groups) keeps the total size exact.
      frame[offset++] = (rest & 0x7f) | (i < lengthBytes - 1 ? 0x80 : 0);
    }
  }
  for (let i = 0; offset < frame.length; i++) frame[offset++] = 97 + (i % 26);
  return frame;
}

/** `count` copies of `encodeMessage(size)` in one buffer. */
export function encodeMessages(size, count) {
  const one = encodeMessage(size);
  const all = Buffer.allocUnsafe(one.length * count);
  for (let i = 0; i < count; i++) one.copy(all, i * one.length);
  return all;
}

/** True when `body` is exactly one uncompressed message. */
export function isSingleMessage(body) {
  return body.length >= PREFIX_BYTES && body[0] === 0 && body.readUInt32BE(1) === body.length - 5;
}

/**
 * Counts messages in a body that arrives in chunks of any size, without copying payloads.
 * `onMessage` runs when a message completes. `malformed` is set by a non-zero flag byte or by
 * bytes left over at the end (`finish()`).
 */
export function createMessageCounter(onMessage = () => {}) {
  const prefix = Buffer.alloc(PREFIX_BYTES);
  let prefixFilled = 0;
  let remaining = -1;
  const counter = {
    messages: 0,
    bytes: 0,
    malformed: false,
    push(chunk) {
      counter.bytes += chunk.length;
      let offset = 0;
      while (offset < chunk.length) {
        if (remaining < 0) {
          const take = Math.min(PREFIX_BYTES - prefixFilled, chunk.length - offset);
          chunk.copy(prefix, prefixFilled, offset, offset + take);
          prefixFilled += take;
          offset += take;
          if (prefixFilled < PREFIX_BYTES) return;
          if (prefix[0] !== 0) counter.malformed = true;
          remaining = prefix.readUInt32BE(1);
          prefixFilled = 0;
        }
        const take = Math.min(remaining, chunk.length - offset);
        remaining -= take;
        offset += take;
        if (remaining === 0) {
          remaining = -1;
          counter.messages += 1;
          onMessage(counter.messages);
        }
      }
    },
    finish() {
      if (remaining >= 0 || prefixFilled > 0) counter.malformed = true;
    },
  };
  return counter;
}
