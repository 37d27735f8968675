import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import {
  decodeSchemaless,
  SCHEMALESS_LIMIT,
  SCHEMALESS_MALFORMED,
} from '../../src/schema/decode-schemaless.js';
import { hex } from './schema-fixtures.js';

function view(bytes: string, options = {}): unknown {
  const result = decodeSchemaless(hex(bytes), options);
  assert.deepEqual(result.anomalies, [], 'no anomalies expected');
  return result.value;
}

describe('decodeSchemaless on well-formed bytes', () => {
  it('reads a string, a small varint and a nested message holding a float', () => {
    assert.deepEqual(view('0a 05 68656c6c6f 10 07 1a 05 0d 0000c03f'), {
      1: 'hello',
      2: 7,
      3: { 1: { fixed32: 1069547520, float: 1.5 } },
    });
  });

  it('shows a negative int64 with its unsigned, signed and zigzag readings', () => {
    assert.deepEqual(view('08 ffffffffffffffffff01'), {
      1: { varint: '18446744073709551615', int64: -1, sint64: '-9223372036854775808' },
    });
    assert.deepEqual(view('08 feffffffffffffffff01'), {
      1: { varint: '18446744073709551614', int64: -2, sint64: '9223372036854775807' },
    });
  });

  it('keeps varints up to 2^53 - 1 as numbers and larger ones as decimal strings', () => {
    assert.deepEqual(view('08 ffffffffffffff0f'), { 1: 9007199254740991 });
    assert.deepEqual(view('08 80808080808080 10'), { 1: { varint: '9007199254740992' } });
  });

  it('shows zigzag-encoded values as their plain unsigned reading', () => {
    // sint32 -1 is 1 on the wire; the view cannot know the field is zigzag.
    assert.deepEqual(view('08 01'), { 1: 1 });
  });

  it('reads 64-bit values as an integer and a double, with sfixed64 when the top bit is set', () => {
    assert.deepEqual(view('11 000000000000f83f'), {
      2: { fixed64: '4609434218613702656', double: 1.5 },
    });
    assert.deepEqual(view('11 ffffffffffffffff'), {
      2: { fixed64: '18446744073709551615', sfixed64: -1, double: 'NaN' },
    });
  });

  it('reads 32-bit values as an integer and the shortest float, spelling special floats', () => {
    assert.deepEqual(view('1d cdcccc3d'), { 3: { fixed32: 1036831949, float: 0.1 } });
    assert.deepEqual(view('1d ffffffff'), {
      3: { fixed32: 4294967295, sfixed32: -1, float: 'NaN' },
    });
    assert.deepEqual(view('1d 00000080'), {
      3: { fixed32: 2147483648, sfixed32: -2147483648, float: '-0' },
    });
    assert.deepEqual(view('1d 0000807f'), { 3: { fixed32: 2139095040, float: 'Infinity' } });
  });

  it('prefers printable text over a nested message when the bytes could be both', () => {
    // "0A" also parses as {6: 65}.
    assert.deepEqual(view('0a 02 3041'), { 1: '0A' });
  });

  it('reads non-printable bytes that parse completely as a nested message', () => {
    assert.deepEqual(view('12 02 0801'), { 2: { 1: 1 } });
  });

  it('shows bytes that are neither text nor a complete message as base64', () => {
    assert.deepEqual(view('12 03 00ff01'), { 2: { bytes: 'AP8B' } });
    // Invalid UTF-8 that starts like a group but never ends it.
    assert.deepEqual(view('12 02 c328'), { 2: { bytes: 'wyg=' } });
    // U+0085 is a C1 control character: valid UTF-8, not printable.
    assert.deepEqual(view('12 02 c285'), { 2: { bytes: 'woU=' } });
  });

  it('reads non-ASCII UTF-8 text as a string', () => {
    const text = 'héllo ✓\tdone\n';
    const bytes = new BinaryWriter().tag(1, WireType.LengthDelimited).string(text).finish();
    assert.deepEqual(decodeSchemaless(bytes).value, { 1: text });
  });

  it('collects a repeated field into an array in wire order', () => {
    assert.deepEqual(view('08 01 08 02 08 03'), { 1: [1, 2, 3] });
    assert.deepEqual(view('08 01 10 05 08 02'), { 1: [1, 2], 2: 5 });
  });

  it('shows packed varints as bytes because they do not parse as a message', () => {
    assert.deepEqual(view('22 03 010203'), { 4: { bytes: 'AQID' } });
  });

  it('reads a group', () => {
    assert.deepEqual(view('0b 0801 0c'), { 1: { group: { 1: 1 } } });
  });

  it('reads empty input as an empty message and an empty value as an empty string', () => {
    assert.deepEqual(view(''), {});
    assert.deepEqual(view('0a 00'), { 1: '' });
  });
});

