import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { after, describe, it } from 'node:test';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { createMessageDecoder } from '../../src/schema/create-message-decoder.js';
import { createReflectionResolver } from '../../src/schema/reflection-resolver.js';
import { encode, PROTO_MAIN, PROTO_SHARED, SHOP_PROTO, SHOP_SET } from './schema-fixtures.js';

const SHOP_SERVICE = 'grpctap.fixtures.v1.ShopService';
const GET_ORDER = `/${SHOP_SERVICE}/GetOrder`;

type Reflection = 'v1 and v1alpha' | 'v1alpha only' | 'none';

interface Running {
  readonly authority: string;
  readonly session: http2.ClientHttp2Session;
  stop(): Promise<void>;
}

const running: Running[] = [];
after(async () => {
  await Promise.all(running.map((server) => server.stop()));
});

/** A grpc-js server for the fixture ShopService, and an HTTP/2 session to it. */
async function startShop(reflection: Reflection): Promise<Running> {
  const definition = protoLoader.loadSync(SHOP_PROTO, {
    includeDirs: [PROTO_MAIN, PROTO_SHARED],
    keepCase: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpctap: { fixtures: { v1: { ShopService: grpc.ServiceClientConstructor } } };
  };
  const server = new grpc.Server();
  server.addService(loaded.grpctap.fixtures.v1.ShopService.service, {
    GetOrder: (
      call: grpc.ServerUnaryCall<{ id: string }, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => callback(null, { id: call.request.id }),
    WatchOrders: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.end(),
  });
  if (reflection !== 'none') {
    new ReflectionService(definition).addToServer({
      addService: (service, implementation) => {
        const isAlpha = Object.values(service).some((method) => method.path.includes('.v1alpha.'));
        if (reflection === 'v1 and v1alpha' || isAlpha) server.addService(service, implementation);
      },
    });
  }
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    );
  });
  const session = http2.connect(`http://127.0.0.1:${port}`);
  const handle: Running = {
    authority: `127.0.0.1:${port}`,
    session,
    stop: async () => {
      await new Promise<void>((resolve) => session.close(() => resolve()));
      server.forceShutdown();
    },
  };
  running.push(handle);
  return handle;
}

/**
 * A reflection server that answers like many non-Node servers: with protoc's descriptors, and only
 * the file asked for, so the client has to ask for imports by name. Records those names.
 */
async function startProtocStyleReflection(): Promise<Running & { readonly askedFor: string[] }> {
  const files = new Map(
    fromBinary(FileDescriptorSetSchema, readFileSync(SHOP_SET)).file.map((file) => [
      file.name,
      toBinary(FileDescriptorProtoSchema, file),
    ]),
  );
  const askedFor: string[] = [];
  const answer = (request: Buffer): Buffer => {
    const reader = new BinaryReader(request);
    let wanted: string | undefined;
    while (reader.pos < reader.len) {
      const [fieldNo, wireType] = reader.tag();
      if (fieldNo === 3) {
        wanted = reader.string();
        askedFor.push(wanted);
      } else if (fieldNo === 4) {
        wanted = reader.string() === SHOP_SERVICE ? 'grpctap/fixtures/v1/shop.proto' : undefined;
      } else reader.skip(wireType, fieldNo);
    }
    const file = wanted === undefined ? undefined : files.get(wanted);
    const writer = new BinaryWriter();
    if (file === undefined) {
      writer
        .tag(7, WireType.LengthDelimited)
        .bytes(
          new BinaryWriter()
            .tag(1, WireType.Varint)
            .int32(5)
            .tag(2, WireType.LengthDelimited)
            .string('not found')
            .finish(),
        );
    } else {
      writer
        .tag(4, WireType.LengthDelimited)
        .bytes(new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(file).finish());
    }
    return Buffer.from(writer.finish());
  };
  const same = (bytes: Buffer): Buffer => bytes;
  const server = new grpc.Server();
  server.addService(
    {
      ServerReflectionInfo: {
        path: '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
        requestStream: true,
        responseStream: true,
        requestSerialize: same,
        requestDeserialize: same,
        responseSerialize: same,
        responseDeserialize: same,
      },
    },
    {
      ServerReflectionInfo: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        call.on('data', (request: Buffer) => call.write(answer(request)));
        call.on('end', () => call.end());
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    );
  });
  const session = http2.connect(`http://127.0.0.1:${port}`);
  const handle = {
    authority: `127.0.0.1:${port}`,
    session,
    askedFor,
    stop: async () => {
      await new Promise<void>((resolve) => session.close(() => resolve()));
      server.forceShutdown();
    },
  };
  running.push(handle);
  return handle;
}

const orderBytes = encode('grpctap.fixtures.v1.Order', {
  id: 'o-1',
  total: { currency_code: 'EUR', units: 3 },
  created_at: { seconds: 1700000000 },
});
const orderJson = {
  id: 'o-1',
  createdAt: '2023-11-14T22:13:20Z',
  total: { currencyCode: 'EUR', units: '3' },
};

