/**
 * HTTP/2 error codes (RFC 9113 §7): the 32-bit values carried by RST_STREAM and GOAWAY. Codes the
 * RFC does not define are legal on the wire and must not trigger special behaviour (§7), so every
 * function here accepts any 32-bit value.
 */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

/** The RFC 9113 §7 name of a defined error code: `'CANCEL'`, `'PROTOCOL_ERROR'`, ... */
export type ErrorCodeName = keyof typeof ErrorCode;

const NAMES: readonly ErrorCodeName[] = Object.keys(ErrorCode) as ErrorCodeName[];

/** `CANCEL` for 8; `CODE_<n>` (decimal) for codes RFC 9113 §7 does not name. */
export function nameErrorCode(code: number): string {
  return NAMES[code] ?? `CODE_${code}`;
}
