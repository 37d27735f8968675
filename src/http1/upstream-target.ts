/**
 * Where the HTTP/1.1 forwarder sends a request: the same endpoint the HTTP/2 side uses, under the
 * names the HTTP/1.1 code reads best with.
 */
export type { UpstreamEndpoint as UpstreamTarget } from '../http2/upstream-endpoint.js';
export { formatEndpoint as formatAuthority } from '../http2/upstream-endpoint.js';