describe('reflection resolver against a grpc-js server', () => {
  it('resolves a service over server reflection and decodes later messages with its schema', async () => {
    const shop = await startShop('v1 and v1alpha');
    const logs: string[] = [];
    const resolver = createReflectionResolver({
      openSession: () => shop.session,
      onLog: (line) => logs.push(line),
    });
    const decoder = createMessageDecoder({ registry: null, resolver });

    const first = decoder.decodeMessage(GET_ORDER, shop.authority, 'receive', orderBytes);
    assert.equal(first.decodedAs, 'schemaless');
    await resolver.request(shop.authority, SHOP_SERVICE);

    const later = decoder.decodeMessage(GET_ORDER, shop.authority, 'receive', orderBytes);
    assert.deepEqual(later.anomalies, []);
    assert.equal(later.decodedAs, 'schema');
    assert.deepEqual(later.decoded, orderJson);
    assert.deepEqual(
      decoder.decodeMessage(
        GET_ORDER,
        shop.authority,
        'send',
        encode('grpctap.fixtures.v1.GetOrderRequest', { id: 'o-1' }),
      ).decoded,
      { id: 'o-1' },
    );
    assert.ok(
      logs.some((line) => line.includes(`loaded ${SHOP_SERVICE}`)),
      logs.join('\n'),
    );
    // Another authority has resolved nothing.
    assert.equal(resolver.registryFor('elsewhere:443'), null);
  });

  it('asks by file name for imports the first answer left out', async () => {
    const shop = await startProtocStyleReflection();
    const resolver = createReflectionResolver({ openSession: () => shop.session });
    await resolver.request(shop.authority, SHOP_SERVICE);
    // The well-known imports are built in; only the user import is asked for.
    assert.deepEqual(shop.askedFor, ['common/money.proto']);
    const decoder = createMessageDecoder({ registry: null, resolver });
    assert.deepEqual(
      decoder.decodeMessage(GET_ORDER, shop.authority, 'receive', orderBytes).decoded,
      orderJson,
    );
  });

  it('falls back to v1alpha when v1 is UNIMPLEMENTED', async () => {
    const shop = await startShop('v1alpha only');
    const resolver = createReflectionResolver({ openSession: () => shop.session });
    await resolver.request(shop.authority, SHOP_SERVICE);
    assert.deepEqual(resolver.registryFor(shop.authority)?.findMethod(GET_ORDER), {
      requestType: 'grpctap.fixtures.v1.GetOrderRequest',
      responseType: 'grpctap.fixtures.v1.Order',
    });
  });

  it('caches the failure of a server without reflection, logs it once and keeps decoding schemaless', async () => {
    const shop = await startShop('none');
    const logs: string[] = [];
    let opened = 0;
    const resolver = createReflectionResolver({
      openSession: () => {
        opened++;
        return shop.session;
      },
      onLog: (line) => logs.push(line),
    });
    const decoder = createMessageDecoder({ registry: null, resolver });
    decoder.decodeMessage(GET_ORDER, shop.authority, 'receive', orderBytes);
    await resolver.request(shop.authority, SHOP_SERVICE);
    await resolver.request(shop.authority, 'grpctap.fixtures.v1.ProfileService');
    const view = decoder.decodeMessage(GET_ORDER, shop.authority, 'receive', orderBytes);
    assert.equal(view.decodedAs, 'schemaless');
    assert.deepEqual(view.anomalies, []);
    assert.equal(opened, 1);
    assert.equal(logs.length, 1);
    assert.match(logs[0] ?? '', /does not serve gRPC server reflection/);
  });

  it('does not ask again for a service the server does not know', async () => {
    const shop = await startShop('v1 and v1alpha');
    const logs: string[] = [];
    let opened = 0;
    const resolver = createReflectionResolver({
      openSession: () => {
        opened++;
        return shop.session;
      },
      onLog: (line) => logs.push(line),
    });
    await resolver.request(shop.authority, 'acme.Missing');
    await resolver.request(shop.authority, 'acme.Missing');
    assert.equal(opened, 1);
    assert.equal(logs.length, 1);
    assert.match(logs[0] ?? '', /does not know acme\.Missing/);
    assert.equal(resolver.registryFor(shop.authority), null);
  });
});

describe('reflection resolver when the server cannot be reached', () => {
  it('retries a transport failure only after the retry delay', async () => {
    let opened = 0;
    const unreachable = (retryAfterMs: number) =>
      createReflectionResolver({
        openSession: () => {
          opened++;
          return Promise.reject(new Error('connect ECONNREFUSED'));
        },
        retryAfterMs,
      });
    const patient = unreachable(60_000);
    await patient.request('down:443', SHOP_SERVICE);
    await patient.request('down:443', SHOP_SERVICE);
    assert.equal(opened, 1);
    const eager = unreachable(0);
    await eager.request('down:443', SHOP_SERVICE);
    await eager.request('down:443', SHOP_SERVICE);
    assert.equal(opened, 3);
  });
});
