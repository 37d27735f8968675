/**
 * Our frame parser, header block assembler and HPACK decoder against nghttp2 (node:http2) as the
 * encoder: a real client and server exchange hundreds of random header lists over one connection
 * through a TCP pipe that records every chunk in arrival order. Replaying the capture through our
 * codec must give, for each direction, the same lists in the same order as nghttp2's own decoder
 * reported to the peer (`rawHeaders`): names as sent, repeats kept, values byte for byte. The
 * lists cover the dynamic table (repeated names and values, eviction), large values (CONTINUATION),
 * never-indexed fields and SETTINGS_HEADER_TABLE_SIZE changes in both directions.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { HeaderPair } from '../../src/http2/channel-event.js';
import { createFrameParser, type FrameParser } from '../../src/h2/create-frame-parser.js';
import {
  createHeaderBlockAssembler,
  type HeaderBlockAssembler,
} from '../../src/h2/create-header-block-assembler.js';
import { createHpackDecoder, type HpackDecoder } from '../../src/h2/create-hpack-decoder.js';
import { decodeSettings } from '../../src/h2/decode-frame.js';
import { FrameFlag, FrameType, SettingId } from '../../src/h2/frame-constants.js';

type Side = 'client' | 'server';
interface Chunk {
  readonly from: Side;
  readonly bytes: Buffer;
}

/** mulberry32: a small seeded generator, so a failure can be replayed from its seed. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 0x9113;
const REQUESTS = 300;
const NAME_POOL = Array.from({ length: 40 }, (_, i) => `x-field-${i.toString(36)}`);
const VALUE_POOL = Array.from({ length: 30 }, (_, i) => `value-${i}-${'v'.repeat(i * 3)}`);
/** Table sizes the peers announce during the run, SETTINGS_HEADER_TABLE_SIZE in octets. */
const TABLE_SIZES = [4096, 256, 0, 8192, 1024, 4096];

function randomValue(random: () => number): string {
  const roll = random();
  if (roll < 0.5) return VALUE_POOL[Math.floor(random() * VALUE_POOL.length)] as string;
  const length = roll < 0.97 ? Math.floor(random() * 64) : 4000 + Math.floor(random() * 12_000);
  let value = '';
  for (let i = 0; i < length; i++) {
    const code = 0x21 + Math.floor(random() * 94);
    value += i > 0 && i < length - 1 && random() < 0.05 ? ' ' : String.fromCharCode(code);
  }
  return value;
}

/** Extra fields for one message: names from a pool (so they repeat), some several times. */
function randomFields(random: () => number): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  const count = Math.floor(random() * 12);
  for (let i = 0; i < count; i++) {
    const name = NAME_POOL[Math.floor(random() * NAME_POOL.length)] as string;
    const value = randomValue(random);
    const existing = fields[name];
    if (existing === undefined) fields[name] = value;
    else fields[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  if (random() < 0.2) fields['authorization'] = `Bearer ${randomValue(random)}`;
  if (random() < 0.2) fields['cookie'] = `session=${Math.floor(random() * 1e9)}`;
  return fields;
}

function pairsOf(raw: readonly string[]): HeaderPair[] {
  const pairs: HeaderPair[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] as string, raw[i + 1] as string]);
  return pairs;
}

/** One direction of the capture as our codec reads it. */
class DirectionReader {
  readonly parser: FrameParser;
  readonly assembler: HeaderBlockAssembler = createHeaderBlockAssembler();
  readonly decoder: HpackDecoder = createHpackDecoder();
  readonly lists: HeaderPair[][] = [];
  /** HEADER_TABLE_SIZE values this side announced that its peer has not acknowledged yet. */
  readonly unacknowledged: (number | null)[] = [];
  sizeUpdates = 0;
  neverIndexed = 0;

  constructor(sender: Side) {
    this.parser = createFrameParser({ sender });
  }
}

/**
 * Replays the chunks in arrival order. The decoder of each direction follows the receiver's
 * SETTINGS_HEADER_TABLE_SIZE as a relay must: the larger of old and new once the SETTINGS passes,
 * the new value once the sender's ACK passes (RFC 9113 §6.5.3, RFC 7541 §4.2).
 */
function replay(chunks: readonly Chunk[]): Record<Side, DirectionReader> {
  const readers = { client: new DirectionReader('client'), server: new DirectionReader('server') };
  for (const { from, bytes } of chunks) {
    const reader = readers[from];
    const peer = readers[from === 'client' ? 'server' : 'client'];
    const { frames, error } = reader.parser.push(bytes);
    assert.equal(error, null, error?.reason);
    for (const frame of frames) {
      if (frame.type === FrameType.SETTINGS) {
        if ((frame.flags & FrameFlag.ACK) !== 0) {
          const value = peer.unacknowledged.shift();
          if (value !== undefined && value !== null) reader.decoder.setTableSizeLimit(value);
          continue;
        }
        let announced: number | null = null;
        for (const { id, value } of decodeSettings(frame).settings) {
          if (id === SettingId.HEADER_TABLE_SIZE) announced = value;
        }
        reader.unacknowledged.push(announced);
        if (announced !== null) {
          peer.decoder.setTableSizeLimit(Math.max(peer.decoder.tableSizeLimit, announced));
        }
        continue;
      }
      const step = reader.assembler.accept(frame);
      assert.notEqual(step.kind, 'error', step.kind === 'error' ? step.error.reason : '');
      if (step.kind !== 'blockComplete') continue;
      const decoded = reader.decoder.decode(step.block.block);
      assert.equal(decoded.kind, 'decoded', decoded.kind === 'failed' ? decoded.error.reason : '');
      if (decoded.kind !== 'decoded') continue;
      reader.lists.push([...decoded.headers]);
      reader.sizeUpdates += decoded.tableSizeUpdates.length;
      reader.neverIndexed += decoded.representations.filter((r) => r === 'neverIndexed').length;
    }
  }
  return readers;
}

