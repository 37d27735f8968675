/** Longest request-target shown in a log line; a client may send 64 KiB of it. */
const MAX_LOGGED_PATH = 200;

/** What a failure log line names: the request and where it was going. */
export interface FailedRequest {
  readonly method: string;
  /** `:path` or the HTTP/1.1 request-target. */
  readonly path: string;
  /** `host:port` of the upstream (or the authority asked for, when there is no upstream). */
  readonly upstream: string;
}

/**
 * The one log line of a failed request: `METHOD PATH → UPSTREAM: REASON`. Most classified reasons
 * already name the upstream (`localhost:50999 refused the connection`); those are written as
 * `METHOD PATH: REASON`, so the line names the upstream once. Long paths are cut.
 */
export function describeRequestFailure(request: FailedRequest, reason: string): string {
  const path =
    request.path.length > MAX_LOGGED_PATH
      ? `${request.path.slice(0, MAX_LOGGED_PATH)}… (${request.path.length} characters)`
      : request.path;
  const subject = request.method === '' ? path : `${request.method} ${path}`;
  return reason.includes(request.upstream) || request.upstream === ''
    ? `${subject}: ${reason}`
    : `${subject} → ${request.upstream}: ${reason}`;
}