describe('decodeSchemaless on malformed bytes', () => {
  const cases: readonly (readonly [string, string, unknown, string])[] = [
    ['a truncated varint', '08 01 10 ff', { 1: 1, _rest: { offset: 2, bytes: 'EP8=' } }, 'byte 2'],
    [
      'a length past the end',
      '08 01 12 05 61',
      { 1: 1, _rest: { offset: 2, bytes: 'EgVh' } },
      'length 5 exceeds the 1 bytes left',
    ],
    ['an invalid wire type', '0f 01', { _rest: { offset: 0, bytes: 'DwE=' } }, 'invalid tag'],
    ['field number 0', '02 01 61', { _rest: { offset: 0, bytes: 'AgFh' } }, 'invalid tag'],
    [
      'an end-group tag without a start',
      '08 01 0c',
      { 1: 1, _rest: { offset: 2, bytes: 'DA==' } },
      'end-group tag for field 1',
    ],
    [
      'a group without an end',
      '08 07 0b 0801',
      { 1: 7, _rest: { offset: 2, bytes: 'CwgB' } },
      'no end-group tag',
    ],
    [
      'a truncated fixed32',
      '0d 0000',
      { _rest: { offset: 0, bytes: 'DQAA' } },
      'truncated 4-byte value',
    ],
  ];
  for (const [name, bytes, expected, reason] of cases) {
    it(`keeps what was read before ${name} and the rest as bytes`, () => {
      const result = decodeSchemaless(hex(bytes));
      assert.deepEqual(result.value, expected);
      assert.equal(result.anomalies.length, 1);
      assert.equal(result.anomalies[0]?.code, SCHEMALESS_MALFORMED);
      assert.match(result.anomalies[0]?.message ?? '', new RegExp(reason));
    });
  }
});

describe('decodeSchemaless limits', () => {
  it('shows messages nested deeper than maxDepth as bytes', () => {
    assert.deepEqual(view('1a 04 1202 0801'), { 3: { 2: { 1: 1 } } });
    assert.deepEqual(view('1a 04 1202 0801', { maxDepth: 1 }), { 3: { 2: { bytes: 'CAE=' } } });
    assert.deepEqual(view('1a 04 1202 0801', { maxDepth: 0 }), { 3: { bytes: 'EgIIAQ==' } });
  });

  it('stops at maxFields and keeps the remaining bytes', () => {
    const result = decodeSchemaless(hex('08 01 08 02 08 03'), { maxFields: 2 });
    assert.deepEqual(result.value, { 1: [1, 2], _rest: { offset: 4, bytes: 'CAM=' } });
    assert.deepEqual(
      result.anomalies.map((anomaly) => anomaly.code),
      [SCHEMALESS_LIMIT],
    );
  });

  it('shows a nested message that would pass maxFields as bytes and says so', () => {
    const result = decodeSchemaless(hex('08 01 12 04 0801 0802'), { maxFields: 2 });
    assert.deepEqual(result.value, { 1: 1, 2: { bytes: 'CAEIAg==' } });
    assert.deepEqual(
      result.anomalies.map((anomaly) => anomaly.code),
      [SCHEMALESS_LIMIT],
    );
  });
});

