import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { type ConnectionOptions, connect } from 'node:tls';

/**
 * Captures the first TLS record a real Node TLS client sends (its ClientHello) by connecting it to
 * a plain TCP server on 127.0.0.1 that never answers.
 */
export async function captureClientHello(
  options: Omit<ConnectionOptions, 'host' | 'port'>,
): Promise<Uint8Array> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    const received = new Promise<Uint8Array>((resolve, reject) => {
      server.once('connection', (socket) => {
        let buffered = Buffer.alloc(0);
        socket.on('error', reject);
        socket.on('data', (chunk: Buffer) => {
          buffered = Buffer.concat([buffered, chunk]);
          const recordLength = buffered.length >= 5 ? buffered.readUInt16BE(3) : Number.NaN;
          if (buffered.length >= 5 + recordLength) {
            resolve(new Uint8Array(buffered));
            socket.destroy();
          }
        });
      });
    });
    const client = connect({ ...options, host: '127.0.0.1', port });
    client.on('error', () => undefined);
    const bytes = await received;
    client.destroy();
    return bytes;
  } finally {
    server.close();
  }
}

export interface HandMadeHelloOptions {
  readonly serverName?: string | null;
  readonly alpnProtocols?: readonly string[];
  /** Extensions appended as-is: [type, data]. */
  readonly extraExtensions?: readonly (readonly [number, Uint8Array])[];
  /** Omit the extensions block entirely, as TLS 1.0 clients may. */
  readonly withoutExtensions?: boolean;
}

/** Builds a ClientHello handshake message (type, 3-byte length, body) byte by byte. */
export function buildClientHelloMessage(options: HandMadeHelloOptions = {}): Uint8Array {
  const extensions: Uint8Array[] = [];
  if (options.serverName != null) {
    const name = ascii(options.serverName);
    const entry = concat([Uint8Array.of(0), uint16(name.length), name]);
    extensions.push(extension(0, concat([uint16(entry.length), entry])));
  }
  if (options.alpnProtocols !== undefined) {
    const names = concat(
      options.alpnProtocols.map((p) => concat([Uint8Array.of(p.length), ascii(p)])),
    );
    extensions.push(extension(16, concat([uint16(names.length), names])));
  }
  for (const [type, data] of options.extraExtensions ?? []) {
    extensions.push(extension(type, data));
  }
  const extensionBlock = concat(extensions);
  const body = concat([
    Uint8Array.of(0x03, 0x03),
    new Uint8Array(32).fill(7),
    Uint8Array.of(0),
    uint16(4),
    Uint8Array.of(0x13, 0x01, 0x13, 0x02),
    Uint8Array.of(1, 0),
    options.withoutExtensions === true
      ? new Uint8Array(0)
      : concat([uint16(extensionBlock.length), extensionBlock]),
  ]);
  return concat([
    Uint8Array.of(1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff),
    body,
  ]);
}

/** Wraps a handshake message in TLS records, cutting it at the given offsets. */
export function wrapInRecords(message: Uint8Array, cuts: readonly number[] = []): Uint8Array {
  const bounds = [0, ...cuts, message.length];
  const records: Uint8Array[] = [];
  for (let index = 0; index + 1 < bounds.length; index++) {
    const fragment = message.subarray(bounds[index], bounds[index + 1]);
    records.push(concat([Uint8Array.of(0x16, 0x03, 0x01), uint16(fragment.length), fragment]));
  }
  return concat(records);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

function extension(type: number, data: Uint8Array): Uint8Array {
  return concat([uint16(type), uint16(data.length), data]);
}

function uint16(value: number): Uint8Array {
  return Uint8Array.of(value >> 8, value & 0xff);
}

function ascii(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'latin1'));
}
