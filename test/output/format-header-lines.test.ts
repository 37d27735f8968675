import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  escapeControls,
  formatHeaderLines,
  isSecretHeader,
  maskHeaderValue,
} from '../../src/output/format-header-lines.js';

const masked = { showSecrets: false } as const;
const shown = { showSecrets: true } as const;

describe('maskHeaderValue', () => {
  it('keeps the authorization scheme and the credential size', () => {
    const token = 'a'.repeat(43);
    assert.equal(maskHeaderValue('authorization', `Bearer ${token}`), 'Bearer ••••(43 bytes)');
    assert.equal(
      maskHeaderValue('Proxy-Authorization', 'Basic dXNlcjpwYXNz'),
      'Basic ••••(12 bytes)',
    );
    assert.equal(maskHeaderValue('authorization', 'opaque'), '••••(6 bytes)');
  });

  it('keeps cookie names and set-cookie attributes, masking only the values', () => {
    assert.equal(
      maskHeaderValue('cookie', 'session=abc123; theme=dark'),
      'session=••••(6 bytes); theme=••••(4 bytes)',
    );
    assert.equal(
      maskHeaderValue('set-cookie', 'id=xyz; Path=/; HttpOnly'),
      'id=••••(3 bytes); Path=/; HttpOnly',
    );
  });

  it('counts bytes, not characters', () => {
    assert.equal(maskHeaderValue('x-api-key', 'clé'), '••••(4 bytes)');
  });
});

describe('isSecretHeader', () => {
  it('knows the listed names in any case and names made of secret words', () => {
    for (const name of ['Authorization', 'cookie', 'SET-COOKIE', 'x-api-key', 'x-session-token']) {
      assert.equal(isSecretHeader(name), true, name);
    }
    for (const name of ['x-client-secret', 'db_password', 'x-goog-api-key']) {
      assert.equal(isSecretHeader(name), true, name);
    }
    for (const name of ['content-type', 'x-call-id', 'tokens-used', 'grpc-timeout']) {
      assert.equal(isSecretHeader(name), false, name);
    }
  });
});

describe('formatHeaderLines', () => {
  const headers = [
    [':method', 'POST'],
    ['authorization', 'Bearer s3cr3t'],
    ['X-Trace', 'abc'],
    ['trace-bin', 'AAECAw'],
  ] as const;

  it('writes one line per header in order, names as sent, secrets masked', () => {
    assert.equal(
      formatHeaderLines(headers, '  > ', masked),
      '  > :method: POST\n' +
        '  > authorization: Bearer ••••(6 bytes)\n' +
        '  > X-Trace: abc\n' +
        '  > trace-bin: AAECAw (4 bytes)\n',
    );
  });

  it('shows secrets as sent with showSecrets', () => {
    assert.match(formatHeaderLines(headers, '', shown), /^authorization: Bearer s3cr3t$/m);
  });

  it('cuts a long binary value and still gives its decoded size', () => {
    const value = Buffer.alloc(300, 7).toString('base64');
    assert.equal(
      formatHeaderLines([['big-bin', value]], '', masked),
      `big-bin: ${value.slice(0, 48)}… (300 bytes)\n`,
    );
  });

  it('writes nothing for no headers', () => {
    assert.equal(formatHeaderLines([], '  ', masked), '');
  });

  it('escapes control characters so a header cannot drive the terminal', () => {
    assert.equal(escapeControls('a\x1b[2Jb\r\n\x7f\u0085'), 'a\\x1b[2Jb\\x0d\\x0a\\x7f\\x85');
    assert.equal(formatHeaderLines([['x\x07', 'v\x1b']], '', masked), 'x\\x07: v\\x1b\n');
  });
});
