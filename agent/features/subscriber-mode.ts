/**
 * Subscriber mode (roles subscriber and both): outputs, inputs, rules and commands around one
 * inbox, started after the broker session exists and stopped before it closes. Stop order: no new
 * messages (those arriving now stay unacknowledged, for the broker to deliver again) → outputs to
 * their safe states (and said so, retained) → pins released.
 */
import type { Clock } from '../../drivers/clock.js';
import type { GpioBackend } from '../../drivers/gpio/gpio.js';
import { Commands } from './commands.js';
import type { AgentConfig, SubscriptionConfig } from '../config/types.js';
import { openGpio } from './gpio.js';
import { Inbox } from './inbox.js';
import { Inputs } from './inputs.js';
import type { Logger } from '../log/logger.js';
import type { Router } from '../mqtt/router.js';
import type { MqttSession } from '../mqtt/session.js';
import { Outputs } from './outputs.js';
import { Rules } from './rules.js';

export interface SubscriberModeOptions {
  config: AgentConfig;
  session: MqttSession;
  router: Router;
  clock: Clock;
  logger: Logger;
  /** Already-opened GPIO (tests, the demo); otherwise opened from the config when pins are used. */
  gpio?: GpioBackend;
}

/** Resolves after `ms` at most: shutdown must not hang on a broker that is gone. */
function bounded(work: Promise<unknown>, ms: number): Promise<void> {
  return Promise.race([work.then(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
}

export class SubscriberMode {
  private gpio: GpioBackend | undefined;
  private outputsPart: Outputs | undefined;
  private inputsPart: Inputs | undefined;
  private rulesPart: Rules | undefined;
  private commandsPart: Commands | undefined;
  private inbox: Inbox | undefined;

  constructor(private readonly options: SubscriberModeOptions) {}

  get outputs(): Outputs | undefined {
    return this.outputsPart;
  }

  /** Counters for a health topic: messages received, handled, dropped by reason; rules, outputs, commands. */
  stats(): Record<string, unknown> {
    return {
      messages: this.inbox?.stats,
      rules: this.rulesPart?.stats,
      outputs: this.outputsPart?.stats,
      inputs: this.inputsPart?.stats,
      commands: this.commandsPart?.stats,
    };
  }

  /**
   * Build the parts and take messages from the session. Call before the session starts: a
   * persistent session delivers what was queued as soon as it connects.
   */
  attach(): void {
    const { config, session, clock, logger } = this.options;
    const gpio = this.options.gpio ?? lazyGpio(() => openGpio(config, clock));
    this.gpio = gpio;
    this.outputsPart = new Outputs({ outputs: config.outputs, gpio, sink: session, clock, logger: logger.child('output') });
    this.inputsPart = new Inputs({ inputs: config.inputs, gpio, sink: session, logger: logger.child('input') });
    this.rulesPart = new Rules({ rules: config.rules, deviceId: config.deviceId, outputs: this.outputsPart, sink: session, clock, logger: logger.child('rule') });
    if (config.commands.enabled) {
      this.commandsPart = new Commands({ config: config.commands, outputs: this.outputsPart, inputs: this.inputsPart, sink: session, logger: logger.child('command'), stats: () => this.stats() });
    }
    this.inbox = new Inbox({ maxBytes: config.messages.maxBytes, outputs: this.outputsPart, rules: this.rulesPart, commands: this.commandsPart, logger: logger.child('inbox'), clock });
    const inbox = this.inbox;
    // The inbox's verdict decides the acknowledgement: nothing is acknowledged that it did not take.
    // Until a message is handled the session reads no further packet (agent/mqtt/session.ts), so
    // nothing may wait for the broker (a SUBACK, a PUBACK) while a message waits here: not the
    // handling itself (its publishes are not awaited) and nothing in the agent's start before
    // start() below, as messages of a persistent session wait for it.
    const subscriptions: SubscriptionConfig[] = [
      ...this.rulesPart.subscriptions(),
      ...this.outputsPart.setTopics.map((topic) => ({ topic, qos: 1 as const })),
      ...(this.commandsPart ? [{ topic: this.commandsPart.topic, qos: 1 as const }] : []),
    ];
    this.options.router.route('subscriber', subscriptions, (topic, payload) => inbox.receive(topic, payload));
    this.options.router.otherwise(inbox);
    const outputs = this.outputsPart;
    session.onConnect(() => void outputs.announceAll());
  }

  async start(): Promise<void> {
    if (!this.inbox) this.attach();
    await this.outputsPart!.start();
    await this.inputsPart!.start();
    this.inbox!.start();
  }

  async stop(timeoutMs = 2000): Promise<void> {
    // From here on a message is left unacknowledged (the broker delivers it again to a persistent
    // session); the one being handled finishes before the outputs go to their safe states.
    this.inbox?.close();
    if (this.inbox) await bounded(this.inbox.drained(), timeoutMs / 2);
    this.inbox?.logHeldBack();
    this.inputsPart?.stop();
    if (this.outputsPart) await bounded(this.outputsPart.stop(), timeoutMs / 2);
    await this.gpio?.close().catch((error: unknown) => this.options.logger.error('could not release the GPIO pins', { error: error instanceof Error ? error.message : String(error) }));
  }
}

/** A backend opened on first use: a subscriber without outputs or inputs never touches GPIO. */
function lazyGpio(open: () => Promise<GpioBackend>): GpioBackend {
  let backend: Promise<GpioBackend> | undefined;
  const get = (): Promise<GpioBackend> => (backend ??= open());
  return {
    output: async (pin, options) => (await get()).output(pin, options),
    input: async (pin, options) => (await get()).input(pin, options),
    close: async () => {
      // A backend that never opened has nothing to release (its error was reported at start).
      if (backend) await backend.then((opened) => opened.close(), () => undefined);
    },
  };
}
