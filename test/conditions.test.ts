/** Conditions are pure: the value out of a payload, and the state after it, with hysteresis. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractValue, nextState } from '../agent/features/conditions.js';
import type { ConditionConfig } from '../agent/config/subscriber-types.js';

const condition = (c: Partial<ConditionConfig>): ConditionConfig => ({ field: null, above: null, atLeast: null, below: null, atMost: null, equals: null, hysteresis: 0, ...c });

/** Feed values in order and collect the state after each. */
function run(c: ConditionConfig, values: Array<number | string>): boolean[] {
  let state: boolean | undefined;
  return values.map((v) => (state = nextState(c, v, state)));
}

test('atLeast 100 with hysteresis 5: on at 100, stays on down to 95, off below 95 (the classic LED)', () => {
  const c = condition({ atLeast: 100, hysteresis: 5 });
  assert.deepEqual(run(c, [90, 99.9, 100, 101, 97, 95, 94.9, 97, 99, 100]), [false, false, true, true, true, true, false, false, false, true]);
});

test('a value hovering at the threshold switches once, not on every reading', () => {
  const c = condition({ atLeast: 100, hysteresis: 5 });
  const states = run(c, [98, 100, 99, 101, 99, 100, 98, 99, 101]);
  const switches = states.filter((s, i) => i > 0 && s !== states[i - 1]).length;
  assert.equal(switches, 1);
  // without hysteresis the same readings chatter
  const plain = run(condition({ atLeast: 100 }), [98, 100, 99, 101, 99, 100, 98, 99, 101]);
  assert.ok(plain.filter((s, i) => i > 0 && s !== plain[i - 1]).length >= 6);
});

test('above is strict; below and atMost mirror the dead band upwards', () => {
  assert.deepEqual(run(condition({ above: 100 }), [100, 100.1]), [false, true]);
  assert.deepEqual(run(condition({ below: 10, hysteresis: 2 }), [11, 10, 9.9, 11, 12, 12.1]), [false, false, true, true, true, false]);
  assert.deepEqual(run(condition({ atMost: 10, hysteresis: 2 }), [10.5, 10, 12, 12.5]), [false, true, true, false]);
});

test('the first value decides strictly: no previous state means no dead band', () => {
  assert.equal(nextState(condition({ atLeast: 100, hysteresis: 5 }), 97, undefined), false);
  assert.equal(nextState(condition({ atLeast: 100, hysteresis: 5 }), 97, true), true);
});

test('equals compares text, or numbers when the threshold is a number', () => {
  assert.deepEqual(run(condition({ equals: 'OPEN' }), ['OPEN', 'open', 'CLOSED']), [true, false, false]);
  const door = extractValue(condition({ equals: 'OPEN' }), ' OPEN ');
  assert.deepEqual(door, { value: 'OPEN' });
  assert.equal(nextState(condition({ equals: 3 }), 3, undefined), true);
});

test('plain payloads must be numbers; JSON fields are read by dotted path', () => {
  assert.deepEqual(extractValue(condition({ atLeast: 1 }), '100'), { value: 100 });
  assert.deepEqual(extractValue(condition({ atLeast: 1 }), ' -3.5e1 '), { value: -35 });
  assert.deepEqual(extractValue(condition({ atLeast: 1, field: 'value' }), '{"value":101,"unit":"ft"}'), { value: 101 });
  assert.deepEqual(extractValue(condition({ atLeast: 1, field: 'reading.ft' }), '{"reading":{"ft":7}}'), { value: 7 });
  assert.deepEqual(extractValue(null, 'anything'), { value: 'anything' });
});

test('bad payloads are refused with a reason, never a value', () => {
  const reason = (c: ConditionConfig, p: string): string => {
    const r = extractValue(c, p);
    return 'reason' in r ? `${r.reason}: ${r.detail}` : 'accepted';
  };
  assert.match(reason(condition({ atLeast: 1 }), 'high'), /^wrong-type: payload "high" is not a number/);
  assert.match(reason(condition({ atLeast: 1 }), ''), /^wrong-type/);
  assert.match(reason(condition({ atLeast: 1 }), '0x10'), /^wrong-type/);
  assert.match(reason(condition({ atLeast: 1, field: 'value' }), '{"value":'), /^malformed: .*not JSON/);
  assert.match(reason(condition({ atLeast: 1, field: 'value' }), '{"val":1}'), /^wrong-type: payload has no field 'value'/);
  assert.match(reason(condition({ atLeast: 1, field: 'value' }), '{"value":"100"}'), /^wrong-type: field 'value' "100" is not a number/);
  assert.match(reason(condition({ atLeast: 1, field: 'a.b' }), '{"a":[1]}'), /^wrong-type/);
  assert.match(reason(condition({ atLeast: 1, field: 'value' }), '[1,2]'), /^wrong-type/);
});

test('numbers beyond a double are not values: 1e309 and -1e309 are refused, plain or in JSON, never Infinity', () => {
  const reason = (c: ConditionConfig, p: string): string => {
    const r = extractValue(c, p);
    return 'reason' in r ? `${r.reason}: ${r.detail}` : `accepted ${String(r.value)}`;
  };
  for (const text of ['1e309', '-1e309', '+1E400', ' 1e309 ', '9'.repeat(400)]) {
    assert.match(reason(condition({ atLeast: 100 }), text), /^wrong-type: payload ".*"…? is not a finite number$/, text);
    assert.match(reason(condition({ equals: 5 }), text), /^wrong-type/, text);
  }
  assert.match(reason(condition({ atLeast: 1, field: 'ft' }), '{"ft":1e309}'), /^wrong-type: field 'ft' is a number out of range, not a finite number$/);
  assert.match(reason(condition({ equals: 'x', field: 'ft' }), '{"ft":-1e309}'), /^wrong-type: field 'ft' is a number out of range, not text$/);
  assert.match(reason(condition({ atLeast: 1, field: 'ft' }), '{"ft":{"a":1}}'), /^wrong-type: field 'ft' is an object, not a finite number$/);
  // the largest finite numbers are still numbers
  assert.equal(reason(condition({ atLeast: 1 }), '1.7976931348623157e308'), 'accepted 1.7976931348623157e+308');
  assert.equal(reason(condition({ equals: 'Infinity', field: 'v' }), '{"v":"Infinity"}'), 'accepted Infinity', 'text is text');
});

test('a refused payload is quoted with its control characters escaped in the reason', () => {
  const r = extractValue(condition({ atLeast: 1 }), '\u001b[2J\u009b31m\u2028x\u202e');
  assert.ok('reason' in r);
  assert.equal(r.detail, 'payload "\\u001b[2J\\u009b31m\\u2028x\\u202e" is not a number');
});
