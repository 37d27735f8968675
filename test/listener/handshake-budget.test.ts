import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createHandshakeBudget } from '../../src/listener/handshake-budget.js';

describe('createHandshakeBudget', () => {
  test('counts down from the whole budget and stops at zero', () => {
    let clock = 100;
    const budget = createHandshakeBudget(1000, () => clock);
    assert.equal(budget.remainingMs(), 1000);
    clock += 0.25;
    assert.equal(budget.remainingMs(), 1000, 'rounded up to whole ms');
    clock += 400;
    assert.equal(budget.remainingMs(), 600);
    clock += 5000;
    assert.equal(budget.remainingMs(), 0);
    assert.equal(budget.totalMs, 1000);
  });

  test('does not count the time it is paused, and pausing twice changes nothing', () => {
    let clock = 0;
    const budget = createHandshakeBudget(1000, () => clock);
    clock = 300;
    budget.pause();
    budget.pause();
    clock = 9000;
    assert.equal(budget.remainingMs(), 700);
    budget.resume();
    budget.resume();
    clock = 9200;
    assert.equal(budget.remainingMs(), 500);
  });
});
