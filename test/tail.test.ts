/** `edge-agent tail`: the fleet model and the screen from recorded messages, and plain mode live. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { Fleet, parseReading, parseSample } from '../agent/tail/fleet.js';
import { age, plainLine, renderScreen, sparkline } from '../agent/tail/render.js';
import { startAgent } from './helpers/agent-process.js';
import { findBinary, useMosquitto } from './helpers/mosquitto.js';

const T0 = Date.UTC(2026, 10, 24, 10, 0, 0);

/** What a broker delivered during a short flight, as (ms after T0, topic, payload, retained). */
const RECORDED: Array<[number, string, string, boolean?]> = [
  [0, 'sensors/drone01/status', 'online', true],
  [0, 'sensors/bbb01/status', 'offline', true],
  [0, 'sensors/drone01/pressure', '{"value":1013.2,"unit":"hPa","ts":"2026-11-24T09:59:59.000Z","seq":1}', true],
  [1000, 'sensors/drone01/altitude', '0'],
  [2000, 'sensors/drone01/altitude', '25'],
  [3000, 'sensors/drone01/altitude', '70'],
  [4000, 'sensors/drone01/altitude', '100'],
  [4000, 'sensors/drone01/temperature', '{"value":19.8,"unit":"°C","ts":"2026-11-24T10:00:04.000Z","seq":4}'],
  [5000, 'sensors/drone01/health', JSON.stringify({
    deviceId: 'drone01', ts: '2026-11-24T10:00:05.000Z', uptimeS: 125, connected: true, reconnects: 1,
    readings: { taken: 375, published: 375, acknowledged: 370, buffered: 5, dropped: { queueFull: 0, expired: 0, offline: 2 } },
    queue: { bytes: 600, records: 5 }, sensors: { altimeter: { samples: 125, errors: 3, lastError: 'EIO' } }, lastError: 'EIO',
  })],
  [5500, 'sensors/drone01/note', 'not a number\nwith a newline'],
];

function recordedFleet(): Fleet {
  const fleet = new Fleet();
  for (const [dt, topic, payload, retained] of RECORDED) fleet.ingest(topic, payload, T0 + dt, retained ?? false);
  return fleet;
}

