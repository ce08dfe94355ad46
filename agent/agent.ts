/**
 * The composition root: builds the pieces from the config and starts and stops them in order.
 * Start: hardware → sensors → broker session → subscriptions → sampling. Stop: sampling (in-flight
 * reads finish) → pending acknowledgements → `offline` → session → bus.
 */
import { systemClock, type Clock } from '../drivers/clock.js';
import type { AgentConfig } from './config/types.js';
import { openHardware, type Hardware } from './hardware.js';
import type { Logger } from './logger.js';
import { MqttSession } from './mqtt-session.js';
import { Publisher } from './publisher.js';
import { Sampler, type ReadingSink } from './sampler.js';
import { Scheduler } from './scheduler.js';
import { Subscriber } from './subscriber.js';

export interface AgentOptions {
  config: AgentConfig;
  logger: Logger;
  clock?: Clock;
  /** Already-opened hardware (tests, the demo); otherwise opened from the config. */
  hardware?: Hardware;
  /** Log every sample at info level (the demo does, a service does not). */
  logReadings?: boolean;
  /** Called after every sampling tick: the systemd watchdog's proof that the loop is alive. */
  onTick?: () => void;
}

export class Agent {
  readonly config: AgentConfig;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private hardware: Hardware | undefined;
  private session: MqttSession | undefined;
  private publisher: Publisher | undefined;
  private subscriber: Subscriber | undefined;
  private scheduler: Scheduler | undefined;
  private readonly samplers: Sampler[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: AgentOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
  }

  get samples(): readonly Sampler[] {
    return this.samplers;
  }

  get publishing(): Publisher | undefined {
    return this.publisher;
  }

  async start(): Promise<void> {
    const { config, logger } = this;
    const samples = config.role !== 'subscriber' && config.sensors.length > 0;
    logger.info('starting', { deviceId: config.deviceId, board: config.board, role: config.role, hardware: config.i2c.simulated ? 'simulated' : `/dev/i2c-${config.i2c.bus}` });

    if (samples) {
      this.hardware = this.options.hardware ?? (await openHardware(config, this.clock));
    }

    this.session = new MqttSession(config.mqtt, logger.child('mqtt'));
    this.publisher = new Publisher(this.session, config.deviceId, logger.child('publish'));

    if (this.hardware) {
      const sink = this.readingSink(this.publisher);
      for (const { config: sensorConfig, sensor } of this.hardware.sensors) {
        const sampler = new Sampler(sensorConfig, sensor, this.clock, sink, logger.child('sensor'));
        this.samplers.push(sampler);
        // A sensor that fails to come up is retried by its sampler on every tick.
        await sampler.init().catch((error: unknown) =>
          logger.error('sensor failed to start, will retry', { sensor: sensorConfig.name, error: error instanceof Error ? error.message : String(error) }),
        );
      }
    }

    this.session.start();
    if (config.role !== 'publisher' && config.subscriptions.length > 0) {
      this.subscriber = new Subscriber(config.subscriptions, this.session, logger.child('subscribe'));
      await this.subscriber.start();
    }

    this.scheduler = new Scheduler(this.clock, {
      onSkip: (task, skipped) => logger.warn('sensor read overran its interval, ticks skipped', { sensor: task, skipped }),
      onError: (task, error) => logger.error('task failed', { task, error: error instanceof Error ? error.message : String(error) }),
    });
    const onTick = this.options.onTick;
    for (const sampler of this.samplers) {
      this.scheduler.start(onTick ? { name: sampler.name, intervalMs: sampler.intervalMs, run: () => sampler.run().finally(onTick) } : sampler);
    }
  }

  /** Resolves when the broker session is up. */
  connected(): Promise<void> {
    if (!this.session) throw new Error('agent not started');
    return this.session.ready();
  }

  stop(deadlineMs = 5000): Promise<void> {
    this.stopping ??= this.shutdown(deadlineMs);
    return this.stopping;
  }

  private readingSink(publisher: Publisher): ReadingSink {
    const logReadings = this.options.logReadings ?? false;
    const logger = this.logger.child('sample');
    return (readings) => {
      if (logReadings && readings.length > 0) {
        const first = readings[0]!.reading;
        logger.info(`${first.sensor}: ${readings.map(({ reading: r }) => `${r.measurement} ${r.value} ${r.unit}`).join(', ')}`, { seq: first.seq });
      }
      for (const { reading, measurement } of readings) publisher.publish(reading, measurement);
    };
  }

  private async shutdown(deadlineMs: number): Promise<void> {
    const started = Date.now();
    const left = (): number => Math.max(100, deadlineMs - (Date.now() - started));
    this.logger.info('stopping');
    await this.scheduler?.stop();
    if (this.publisher && !(await this.publisher.drain(left() / 2))) {
      this.logger.warn('stopped with publishes not acknowledged', { inFlight: this.publisher.stats.inFlight });
    }
    await this.session?.stop(left() / 2);
    for (const { sensor } of this.hardware?.sensors ?? []) await sensor.halt().catch(() => undefined);
    await this.hardware?.close();
    this.logger.info('stopped');
  }
}
