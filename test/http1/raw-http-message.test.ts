import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createStatusLineSniffer,
  formatPlainResponse,
  formatRequestHead,
  formatResponseHead,
} from '../../src/http1/raw-http-message.js';

describe('formatRequestHead and formatResponseHead', () => {
  it('writes the request line and fields in order', () => {
    assert.equal(
      formatRequestHead('GET', '/chat', '1.1', ['Host', 'h', 'Upgrade', 'websocket', 'X-A', '']),
      'GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nX-A: \r\n\r\n',
    );
  });

  it('writes a 1xx head with its fields', () => {
    assert.equal(
      formatResponseHead(103, 'Early Hints', ['Link', '</a>; rel=preload', 'link', '</b>']),
      'HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\nlink: </b>\r\n\r\n',
    );
  });

  it('writes a closing plain-text response whose length counts UTF-8 bytes', () => {
    const bytes = formatPlainResponse(502, 'Bad Gateway', 'grpctap: naïve\n', ['Allow', 'GET']);
    assert.equal(
      bytes.toString('utf8'),
      'HTTP/1.1 502 Bad Gateway\r\nAllow: GET\r\nContent-Type: text/plain; charset=utf-8\r\n' +
        'Content-Length: 16\r\nConnection: close\r\n\r\ngrpctap: naïve\n',
    );
  });
});

describe('createStatusLineSniffer', () => {
  const response = Buffer.from('HTTP/1.1 101 Switching Protocols\r\n\r\nframe');

  it('reads the status however the first bytes are split', () => {
    for (let first = 1; first < 14; first++) {
      for (let second = first; second < 14; second++) {
        const sniffer = createStatusLineSniffer();
        const results = [
          sniffer.push(response.subarray(0, first)),
          sniffer.push(response.subarray(first, second)),
          sniffer.push(response.subarray(second)),
        ];
        assert.equal(results[2], 101, `split at ${first}, ${second}`);
        const settledAt = results.findIndex((result) => result !== undefined);
        assert.ok(results.slice(settledAt).every((result) => result === 101));
      }
    }
  });

  it('needs more bytes while the prefix could still be a status line', () => {
    const sniffer = createStatusLineSniffer();
    assert.equal(sniffer.push(Buffer.from('HTTP/1.')), undefined);
    assert.equal(sniffer.push(Buffer.from('0 2')), undefined);
    assert.equal(sniffer.push(Buffer.from('04 No Content')), 204);
  });

  it('gives null as soon as the bytes cannot be a status line, and stays null', () => {
    const sniffer = createStatusLineSniffer();
    assert.equal(sniffer.push(Buffer.from('HTTQ')), null);
    assert.equal(sniffer.push(Buffer.from('HTTP/1.1 200 OK')), null);
    assert.equal(createStatusLineSniffer().push(Buffer.from('HTTP/1.1 2x0 ')), null);
    assert.equal(createStatusLineSniffer().push(Buffer.from('\x16\x03\x01')), null);
  });

  it('treats empty chunks as no news', () => {
    const sniffer = createStatusLineSniffer();
    assert.equal(sniffer.push(new Uint8Array(0)), undefined);
    assert.equal(sniffer.push(Buffer.from('HTTP/1.1 404 ')), 404);
  });
});