describe('tail: fleet model and rendering', () => {
  it('renders the screen snapshot from recorded messages', () => {
    const screen = renderScreen(recordedFleet(), T0 + 8000, 'sensors/#', 'mqtt://127.0.0.1:1883', 140);
    assert.deepEqual(screen, [
      'edge-agent tail  mqtt://127.0.0.1:1883  sensors/#  (4 topics, Ctrl-C to quit)',
      '',
      'TOPIC                        VALUE           AGE    RECENT',
      'sensors/drone01/altitude     100             4s     ▁▃▆█',
      'sensors/drone01/note         not a number …  2s',
      'sensors/drone01/pressure     1013.2 hPa      8sr    ▄',
      'sensors/drone01/temperature  19.8 °C         4s     ▄',
      '',
      'AGENTS',
      'bbb01            offline',
      'drone01          online    up 2m  readings 375  acked 370  queued 5  dropped 2  reconnects 1  altimeter errors 3  (health 3s ago)',
    ]);
  });

  it('cuts lines to the terminal width', () => {
    const screen = renderScreen(recordedFleet(), T0 + 8000, 'sensors/#', 'mqtt://127.0.0.1:1883', 60);
    for (const line of screen) assert.ok([...line].length <= 60, line);
    assert.match(screen.at(-1)!, /…$/);
  });

  it('keeps a unit learnt from JSON when the same topic later carries plain numbers', () => {
    const fleet = new Fleet();
    fleet.ingest('sensors/d/pressure', '{"value":1000,"unit":"hPa"}', T0);
    fleet.ingest('sensors/d/pressure', '1001', T0 + 1);
    assert.equal(fleet.rows.get('sensors/d/pressure')!.unit, 'hPa');
    assert.deepEqual(fleet.rows.get('sensors/d/pressure')!.history, [1000, 1001]);
  });

  it('parses plain and JSON payloads, and shows anything else as bounded one-line text', () => {
    assert.deepEqual(parseReading('100'), { value: 100, unit: '' });
    assert.deepEqual(parseReading('{"value":-3.5,"unit":"°F","seq":2}'), { value: -3.5, unit: '°F' });
    assert.deepEqual(parseReading('{"value":"x"}'), { value: '{"value":"x"}', unit: '' });
    assert.equal(parseReading('a\u0007b\nc').value, 'a b c');
    assert.equal([...String(parseReading('y'.repeat(500)).value)].length, 41);
  });

  it('shows a per-sample message as one row per measurement, each with its own history, and one plain line', () => {
    const fleet = new Fleet();
    const first = '{"ts":1795514400000,"seq":7,"temperature":21.5,"pressure":1013.25,"altitude":120}';
    fleet.ingest('sensors/pi01/env', first, T0);
    fleet.ingest('sensors/pi01/env', '{"ts":1795514401000,"seq":8,"temperature":21.75,"altitude":121}', T0 + 1000);
    assert.deepEqual([...fleet.rows.keys()], ['sensors/pi01/env temperature', 'sensors/pi01/env pressure', 'sensors/pi01/env altitude']);
    assert.deepEqual(fleet.rows.get('sensors/pi01/env temperature')!.history, [21.5, 21.75]);
    assert.deepEqual(fleet.rows.get('sensors/pi01/env pressure')!.history, [1013.25], 'a measurement held back keeps its last value');
    const screen = renderScreen(fleet, T0 + 2000, 'sensors/#', 'mqtt://b', 100);
    assert.deepEqual(screen.slice(2), [
      'TOPIC                         VALUE           AGE    RECENT',
      'sensors/pi01/env altitude     121             1s     ▁█',
      'sensors/pi01/env pressure     1013.25         2s     ▄',
      'sensors/pi01/env temperature  21.75           1s     ▁█',
    ]);
    assert.equal(plainLine('sensors/pi01/env', first, T0, fleet), '2026-11-24T10:00:00.000Z sensors/pi01/env temperature=21.5 pressure=1013.25 altitude=120 seq=7');
  });

  it('takes only what looks like a per-sample message as one: anything else stays one bounded row', () => {
    assert.deepEqual(parseSample('{"ts":1,"seq":2,"temperature":20}'), { seq: 2, fields: [['temperature', 20]] });
    const notSamples = [
      '{"value":1,"seq":2,"unit":"hPa"}', // the json format
      '{"ts":1,"temperature":20}', // no seq
      '{"ts":1,"seq":2}', // nothing measured
      '{"ts":1,"seq":2,"temperature":"20"}',
      '{"ts":1,"seq":2,"\u001b[2J":1}', // a name a terminal would act on
      '{"ts":1,"seq":2,"__proto__":1,"x y":2}',
      `{"ts":1,"seq":2,${Array.from({ length: 40 }, (_, i) => `"f${i}":${i}`).join(',')}}`, // a flood of rows
      '[1,2]', 'null', '{"seq":2,"t":1', '{"ts":1,"seq":2,"t":1e999}',
    ];
    for (const payload of notSamples) {
      assert.equal(parseSample(payload), undefined, payload);
      const fleet = new Fleet();
      fleet.ingest('x/y', payload, T0);
      assert.deepEqual([...fleet.rows.keys()], ['x/y'], payload);
    }
  });

  it('draws sparklines between the values\' own min and max, and short ages', () => {
    assert.equal(sparkline([0, 7]), '▁█');
    assert.equal(sparkline([5, 5, 5]), '▄▄▄');
    assert.equal(sparkline([]), '');
    assert.deepEqual([0, 59_999, 60_000, 3_600_000, 90_000_000].map(age), ['0s', '59s', '1m', '1h', '1d']);
  });

  it('writes one plain line per message with the value and unit it understood', () => {
    const fleet = new Fleet();
    fleet.ingest('sensors/d/temperature', '{"value":21.5,"unit":"°C"}', T0);
    assert.equal(plainLine('sensors/d/temperature', '{"value":21.5,"unit":"°C"}', T0, fleet), '2026-11-24T10:00:00.000Z sensors/d/temperature 21.5 °C');
    fleet.ingest('sensors/d/status', 'online', T0);
    assert.equal(plainLine('sensors/d/status', 'online', T0, fleet), '2026-11-24T10:00:00.000Z sensors/d/status online');
  });
});

describe('tail against Mosquitto (plain mode: stdout is a pipe)', () => {
  const mosquitto = useMosquitto();

  it('prints retained and live messages as lines, then exits 0 on SIGINT', async () => {
    const pub = (topic: string, message: string, retain = false): void => {
      const result = spawnSync(findBinary('mosquitto_pub'), ['-h', '127.0.0.1', '-p', String(mosquitto.broker.port), '-t', topic, '-m', message, ...(retain ? ['-r'] : [])]);
      assert.equal(result.status, 0, String(result.stderr));
    };
    pub('sensors/drone09/status', 'online', true);
    const tail = startAgent(['tail', '--broker', mosquitto.broker.url, 'sensors/#']);
    try {
      await tail.waitFor(/sensors\/drone09\/status online/);
      pub('sensors/drone09/altitude', '100');
      pub('sensors/drone09/pressure', '{"value":1009.59,"unit":"hPa","seq":7}');
      await tail.waitFor(/sensors\/drone09\/pressure 1009\.59 hPa/);
      assert.match(tail.output(), /^\d{4}-\d\d-\d\dT[\d:.]+Z sensors\/drone09\/altitude 100$/m);
      assert.doesNotMatch(tail.output(), /\u001b\[/, 'no terminal escapes in plain mode');
    } finally {
      tail.child.kill('SIGINT');
    }
    assert.equal(await tail.exited, 0);
  });
});
