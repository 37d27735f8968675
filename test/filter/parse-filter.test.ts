import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FilterError } from '../../src/filter/filter-error.js';
import { parseFilter } from '../../src/filter/parse-filter.js';
import { tokenizeFilter } from '../../src/filter/tokenize-filter.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');

/** A compact rendering of the tree, to compare shapes. */
function shape(source: string): string {
  const render = (node: ReturnType<typeof parseFilter>): string => {
    switch (node.kind) {
      case 'all':
        return 'all';
      case 'and':
      case 'or':
        return `(${render(node.left)} ${node.kind} ${render(node.right)})`;
      case 'not':
        return `not ${render(node.operand)}`;
      case 'compare': {
        const c = node.comparison;
        const field = c.kind === 'text' && c.field === 'header' ? `h.${c.header}` : c.field;
        return `${field}${c.op}${String(c.value)}`;
      }
    }
  };
  return render(parseFilter(source, NOW));
}

function errorOf(source: string): string {
  try {
    parseFilter(source, NOW);
  } catch (error) {
    assert.ok(error instanceof FilterError);
    return error.message;
  }
  assert.fail(`${source} parsed`);
}

describe('parseFilter', () => {
  test('reads comparisons with bare and quoted values, with or without spaces', () => {
    assert.equal(shape('method=Get'), 'method=Get');
    assert.equal(shape('method = Get'), 'method=Get');
    assert.equal(shape('h.X-Request-Id="a b \\" c"'), 'h.x-request-id=a b " c');
    assert.equal(shape("msg~'needle (x)'"), 'msg~needle (x)');
    assert.equal(shape('service~^demo\\.'), 'service~^demo\\.');
  });

  test('reads status names and numbers, durations, sizes and times as numbers', () => {
    assert.equal(shape('status=not_found'), 'status=5');
    assert.equal(shape('status>=500'), 'status>=500');
    assert.equal(shape('duration>1.5s'), 'duration>1500');
    assert.equal(shape('duration<250us'), 'duration<0.25');
    assert.equal(shape('duration<=2'), 'duration<=2');
    assert.equal(shape('size>=64KiB'), 'size>=65536');
    assert.equal(shape('messages>3'), 'messages>3');
    assert.equal(shape('time>-10m'), `time>${NOW - 600_000}`);
    assert.equal(shape('time<2026-12-07T10:00:00'), `time<${Date.parse('2026-12-07T10:00:00Z')}`);
    assert.equal(shape('time<2026-12-07'), `time<${Date.parse('2026-12-07')}`);
  });

  test('binds not tighter than and, and tighter than or; juxtaposition is and', () => {
    assert.equal(shape('a.b=1'.replace('a.b', 'method')), 'method=1');
    assert.equal(
      shape('method=A or method=B and status=0'),
      '(method=A or (method=B and status=0))',
    );
    assert.equal(shape('not method=A and status=0'), '(not method=A and status=0)');
    assert.equal(shape('(method=A or method=B) status=0'), '((method=A or method=B) and status=0)');
    assert.equal(shape('NOT not state=active'), 'not not state=active');
    assert.equal(shape(''), 'all');
    assert.equal(shape('   '), 'all');
  });

  test('names the column of every error', () => {
    assert.equal(errorOf('method='), 'filter: column 8: expected a value after "=", found the end');
    assert.equal(
      errorOf('(method=A'),
      'filter: column 10: expected ")" to close the "(" at column 1, found the end',
    );
    assert.equal(
      errorOf('method=A)'),
      'filter: column 9: expected "and", "or" or the end, found ")"',
    );
    assert.match(errorOf('colour=red'), /^filter: column 1: unknown field "colour"/);
    assert.equal(
      errorOf('method Get'),
      'filter: column 8: expected an operator (=, !=, ~, !~, <, <=, >, >=) after method, found "Get"',
    );
    assert.equal(
      errorOf('method<A'),
      'filter: column 7: method is text: use =, !=, ~ or !~, not <',
    );
    assert.equal(
      errorOf('status~5'),
      'filter: column 7: status is a number: use =, !=, <, <=, > or >=, not ~',
    );
    assert.equal(
      errorOf('status=FINE'),
      'filter: column 8: status takes a status number or a gRPC status name such as NOT_FOUND (got "FINE")',
    );
    assert.equal(
      errorOf('type=client'),
      'filter: column 6: type is one of unary, stream, bidirectional (got "client")',
    );
    assert.match(errorOf('method~"("'), /^filter: column 8: bad regular expression: /);
    assert.equal(errorOf('method="open'), 'filter: column 8: unterminated "quoted" value');
    assert.equal(
      errorOf('and method=A'),
      'filter: column 1: expected a field such as method or status, found "and"',
    );
    assert.equal(
      errorOf('h.=x'),
      'filter: column 1: expected a header name after "h.", found "h."',
    );
    assert.equal(
      errorOf('duration>soon'),
      'filter: column 10: duration takes a duration such as 100ms, 2s or 1m (got "soon")',
    );
    assert.equal(
      errorOf('time>yesterday'),
      'filter: column 6: time takes an ISO 8601 time such as 2026-12-07T10:00:00Z, or -DURATION such as -10m (got "yesterday")',
    );
  });

  test('tokenizes operators longest first, with columns', () => {
    assert.deepEqual(
      tokenizeFilter('a!=b c<=1').map((token) => [
        token.kind,
        'text' in token ? token.text : '',
        token.column,
      ]),
      [
        ['word', 'a', 1],
        ['op', '!=', 2],
        ['word', 'b', 4],
        ['word', 'c', 6],
        ['op', '<=', 7],
        ['word', '1', 9],
      ],
    );
  });
});
