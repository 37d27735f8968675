import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createGrpcLineFormatter } from '../../src/output/grpc-line-formatter.js';
import { flow, message, ok, start } from './line-fixtures.js';

describe('createGrpcLineFormatter', () => {
  it('names the call on data and end lines and forgets the flow at its end', () => {
    const formatter = createGrpcLineFormatter({ color: false });
    formatter.format(start);
    assert.equal(formatter.openFlows, 1);
    assert.match(formatter.format(message), /→ helloworld\.Greeter\/SayHello data 7B/);
    assert.match(formatter.format(message, 'decoded!'), /data 7B decoded!$/);
    assert.match(formatter.format(ok), /← helloworld\.Greeter\/SayHello end OK$/);
    formatter.format(flow);
    assert.equal(formatter.openFlows, 0);
    assert.match(formatter.format(message), /#1 → data 7B/);
  });

  it('names a call with a malformed path by its raw path', () => {
    const formatter = createGrpcLineFormatter({ color: false });
    formatter.format({ ...start, service: '', method: '', path: '/x' });
    assert.match(formatter.format(message), /→ \/x data 7B/);
  });
});
