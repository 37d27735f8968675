/**
 * HTTP/2 framing constants (RFC 9113 §3.4, §4, §6). Frame types outside this table are legal and
 * are carried as plain numbers: RFC 9113 §4.1 and §5.5 require unknown types to be ignored (and a
 * relay to forward them), so nothing in the codec rejects them.
 */

/** Frame types defined by RFC 9113 §6. */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export type KnownFrameType = (typeof FrameType)[keyof typeof FrameType];

/**
 * Frame flags (RFC 9113 §6). END_STREAM (DATA, HEADERS) and ACK (SETTINGS, PING) share bit 0;
 * flags a frame type does not define are ignored by receivers and must be kept when relaying.
 */
export const FrameFlag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/**
 * SETTINGS identifiers: RFC 9113 §6.5.2, plus ENABLE_CONNECT_PROTOCOL (RFC 8441 §3) and
 * NO_RFC7540_PRIORITIES (RFC 9218 §2.1). Unknown identifiers must be ignored (§6.5.2).
 */
export const SettingId = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
  ENABLE_CONNECT_PROTOCOL: 0x8,
  NO_RFC7540_PRIORITIES: 0x9,
} as const;

/** The client connection preface, `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` (RFC 9113 §3.4), 24 bytes. */
export const CONNECTION_PREFACE: Uint8Array = new Uint8Array(
  Array.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', (c) => c.charCodeAt(0)),
);

/** Every frame starts with a 9-byte header: length (24 bits), type, flags, stream id (§4.1). */
export const FRAME_HEADER_BYTES = 9;

/** SETTINGS_MAX_FRAME_SIZE before any SETTINGS, and its smallest legal value (§6.5.2): 16 KiB. */
export const DEFAULT_MAX_FRAME_SIZE = 16_384;

/** The largest legal SETTINGS_MAX_FRAME_SIZE, 2^24 - 1 bytes (§6.5.2). */
export const MAX_FRAME_SIZE_LIMIT = 16_777_215;

/** The largest flow-control window and SETTINGS_INITIAL_WINDOW_SIZE, 2^31 - 1 (§6.9.1). */
export const MAX_WINDOW_SIZE = 2_147_483_647;

/** SETTINGS_HEADER_TABLE_SIZE before any SETTINGS (§6.5.2): 4096 octets. */
export const DEFAULT_HEADER_TABLE_SIZE = 4096;

const TYPE_NAMES: readonly string[] = Object.keys(FrameType);

/** `HEADERS` for 1; `UNKNOWN_0x<hex>` for types RFC 9113 does not define. */
export function nameFrameType(type: number): string {
  return TYPE_NAMES[type] ?? `UNKNOWN_0x${type.toString(16).padStart(2, '0')}`;
}
