import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatGoDuration, parseGoDuration } from '../../src/core/duration.js';

test('parses Go durations as Kuma writes validFor', () => {
  assert.equal(parseGoDuration('720h'), 720 * 3_600_000);
  assert.equal(parseGoDuration('1h30m'), 90 * 60_000);
  assert.equal(parseGoDuration('24h0m0s'), 24 * 3_600_000);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDuration('300ms'), 300);
  assert.equal(parseGoDuration('0'), 0);
});

test('rejects text that is not a Go duration', () => {
  for (const bad of ['', 'h', '10', '10x', '1h 30m', '1d', 'abc']) assert.equal(parseGoDuration(bad), undefined, bad);
});

test('formats like Go prints a Duration', () => {
  assert.equal(formatGoDuration(720 * 3_600_000), '720h0m0s');
  assert.equal(formatGoDuration(90_000), '1m30s');
  assert.equal(formatGoDuration(500), '500ms');
  assert.equal(formatGoDuration(0), '0s');
});
