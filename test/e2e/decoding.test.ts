import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import {
  EchoClient,
  type EchoReply,
  type EchoRequest,
  echoPackageDefinition,
} from '../helpers/echo-server.js';
import { callUnary } from '../helpers/grpc-calls.js';
import { assertValidRecord } from '../helpers/record-schema.js';
import { fixturePath } from '../helpers/repo-root.js';
import { type ProxyProcess, startProxy } from '../helpers/start-proxy.js';
import { waitForValue, waitUntil } from '../helpers/wait.js';

/** `google.rpc.Status { code: 9, message: "bad" }` in wire format. */
const STATUS_DETAILS = Buffer.from([0x08, 0x09, 0x12, 0x03, 0x62, 0x61, 0x64]);

interface Reflecting {
  readonly port: number;
  close(): void;
}

/** An h2c Echo server (Unary only) with gRPC server reflection. */
async function startReflectingServer(): Promise<Reflecting> {
  const server = new grpc.Server();
  server.addService(EchoClient.service, {
    Unary(
      call: grpc.ServerUnaryCall<EchoRequest, EchoReply>,
      callback: grpc.sendUnaryData<EchoReply>,
    ) {
      if (call.request.status) {
        const metadata = new grpc.Metadata();
        metadata.set('grpc-status-details-bin', STATUS_DETAILS);
        callback({ code: call.request.status, details: 'bad', metadata });
        return;
      }
      callback(null, { text: `re:${call.request.text ?? ''}`, blob: Buffer.alloc(0), index: 7 });
    },
  });
  new ReflectionService(echoPackageDefinition).addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { port, close: () => server.forceShutdown() };
}

