import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, createServer, type Server } from 'node:tls';
import { createKeylogWriter, type KeylogWriter } from '../../src/tls/keylog-writer.js';
import { createLeafMinter } from '../../src/tls/leaf-minter.js';
import { createTemporaryCa, type TemporaryCa } from './ca-fixture.js';

/** NSS key log lines Node reports for TLS 1.3 and TLS 1.2 sessions. */
const KEYLOG_LINE =
  /^(CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0|EXPORTER_SECRET|CLIENT_RANDOM) [0-9a-f]{64} [0-9a-f]+$/;

describe('createKeylogWriter', () => {
  let temporary: TemporaryCa;
  let server: Server;

  before(async () => {
    temporary = await createTemporaryCa();
    const leaf = createLeafMinter(temporary.ca).mint('keylog.test');
    server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (socket) => {
      socket.end('done');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await temporary.remove();
  });

  /** Runs one verified TLS 1.3 or 1.2 session whose client socket is attached to `writer`. */
  async function runSession(
    writer: KeylogWriter,
    maxVersion: 'TLSv1.3' | 'TLSv1.2',
  ): Promise<void> {
    const { port } = server.address() as AddressInfo;
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: 'keylog.test',
      ca: temporary.ca.certPem,
      maxVersion,
    });
    writer.attach(socket);
    socket.resume();
    await once(socket, 'end');
    socket.destroy();
  }

  it('appends the secrets of client sessions in NSS key log format to a 0600 file', async () => {
    const file = join(temporary.dir, 'keys-new.log');
    const writer = createKeylogWriter(file);
    await runSession(writer, 'TLSv1.3');
    await runSession(writer, 'TLSv1.2');
    await writer.close();
    const lines = (await readFile(file, 'utf8')).split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 6);
    for (const line of lines) {
      assert.match(line, KEYLOG_LINE);
    }
    assert.equal(lines.filter((line) => line.startsWith('CLIENT_RANDOM ')).length, 1);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  it('keeps what the file already held', async () => {
    const file = join(temporary.dir, 'keys-existing.log');
    await writeFile(file, '# earlier session\n');
    const writer = createKeylogWriter(file);
    await runSession(writer, 'TLSv1.3');
    await writer.close();
    const [first, ...appended] = (await readFile(file, 'utf8')).trimEnd().split('\n');
    assert.equal(first, '# earlier session');
    assert.equal(appended.length, 5);
    for (const line of appended) {
      assert.match(line, KEYLOG_LINE);
    }
  });

  it('reports an unwritable file once and leaves the sessions working', async () => {
    const errors: Error[] = [];
    const writer = createKeylogWriter(join(temporary.dir, 'missing-dir', 'keys.log'), {
      onError: (error) => errors.push(error),
    });
    await runSession(writer, 'TLSv1.3');
    await runSession(writer, 'TLSv1.3');
    await writer.close();
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOENT');
  });

  it('ignores secrets reported after close, and closes only once', async () => {
    const file = join(temporary.dir, 'keys-closed.log');
    const writer = createKeylogWriter(file);
    await writer.close();
    await runSession(writer, 'TLSv1.3');
    await writer.close();
    assert.equal(await readFile(file, 'utf8'), '');
  });
});
