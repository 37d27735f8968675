/** `grpctap --help`. */
export const USAGE = `grpctap: an intercepting gRPC / HTTP/2 proxy that shows every call, message by message

Usage:
  grpctap [options]              run the proxy
  grpctap ca [--certs-dir DIR]   create the CA if missing and show how to trust it
  grpctap flows [FILTER] [--limit N] [--json] [--follow]
                                 list stored flows that match FILTER, newest last
  grpctap show FLOW [--json] [--show-secrets]
                                 one stored flow (an id or a unique prefix) message by message
  grpctap export [FILTER] [--format ndjson|har|grpcurl] [-o FILE]
                                 write stored flows as NDJSON records, HAR 1.2 or grpcurl commands
  (all three read --store, default ./grpctap.db; FILTER is described in docs/filters.md)

Options (each also read from GRPCTAP_<NAME>, e.g. GRPCTAP_LISTEN=127.0.0.1:9090):
  --listen HOST:PORT         where to listen (default 127.0.0.1:8080)
  --certs-dir DIR            CA directory (default ./certs)
  --output text|json         stdout format: readable lines or one JSON record per line (default text)
  -v, --verbose              text tail: headers, metadata and trailers under their line, secrets masked
  --show-secrets             with -v: show authorization, cookie and other credential values as sent
  --record FILE              append every record, with full payloads, to FILE (NDJSON)
  --reverse URL              act as the server at URL (https://host:port or http://host:port)
  --upstream-ca FILE         trust this CA for upstream TLS too (repeatable)
  --upstream-insecure        do not verify upstream certificates
  --max-message-size BYTES   largest gRPC message, declared or decompressed (default 254MiB)
  --proto FILE_OR_DIR        .proto files for decoding (repeatable)
  --proto-path DIR           import root for --proto (repeatable)
  --descriptor-set FILE      FileDescriptorSet for decoding (repeatable)
  --reflect                  ask upstreams for schemas via gRPC server reflection
  --proxy-auth USER:PASS     require Basic Proxy-Authorization
  --handshake-timeout DUR    time for a new connection or tunnel to send its first request (TLS
                             included), for an upstream to connect, for a PING answer (default 10s)
  --idle-timeout DUR         close client connections idle this long, 0 never (default 300s)
  --max-connections N        concurrent client connections (default 10000)
  --max-streams N            concurrent streams per client HTTP/2 connection (default 1000)
  --stream-window BYTES      per-stream HTTP/2 window, what one stream may buffer per side (default 1MiB)
  --store FILE|URL|none      flow store: SQLite file, postgres://... URL, or none (default ./grpctap.db)
  --store-max-size BYTES     delete the oldest flows while the store is larger than this
  --store-max-age DUR        delete flows older than this (e.g. 12h, 7d)
  --store-max-body BYTES     plain HTTP body bytes kept per direction for the flow store (default 1MiB)
  --filter EXPR              show only the flows that match on stdout (docs/filters.md)
  -h, --help                 this help
  --version                  print the version

Point clients at it with https_proxy=http://127.0.0.1:8080 (or grpc_proxy) and trust certs/ca.pem.
Records go to stdout; logs go to stderr. SSLKEYLOGFILE=FILE logs TLS secrets for Wireshark.
Exit status: 0 after SIGINT / SIGTERM flushed every record; 1 when grpctap cannot start, or cannot
flush within 5 s of the signal; 2 for a usage error.
`;