describe('message decoding in records', () => {
  let server: Reflecting;
  before(async () => {
    server = await startReflectingServer();
  });
  after(() => server.close());

  async function withProxy(
    args: string[],
    body: (proxy: ProxyProcess, client: grpc.Client) => Promise<void>,
  ): Promise<void> {
    const proxy = await startProxy({ args });
    process.env.grpc_proxy = proxy.url;
    const client = new EchoClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    delete process.env.grpc_proxy;
    try {
      await body(proxy, client);
    } finally {
      client.close();
      assert.equal(await proxy.stop(), 0);
    }
    for (const record of proxy.records()) assertValidRecord(record);
  }

  const dataRecord = (proxy: ProxyProcess, direction: string) =>
    proxy.waitForRecord((r) => r.event === 'data' && r.direction === direction);

  test('shows a schemaless view without any schema', async () => {
    await withProxy([], async (proxy, client) => {
      await callUnary(client, { text: 'hello' });
      const request = await dataRecord(proxy, 'send');
      assert.equal(request.decodedAs, 'schemaless');
      assert.deepEqual(request.decoded, { '1': 'hello' });
    });
  });

  test('decodes with field names from --proto', async () => {
    await withProxy(['--proto', fixturePath('e2e', 'echo.proto')], async (proxy, client) => {
      await callUnary(client, { text: 'hello' });
      const request = await dataRecord(proxy, 'send');
      assert.equal(request.decodedAs, 'schema');
      assert.deepEqual(request.decoded, { text: 'hello' });
      const response = await dataRecord(proxy, 'receive');
      assert.deepEqual(response.decoded, { text: 're:hello', index: 7 });
    });
  });

  test('decodes with a --descriptor-set', async () => {
    await withProxy(
      ['--descriptor-set', fixturePath('e2e', 'echo.binpb')],
      async (proxy, client) => {
        await callUnary(client, { text: 'set' });
        const request = await dataRecord(proxy, 'send');
        assert.equal(request.decodedAs, 'schema');
        assert.deepEqual(request.decoded, { text: 'set' });
      },
    );
  });

  test('learns the schema through --reflect and never records the reflection calls', async () => {
    await withProxy(['--reflect'], async (proxy, client) => {
      // The schema arrives in the background; each call's request is decoded with whatever the
      // proxy has learnt by then, so calls are made until one is decoded with it.
      let calls = 0;
      const sent = (): Record<string, unknown>[] =>
        proxy.records().filter((r) => r.event === 'data' && r.direction === 'send');
      const decodedAs = await waitForValue(
        async () => {
          calls += 1;
          await callUnary(client, { text: `r${calls}` });
          const mine = await waitForValue(
            () => sent()[calls - 1],
            `the request record of call ${calls}`,
          );
          return mine.decodedAs === 'schema' ? mine.decodedAs : undefined;
        },
        'a request decoded with the reflected schema',
        30_000,
        50,
      );
      assert.equal(decodedAs, 'schema');
      const paths = proxy.records().flatMap((r) => (typeof r.path === 'string' ? [r.path] : []));
      assert.ok(paths.length > 0);
      assert.ok(
        paths.every((path) => path === '/grpctap.test.Echo/Unary'),
        `unexpected flows: ${paths.join(', ')}`,
      );
      await proxy.waitForStderr(/reflection: [^\n]*loaded grpctap\.test\.Echo/, 30_000);
      assert.doesNotMatch(proxy.stderr(), /reflection: reflection:/);
    });
  });

  test('decodes grpc-status-details-bin as google.rpc.Status', async () => {
    await withProxy([], async (proxy, client) => {
      await callUnary(client, { text: 'x', status: 9 }).catch(() => undefined);
      const end = await proxy.waitForRecord((r) => r.event === 'end');
      assert.equal(end.status, 9);
      assert.deepEqual(end.statusDetailsDecoded, { code: 9, message: 'bad' });
    });
  });

  test('shows the decoded preview in the text tail', async () => {
    await withProxy(
      ['--output', 'text', '--proto', fixturePath('e2e', 'echo.proto')],
      async (proxy, client) => {
        await callUnary(client, { text: 'tail' });
        const data = await waitForValue(
          () => proxy.lines.find((line) => line.includes(' data ') && line.includes('→')),
          'a data line on the text tail',
        );
        assert.match(data, /text: "tail"|"text":"tail"/);
      },
    );
  });

  const TOKEN = 'a'.repeat(43);
  const verboseCall = async (proxy: ProxyProcess, client: grpc.Client): Promise<string> => {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${TOKEN}`);
    metadata.set('x-call-id', 'verbose-1');
    metadata.set('trace-bin', Buffer.from([0, 1, 2, 3]));
    await callUnary(client, { text: 'v'.repeat(200) }, metadata, { deadline: Date.now() + 60_000 });
    await waitUntil(() => proxy.lines.some((line) => line.includes(' flow ')), 'the flow line');
    return proxy.lines.join('\n');
  };

  test('-v prints headers under their events with credentials masked, uncut into a pipe', async () => {
    await withProxy(
      ['--output', 'text', '-v', '--proto', fixturePath('e2e', 'echo.proto')],
      async (proxy, client) => {
        const text = await verboseCall(proxy, client);
        assert.match(text, /^ {4}→ authorization: Bearer ••••\(43 bytes\)$/m);
        assert.ok(!text.includes(TOKEN), 'the token is not printed');
        assert.match(text, /^ {4}→ x-call-id: verbose-1$/m);
        assert.match(text, /^ {4}→ trace-bin: AAECAw(==)? \(4 bytes\)$/m);
        assert.match(text, /^ {4}← :status: 200$/m);
        assert.match(text, /^ {4}← grpc-status: 0$/m);
        assert.match(text, / start .*timeout=(59\.\ds|1m00s) /);
        assert.match(text, /→ grpctap\.test\.Echo\/\w+ data \d+B grpctap\.test\.\w+ /);
        const data = proxy.lines.find((line) => line.includes(' data ') && line.includes('→'));
        assert.ok(data !== undefined && data.length > 200, 'a pipe gets whole lines');
        const start = proxy.lines.findIndex(
          (line) => line.includes(' start ') && line.includes('→'),
        );
        assert.match(proxy.lines[start + 1] ?? '', /^ {4}→ :/, 'headers follow the start line');
      },
    );
  });

  test('--show-secrets prints credentials as sent', async () => {
    await withProxy(['--output', 'text', '--verbose', '--show-secrets'], async (proxy, client) => {
      const text = await verboseCall(proxy, client);
      assert.match(text, new RegExp(`^ {4}→ authorization: Bearer ${TOKEN}$`, 'm'));
    });
  });
});
