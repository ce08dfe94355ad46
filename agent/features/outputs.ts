/**
 * GPIO outputs (LEDs, relays). Each pin is claimed at its safe state (`initial`), so a relay never
 * switches on at boot ("my boiler will fire itself up"), and driven back to it on stop before the
 * pins are released. After every change the state is published, retained, on the output's state
 * topic; the output's set topic takes ON, OFF, TOGGLE or {"state":"ON","ms":500}.
 *
 * Changes to one output are applied in order, and a timed change (pulse, {"ms"}) is cancelled by
 * any later command for the same output, so a late timer never undoes what someone asked since.
 */
import type { Clock } from '../../drivers/clock.js';
import type { GpioBackend, OutputPin } from '../../drivers/gpio/gpio.js';
import type { OutputConfig } from '../config/subscriber-types.js';
import type { Logger } from '../log/logger.js';
import type { Feature } from './feature.js';
import { publishQuietly, type MessageSink } from './message-sink.js';

export type SetCommand = 'on' | 'off' | 'toggle';

export interface OutputsOptions {
  outputs: OutputConfig[];
  gpio: GpioBackend;
  sink: MessageSink;
  clock: Clock;
  logger: Logger;
}

interface Output {
  config: OutputConfig;
  pin: OutputPin | undefined;
  active: boolean;
  chain: Promise<void>;
  timer: AbortController | undefined;
}

export const stateText = (active: boolean): 'ON' | 'OFF' => (active ? 'ON' : 'OFF');

/** Parse what arrives on a set topic; null when it is none of the accepted forms. */
export function parseSetPayload(text: string): { command: SetCommand; ms: number | null } | null {
  const word = text.trim().toUpperCase();
  if (word === 'ON' || word === 'OFF' || word === 'TOGGLE') return { command: word.toLowerCase() as SetCommand, ms: null };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null) return null;
  const { state, ms } = body as { state?: unknown; ms?: unknown };
  const command = typeof state === 'string' ? state.trim().toLowerCase() : '';
  if (command !== 'on' && command !== 'off' && command !== 'toggle') return null;
  if (ms === undefined || ms === null) return { command, ms: null };
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 1 || ms > 86_400_000) return null;
  return { command, ms };
}

export class Outputs implements Feature {
  readonly name = 'outputs';
  readonly stats = { changes: 0, publishFailures: 0 };
  private readonly outputs = new Map<string, Output>();
  private stopped = false;

  constructor(private readonly options: OutputsOptions) {
    for (const config of options.outputs) {
      this.outputs.set(config.name, { config, pin: undefined, active: config.initial === 'on', chain: Promise.resolve(), timer: undefined });
    }
  }

  get names(): string[] {
    return [...this.outputs.keys()];
  }

  has(name: string): boolean {
    return this.outputs.has(name);
  }

  state(name: string): boolean | undefined {
    return this.outputs.get(name)?.active;
  }

  /** The output whose set topic this is, if any. */
  bySetTopic(topic: string): string | undefined {
    for (const output of this.outputs.values()) if (output.config.setTopic === topic) return output.config.name;
    return undefined;
  }

  get setTopics(): string[] {
    return [...this.outputs.values()].map((o) => o.config.setTopic);
  }

  /** Claim every pin at its safe state, then publish the states. */
  async start(): Promise<void> {
    for (const output of this.outputs.values()) {
      const { name, pin, activeLow, initial } = output.config;
      output.pin = await this.options.gpio.output(pin, { activeLow, initial: initial === 'on' });
      this.options.logger.info(`output ${name} ${stateText(output.active)} (safe state)`, { pin, activeLow });
      this.announce(output);
    }
  }

  /**
   * Set an output; with `ms`, the opposite state follows after ms (a pulse is `on` with ms).
   * Resolves with the new state once it is on the pin. Throws for an unknown output.
   */
  set(name: string, command: SetCommand, source: string, ms: number | null = null): Promise<boolean> {
    const output = this.outputs.get(name);
    if (!output) return Promise.reject(new Error(`unknown output '${name}'`));
    // Once stopped, the outputs stay at their safe states: a late message must not move them.
    if (this.stopped) return Promise.reject(new Error(`output '${name}' is stopped (the agent is shutting down)`));
    output.timer?.abort();
    output.timer = undefined;
    const run = output.chain.then(async () => {
      // Again here: a timed change queued before this one may have started its timer meanwhile.
      output.timer?.abort();
      output.timer = undefined;
      const target = command === 'toggle' ? !output.active : command === 'on';
      await this.write(output, target, source);
      if (ms !== null) this.revertAfter(output, ms, source);
      return target;
    });
    output.chain = run.then(() => undefined, () => undefined);
    return run;
  }

  /** Drive every output to its safe state (pins stay claimed: the GPIO backend releases them). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const pending: Array<Promise<void>> = [];
    for (const output of this.outputs.values()) {
      output.timer?.abort();
      await output.chain;
      if (!output.pin) continue;
      const safe = output.config.initial === 'on';
      try {
        await output.pin.write(safe);
        if (output.active !== safe) this.options.logger.info(`output ${output.config.name} ${stateText(safe)} (safe state on shutdown)`);
        output.active = safe;
      } catch (error) {
        this.options.logger.error('could not set the safe state on shutdown', { output: output.config.name, error: error instanceof Error ? error.message : String(error) });
      }
      pending.push(this.announce(output));
    }
    await Promise.all(pending);
  }

  private async write(output: Output, active: boolean, source: string): Promise<void> {
    if (!output.pin) throw new Error(`output '${output.config.name}' is not started`);
    await output.pin.write(active);
    const changed = output.active !== active;
    output.active = active;
    if (changed) {
      this.stats.changes++;
      this.options.logger.info(`output ${output.config.name} ${stateText(active)}`, { by: source });
    }
    // Published even when unchanged: the retained state is then confirmed after every command.
    void this.announce(output);
  }

  private revertAfter(output: Output, ms: number, source: string): void {
    const timer = new AbortController();
    output.timer = timer;
    const target = !output.active;
    this.options.clock.sleep(ms, timer.signal).then(
      () => {
        if (output.timer !== timer) return;
        output.timer = undefined;
        output.chain = output.chain.then(() => this.write(output, target, `${source} after ${ms} ms`)).catch((error: unknown) =>
          this.options.logger.error('timed output change failed', { output: output.config.name, error: error instanceof Error ? error.message : String(error) }),
        );
      },
      () => undefined,
    );
  }

  /** Every claimed output's state again: after a reconnect, the broker's retained copy may be stale. */
  async announceAll(): Promise<void> {
    for (const output of this.outputs.values()) if (output.pin) await this.announce(output);
  }

  /**
   * QoS 0, retained. Measured (`npm run bench`, latency): at QoS 1 the broker's PUBACK for each state
   * change sits unacknowledged in the subscriber's delayed-ACK window, and Mosquitto's Nagle holds
   * the next reading behind it: reactions took 9 ms (p50) / 20 ms (p99) instead of 0.4 / 1 ms. A
   * state lost with a dropped connection is published again on reconnect (`announceAll`), and one
   * changed while the broker is away waits for that instead of filling mqtt.js's offline queue.
   */
  private announce(output: Output): Promise<void> {
    if (this.options.sink.connected === false) return Promise.resolve();
    return publishQuietly(this.options.sink, output.config.stateTopic, stateText(output.active), { qos: 0, retain: true }, (error) => {
      this.stats.publishFailures++;
      this.options.logger.warn('could not publish output state', { output: output.config.name, error });
    });
  }
}
