import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertValidRecord, readRepositoryFile } from '../helpers/record-schema.js';

/** The JSON code blocks of a Markdown text, parsed. */
function readJsonExamples(markdown: string): unknown[] {
  return [...markdown.matchAll(/```json\n([\s\S]*?)```/g)].map((match) =>
    JSON.parse(match[1] ?? ''),
  );
}

describe('docs/records.md', () => {
  const examples = readJsonExamples(readRepositoryFile('docs/records.md'));

  it('shows an example of every event', () => {
    const events = examples.map((example) => (example as { event?: unknown }).event);
    assert.deepEqual([...new Set(events)].sort(), [
      'data',
      'earlyResets',
      'end',
      'flow',
      'gap',
      'start',
    ]);
    assert.ok(examples.length >= 7);
  });

  it('shows only records that match the schema', () => {
    for (const example of examples) assertValidRecord(example);
  });
});
