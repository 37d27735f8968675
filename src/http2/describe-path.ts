import type { HeaderList } from './channel-event.js';
import { findHeader } from './header-list.js';

/** Longest `:path` shown in a log line; a client may send 64 KiB of it. */
const MAX_LOGGED_PATH = 200;

/** A request's `:path` for a log line, cut to {@link MAX_LOGGED_PATH} characters with its length. */
export function describePath(headers: HeaderList): string {
  const path = findHeader(headers, ':path') ?? '';
  return path.length > MAX_LOGGED_PATH
    ? `${path.slice(0, MAX_LOGGED_PATH)}… (${path.length} characters)`
    : path;
}
