/**
 * `edge-agent tail`: subscribe and show the fleet live. On a terminal the screen is redrawn (at
 * most every `refreshMs`); otherwise one plain line per message, fit for pipes and grep.
 */
import { randomBytes } from 'node:crypto';
import { mqtt } from '../mqtt/mqtt-lib.js';
import { systemClock, type Clock } from '../../drivers/clock.js';
import { redactUrl } from '../config/formats.js';
import { Fleet } from './fleet.js';
import { plainLine, renderScreen } from './render.js';

export interface TailOptions {
  broker: string;
  filters: string[];
  /** Redraw a screen (a terminal) or print plain lines. */
  screen: boolean;
  write: (text: string) => void;
  columns?: () => number;
  refreshMs?: number;
  /** Wall-clock time for the ages shown, and the redraw timer. */
  clock?: Clock;
  /** Resolves to stop tailing. */
  until: Promise<void>;
  onError?: (message: string) => void;
}

const CLEAR = '\u001b[H\u001b[2J';

export async function runTail(options: TailOptions): Promise<void> {
  const clock = options.clock ?? systemClock;
  const now = (): number => clock.wallNow();
  const fleet = new Fleet();
  const broker = redactUrl(options.broker);
  const filterText = options.filters.join(' ');
  // A random id and a clean session: a viewer must never take over an agent's session.
  const client = mqtt.connect(options.broker, { clientId: `edge-agent-tail-${randomBytes(4).toString('hex')}`, clean: true, reconnectPeriod: 2000 });
  let lastError = '';
  client.on('error', (error) => {
    if (error.message === lastError) return;
    lastError = error.message;
    options.onError?.(`${broker}: ${error.message}`);
  });
  client.on('connect', () => {
    lastError = '';
    client.subscribe(options.filters, { qos: 0 }, (error) => {
      if (error) options.onError?.(`subscribe failed: ${error.message}`);
    });
  });

  let dirty = true;
  const draw = (): void => {
    if (!dirty) return;
    dirty = false;
    options.write(CLEAR + renderScreen(fleet, now(), filterText, broker, options.columns?.() ?? 100).join('\n') + '\n');
  };
  client.on('message', (topic, payload, packet) => {
    const at = now();
    const text = payload.toString('utf8');
    fleet.ingest(topic, text, at, packet.retain);
    if (options.screen) dirty = true;
    else options.write(plainLine(topic, text, at, fleet) + '\n');
  });

  // Ages change even when nothing arrives: redraw on a timer, not only on messages.
  const refresh = new AbortController();
  const redraw = async (ms: number): Promise<void> => {
    for (;;) {
      await clock.sleep(ms, refresh.signal);
      dirty = true;
      draw();
    }
  };
  if (options.screen) {
    draw();
    redraw(options.refreshMs ?? 500).catch(() => undefined); // ends when aborted
  }
  await options.until;
  refresh.abort();
  await client.endAsync();
}
