/**
 * Subscriber mode (roles subscriber and both): the features that react to messages (outputs,
 * inputs, rules, commands) around one inbox, and the GPIO they share. Built before the session
 * connects (the inbox's route is in place for a persistent session's queue), started in this order
 * and stopped in the reverse one: no new messages (those arriving now stay unacknowledged, for the
 * broker to deliver again) → rules and commands → inputs → outputs to their safe states (and said
 * so, retained) → pins released.
 */
import type { Clock } from '../../drivers/clock.js';
import type { GpioBackend } from '../../drivers/gpio/gpio.js';
import type { AgentConfig, SubscriptionConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { Router } from '../mqtt/router.js';
import type { Transport } from '../mqtt/transport.js';
import { Commands } from './commands.js';
import type { Feature } from './feature.js';
import { openGpio } from './gpio.js';
import { Inbox } from './inbox.js';
import { Inputs } from './inputs.js';
import { Outputs } from './outputs.js';
import { Rules } from './rules.js';

export interface SubscriberModeOptions {
  config: AgentConfig;
  session: Transport;
  router: Router;
  clock: Clock;
  logger: Logger;
  /** Already-opened GPIO (tests, the demo); otherwise opened from the config when pins are used. */
  gpio?: GpioBackend;
}

export interface SubscriberMode {
  /** In start order. */
  features: Feature[];
  /** Counters for the `stats` command: messages received, handled, dropped by reason; rules, outputs, inputs, commands. */
  stats(): Record<string, unknown>;
}

export function subscriberMode(options: SubscriberModeOptions): SubscriberMode {
  const { config, session, router, clock, logger } = options;
  const gpio = options.gpio ?? lazyGpio(() => openGpio(config, clock));
  const outputs = new Outputs({ outputs: config.outputs, gpio, sink: session, clock, logger: logger.child('output') });
  const inputs = new Inputs({ inputs: config.inputs, gpio, sink: session, logger: logger.child('input') });
  const rules = new Rules({ rules: config.rules, deviceId: config.deviceId, outputs, sink: session, clock, logger: logger.child('rule') });
  const stats = (): Record<string, unknown> => ({ messages: inbox.stats, rules: rules.stats, outputs: outputs.stats, inputs: inputs.stats, commands: commands?.stats });
  const commands = config.commands.enabled ? new Commands({ config: config.commands, outputs, inputs, sink: session, logger: logger.child('command'), stats }) : undefined;
  const inbox = new Inbox({ maxBytes: config.messages.maxBytes, outputs, rules, commands, logger: logger.child('inbox'), clock });
  // The inbox's verdict decides the acknowledgement: nothing is acknowledged that it did not take.
  // Until a message is handled the session reads no further packet (agent/mqtt/session.ts), so
  // nothing may wait for the broker (a SUBACK, a PUBACK) while a message waits here: not the
  // handling itself (its publishes are not awaited), and nothing in the agent's start before the
  // inbox starts, as messages of a persistent session wait for it.
  const subscriptions: SubscriptionConfig[] = [
    ...rules.subscriptions(),
    ...outputs.setTopics.map((topic) => ({ topic, qos: 1 as const })),
    ...(commands ? [{ topic: commands.topic, qos: 1 as const }] : []),
  ];
  router.route('subscriber', subscriptions, (topic, payload) => inbox.receive(topic, payload));
  router.otherwise(inbox);
  session.onConnect(() => void outputs.announceAll(), outputs.name);
  const releasePins: Feature = {
    name: 'gpio',
    start: async () => undefined,
    stop: () => gpio.close().catch((error: unknown) => logger.error('could not release the GPIO pins', { error: error instanceof Error ? error.message : String(error) })),
  };
  // The inbox last: messages that arrived meanwhile are handled once the outputs are claimed.
  return { features: [releasePins, outputs, inputs, rules, ...(commands ? [commands] : []), inbox], stats };
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
