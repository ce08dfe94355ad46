/**
 * The split of MQTT packet identifiers between mqtt.js and the agent's own QoS 1 publishes
 * (agent/mqtt/packet-ids.ts): the two ranges never meet, an identifier still waiting is never
 * handed out again, and every publish is answered exactly once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentAcks, FIRST_AGENT_ID, LAST_AGENT_ID, MqttJsPacketIds, PublishRefused } from '../agent/mqtt/packet-ids.js';

describe('packet identifiers', () => {
  it("mqtt.js's allocator stays below the agent's range, wrapping back to 1", () => {
    const ids = new MqttJsPacketIds();
    const seen = new Set<number>();
    for (let i = 0; i < 40_000; i++) {
      const id = ids.allocate();
      assert.ok(id >= 1 && id < FIRST_AGENT_ID, `id ${id}`);
      seen.add(id);
      assert.equal(ids.getLastAllocated(), id);
    }
    assert.equal(seen.size, FIRST_AGENT_ID - 1, 'every identifier of its range is used in turn');
  });

  it('the agent allocates within its range, skips identifiers still waiting, and answers each publish once', () => {
    const acks = new AgentAcks();
    const answers = new Map<number, Array<Error | undefined>>();
    const allocate = (): number => {
      const record: Array<Error | undefined> = [];
      const id = acks.allocate((error) => record.push(error));
      answers.set(id, record);
      return id;
    };
    const first = allocate();
    assert.equal(first, FIRST_AGENT_ID);
    // Go round the whole range once with `first` still waiting: it is stepped over, never reused.
    for (let i = 1; i < LAST_AGENT_ID - FIRST_AGENT_ID + 1; i++) {
      const id = allocate();
      assert.ok(id > FIRST_AGENT_ID && id <= LAST_AGENT_ID, `id ${id}`);
      acks.acknowledged(id, 0);
    }
    assert.equal(acks.pending, 1);
    const next = allocate();
    assert.notEqual(next, first, 'the one still waiting is not handed out again');
    assert.equal(next, FIRST_AGENT_ID + 1);
    acks.acknowledged(next, 0x87);
    const refused = answers.get(next)![0];
    assert.ok(refused instanceof PublishRefused && refused.code === 0x87 && /Not authorized/.test(refused.message));
    acks.acknowledged(next, 0); // a second PUBACK for the same identifier: ignored
    assert.equal(answers.get(next)!.length, 1, 'answered once');
    acks.abandon(new Error('connection lost'));
    assert.deepEqual(answers.get(first)!.map((e) => e?.message), ['connection lost']);
    assert.equal(acks.pending, 0);
    assert.equal(acks.free, LAST_AGENT_ID - FIRST_AGENT_ID + 1);
  });

  it('refuses to allocate when every identifier waits, and a released one is free again without an answer', () => {
    const acks = new AgentAcks();
    let answered = 0;
    let last = 0;
    while (acks.free > 0) last = acks.allocate(() => answered++);
    assert.throws(() => acks.allocate(() => undefined), /no packet identifier is free/);
    acks.release(last);
    assert.equal(acks.free, 1);
    assert.equal(acks.allocate(() => undefined), last);
    assert.equal(answered, 0);
  });
});
