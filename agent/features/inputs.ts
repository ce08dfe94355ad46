/**
 * GPIO inputs (buttons, switches): each pin is claimed with its debounce time, its state is
 * published (retained ON/OFF) at start and after every debounced change, and each change of the
 * configured kind (`edge`) also goes out as an edge event ("rising" = became active, "falling"), not retained.
 */
import type { GpioBackend, InputPin } from '../../drivers/gpio/gpio.js';
import type { InputConfig } from '../config/subscriber-types.js';
import type { Logger } from '../log/logger.js';
import type { Feature } from './feature.js';
import { publishQuietly, type MessageSink } from './message-sink.js';
import { stateText } from './outputs.js';

export interface InputsOptions {
  inputs: InputConfig[];
  gpio: GpioBackend;
  sink: MessageSink;
  logger: Logger;
}

export class Inputs implements Feature {
  readonly name = 'inputs';
  readonly stats = { edges: 0 };
  private readonly states = new Map<string, boolean>();
  private readonly unwatch: Array<() => void> = [];
  private readonly pins: Array<{ config: InputConfig; pin: InputPin }> = [];

  constructor(private readonly options: InputsOptions) {}

  state(name: string): boolean | undefined {
    return this.states.get(name);
  }

  get names(): string[] {
    return this.options.inputs.map((i) => i.name);
  }

  async start(): Promise<void> {
    for (const config of this.options.inputs) {
      // Every change is watched so the retained state stays true; `edge` only filters the edge events.
      const pin = await this.options.gpio.input(config.pin, { activeLow: config.activeLow, edge: 'both', debounceMs: config.debounceMs });
      this.pins.push({ config, pin });
      const active = await pin.read();
      this.states.set(config.name, active);
      this.options.logger.info(`input ${config.name} ${stateText(active)}`, { pin: config.pin });
      this.publish(config.stateTopic, stateText(active), true);
      this.unwatch.push(pin.watch((now) => this.changed(config, now)));
    }
  }

  async stop(): Promise<void> {
    for (const stop of this.unwatch.splice(0)) stop();
  }

  private changed(config: InputConfig, active: boolean): void {
    this.states.set(config.name, active);
    this.stats.edges++;
    const edge = active ? 'rising' : 'falling';
    this.options.logger.info(`input ${config.name} ${stateText(active)}`, { edge });
    this.publish(config.stateTopic, stateText(active), true);
    if (config.edge === 'both' || config.edge === edge) this.publish(config.edgeTopic, edge, false);
  }

  private publish(topic: string, payload: string, retain: boolean): void {
    void publishQuietly(this.options.sink, topic, payload, { qos: 1, retain }, (error) => this.options.logger.warn('could not publish input state', { topic, error }));
  }
}
