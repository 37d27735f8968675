import type { ClientHttp2Session } from 'node:http2';
import type { UpstreamInfo } from './channel-event.js';
import { describeUpstreamConnection } from './describe-connection.js';

const described = new WeakMap<ClientHttp2Session, UpstreamInfo>();

/**
 * The upstream connection of a pooled session (shared by the streams on it; described once per
 * session). Engine-specific: a frame relay knows its one upstream connection directly.
 */
export function describeUpstreamSession(
  session: ClientHttp2Session,
  target: UpstreamInfo,
): UpstreamInfo {
  let info = described.get(session);
  if (info === undefined || info.host !== target.host || info.port !== target.port) {
    const socket = session.socket as Parameters<typeof describeUpstreamConnection>[1];
    info = describeUpstreamConnection(target, socket, target.tls ? null : 'h2c');
    if (info.address !== null) described.set(session, info);
  }
  return info;
}