describe('HPACK decoder against nghttp2 (node:http2)', () => {
  const chunks: Chunk[] = [];
  const sentByClient: HeaderPair[][] = [];
  const sentByServer: HeaderPair[][] = [];
  let backend: http2.Http2Server;
  let pipe: net.Server;
  let client: http2.ClientHttp2Session;
  let serverSession: http2.ServerHttp2Session | undefined;
  const random = createRandom(SEED);

  before(async () => {
    backend = http2.createServer({ settings: { headerTableSize: 4096 } });
    backend.on('session', (session) => (serverSession = session));
    backend.on(
      'stream',
      (stream: http2.ServerHttp2Stream, _h: unknown, _f: number, rawHeaders: string[]) => {
        sentByClient.push(pairsOf(rawHeaders));
        stream.respond({ ':status': 200, ...randomFields(random) }, { endStream: true });
      },
    );
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const backendPort = (backend.address() as net.AddressInfo).port;
    pipe = net.createServer((downstream) => {
      const upstream = net.connect(backendPort, '127.0.0.1');
      downstream.on('data', (bytes: Buffer) => {
        chunks.push({ from: 'client', bytes: Buffer.from(bytes) });
        upstream.write(bytes);
      });
      upstream.on('data', (bytes: Buffer) => {
        chunks.push({ from: 'server', bytes: Buffer.from(bytes) });
        downstream.write(bytes);
      });
      downstream.on('end', () => upstream.end());
      upstream.on('end', () => downstream.end());
      downstream.on('error', () => upstream.destroy());
      upstream.on('error', () => downstream.destroy());
    });
    await new Promise<void>((resolve) => pipe.listen(0, '127.0.0.1', resolve));
    const pipePort = (pipe.address() as net.AddressInfo).port;
    client = http2.connect(`http://127.0.0.1:${pipePort}`);
  });

  after(async () => {
    client.close();
    await new Promise((resolve) => backend.close(resolve));
    await new Promise((resolve) => pipe.close(resolve));
  });

  test('decodes every request and response list exactly as nghttp2 did, in order', async () => {
    for (let i = 0; i < REQUESTS; i++) {
      if (i % 50 === 25) {
        const size = TABLE_SIZES[Math.floor(i / 50) % TABLE_SIZES.length] as number;
        await new Promise<void>((resolve) =>
          client.settings({ headerTableSize: size }, () => resolve()),
        );
        const session = serverSession;
        assert.ok(session);
        const serverSize = TABLE_SIZES[(Math.floor(i / 50) + 2) % TABLE_SIZES.length] as number;
        await new Promise<void>((resolve) =>
          session.settings({ headerTableSize: serverSize }, () => resolve()),
        );
      }
      const fields = randomFields(random);
      const sensitive = random() < 0.3 ? Object.keys(fields).slice(0, 1) : [];
      const request = client.request({
        ':method': random() < 0.5 ? 'GET' : 'POST',
        ':path': `/service.Echo/Method${Math.floor(random() * 5)}?n=${i}`,
        ...fields,
        [http2.sensitiveHeaders]: sensitive,
      });
      const responded = new Promise<void>((resolve, reject) => {
        request.on('response', (_h: unknown, _f: number, rawHeaders: string[]) => {
          sentByServer.push(pairsOf(rawHeaders));
          resolve();
        });
        request.on('error', reject);
      });
      request.end();
      request.resume();
      await responded;
      await new Promise((resolve) => request.once('close', resolve));
    }
    const readers = replay(chunks);
    assert.equal(readers.client.lists.length, REQUESTS);
    assert.equal(readers.server.lists.length, REQUESTS);
    assert.deepEqual(readers.client.lists, sentByClient);
    assert.deepEqual(readers.server.lists, sentByServer);
    const largest = Math.max(...sentByClient.flat().map(([, value]) => value.length));
    assert.ok(largest > 4000, 'the corpus includes values that need CONTINUATION');
    for (const side of ['client', 'server'] as const) {
      assert.ok(readers[side].sizeUpdates >= 3, `${side} blocks carry table size updates`);
      assert.ok(readers[side].decoder.tableSize > 0, `${side} blocks use the dynamic table`);
    }
    assert.ok(readers.client.neverIndexed > 0, 'some request fields arrive never-indexed');
  });

  test('decodes the same capture whatever the chunking (one byte at a time)', () => {
    const bytewise: Chunk[] = [];
    for (const { from, bytes } of chunks) {
      for (let i = 0; i < bytes.length; i++)
        bytewise.push({ from, bytes: bytes.subarray(i, i + 1) });
    }
    const readers = replay(bytewise);
    assert.deepEqual(readers.client.lists, sentByClient);
    assert.deepEqual(readers.server.lists, sentByServer);
  });
});