/** Nesting depth of message objects below the top level, and the number of values. */
function measure(value: unknown): { depth: number; values: number } {
  const isMessage = (candidate: unknown): candidate is Record<string, unknown> =>
    typeof candidate === 'object' &&
    candidate !== null &&
    !Array.isArray(candidate) &&
    Object.keys(candidate).every((key) => /^\d+$/.test(key) || key === '_rest');
  const walk = (
    message: Record<string, unknown>,
    depth: number,
  ): { depth: number; values: number } => {
    let deepest = depth;
    let values = 0;
    for (const [key, member] of Object.entries(message)) {
      if (key === '_rest') continue;
      for (const item of Array.isArray(member) ? member : [member]) {
        values++;
        const inner =
          typeof item === 'object' && item !== null && 'group' in item ? item.group : item;
        if (isMessage(inner) && Object.keys(inner).length > 0) {
          const nested = walk(inner, depth + 1);
          deepest = Math.max(deepest, nested.depth);
          values += nested.values;
        }
      }
    }
    return { depth: deepest, values };
  };
  return isMessage(value) ? walk(value, 0) : { depth: 0, values: 0 };
}

describe('decodeSchemaless properties', () => {
  it('never throws on random bytes and respects the depth and field limits', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 40 }),
        (bytes, maxDepth, maxFields) => {
          const result = decodeSchemaless(bytes, { maxDepth, maxFields });
          JSON.stringify(result);
          const { depth, values } = measure(result.value);
          assert.ok(depth <= maxDepth, `depth ${depth} > ${maxDepth}`);
          assert.ok(values <= maxFields, `values ${values} > ${maxFields}`);
          const rest = (result.value as { _rest?: { offset: number; bytes: string } })._rest;
          if (rest === undefined) return;
          assert.ok(result.anomalies.length > 0);
          assert.deepEqual(
            Buffer.from(rest.bytes, 'base64'),
            Buffer.from(bytes.subarray(rest.offset)),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('decodes nested messages down to maxDepth and no further', () => {
    interface Tree {
      readonly children: readonly Tree[];
    }
    const tree = fc.letrec<{ node: Tree }>((self) => ({
      node: fc.record({
        children: fc.oneof(
          { depthSize: 'small' },
          fc.constant([]),
          fc.array(self('node'), { maxLength: 2 }),
        ),
      }),
    })).node;
    // Every message starts with field 1 = 1 (byte 0x08, not printable), so none reads as text.
    const encodeTree = (node: Tree): Uint8Array => {
      const writer = new BinaryWriter().tag(1, WireType.Varint).uint32(1);
      for (const child of node.children)
        writer.tag(2, WireType.LengthDelimited).bytes(encodeTree(child));
      return writer.finish();
    };
    const depthOf = (node: Tree): number =>
      Math.max(0, ...node.children.map((child) => depthOf(child) + 1));
    fc.assert(
      fc.property(tree, fc.integer({ min: 0, max: 6 }), (root, maxDepth) => {
        const result = decodeSchemaless(encodeTree(root), { maxDepth });
        assert.deepEqual(result.anomalies, []);
        assert.equal(measure(result.value).depth, Math.min(depthOf(root), maxDepth));
      }),
      { numRuns: 500 },
    );
  });

  it('reads back every varint, text and fixed value of a valid message in order', () => {
    const field = fc.oneof(
      fc.record({
        kind: fc.constant('varint' as const),
        value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      }),
      fc.record({ kind: fc.constant('text' as const), value: fc.stringMatching(/^[ -~]{0,20}$/) }),
      fc.record({ kind: fc.constant('fixed32' as const), value: fc.nat({ max: 2 ** 32 - 1 }) }),
      fc.record({
        kind: fc.constant('fixed64' as const),
        value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), field), { maxLength: 30 }),
        (fields) => {
          // One kind per field number, as in a real message.
          const kinds = new Map<number, string>();
          const kept = fields.filter(
            ([no, item]) => (kinds.get(no) ?? kinds.set(no, item.kind).get(no)) === item.kind,
          );
          const writer = new BinaryWriter();
          for (const [no, item] of kept) {
            if (item.kind === 'varint') writer.tag(no, WireType.Varint).uint64(item.value);
            else if (item.kind === 'text')
              writer.tag(no, WireType.LengthDelimited).string(item.value);
            else if (item.kind === 'fixed32') writer.tag(no, WireType.Bit32).fixed32(item.value);
            else writer.tag(no, WireType.Bit64).fixed64(item.value);
          }
          const result = decodeSchemaless(writer.finish());
          assert.deepEqual(result.anomalies, []);
          const value = result.value as Record<string, unknown>;
          const seen = new Map<number, number>();
          for (const [no, item] of kept) {
            const index = seen.get(no) ?? 0;
            seen.set(no, index + 1);
            const count = kept.filter(([other]) => other === no).length;
            const member = value[String(no)];
            const got = count === 1 ? member : (member as unknown[])[index];
            if (item.kind === 'varint') {
              if (item.value <= BigInt(Number.MAX_SAFE_INTEGER))
                assert.equal(got, Number(item.value));
              else assert.equal((got as { varint: string }).varint, item.value.toString());
            } else if (item.kind === 'text') {
              assert.equal(got, item.value);
            } else if (item.kind === 'fixed32') {
              assert.equal((got as { fixed32: number }).fixed32, item.value);
            } else {
              assert.equal(BigInt((got as { fixed64: number | string }).fixed64), item.value);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('decodeSchemaless plain strings', () => {
  /** Field 1 (length-delimited) holding `content`. */
  function field1(content: Uint8Array): Uint8Array {
    return new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(content).finish();
  }
  const long = (text: string) => text.repeat(Math.ceil(2000 / text.length));

  it('names long text and long base64 that JSON holds as they are', () => {
    const text = long('plain text, no escapes! ');
    const binary = Uint8Array.from({ length: 1500 }, (_, i) => (i === 0 ? 0 : i % 251));
    const result = decodeSchemaless(
      new BinaryWriter()
        .tag(1, WireType.LengthDelimited)
        .string(text)
        .tag(2, WireType.LengthDelimited)
        .bytes(binary)
        .finish(),
    );
    const value = result.value as { 1: string; 2: { bytes: string } };
    assert.equal(value[1], text);
    assert.equal(value[2].bytes, Buffer.from(binary).toString('base64'));
    assert.deepEqual(result.plainStrings, [text, value[2].bytes]);
    for (const plain of result.plainStrings) assert.equal(JSON.stringify(plain), `"${plain}"`);
  });

  it('leaves out text JSON escapes, non-ASCII text and short strings', () => {
    for (const text of [
      long('a "quoted" word '),
      long('a back\\slash '),
      long('line\n'),
      long('tab\t'),
      long('crlf\r\n'),
      long('héllo '),
      'short and plain',
    ]) {
      const result = decodeSchemaless(field1(Buffer.from(text, 'utf8')));
      assert.deepEqual(result.value, { 1: text });
      assert.deepEqual(result.plainStrings, [], JSON.stringify(text.slice(0, 20)));
    }
  });

  it('names the base64 of a long _rest', () => {
    const bytes = Uint8Array.from({ length: 1200 }, (_, i) => (i === 0 ? 0x0f : i % 251));
    const result = decodeSchemaless(bytes);
    const rest = (result.value as { _rest: { bytes: string } })._rest;
    assert.deepEqual(result.plainStrings, [rest.bytes]);
  });
});
