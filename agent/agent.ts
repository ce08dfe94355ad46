/**
 * The composition root: builds the parts from the config, starts them and stops them in order.
 * Start: hardware → the broker session and its router → publishing (the outbox) and sampling (the
 * sensors brought up) → the features built (their routes in place) → the session started → the
 * features started (subscriber mode: outputs at their safe states, inputs, rules, commands, the
 * inbox; discovery; log-only subscriptions; health) → one SUBSCRIBE → sampling ticks. Stop:
 * sampling (in-flight reads finish) → the features, last started first (outputs to their safe
 * states, pins released) → pending acknowledgements → the queue closed → `offline` and the session
 * → the sensors → the bus. A feature that fails to start or stop is logged by its name and left
 * out; it never stops the agent (features/feature.ts).
 */
import { join } from 'node:path';
import { systemClock, type Clock } from '../drivers/clock.js';
import type { GpioBackend } from '../drivers/gpio/gpio.js';
import type { AgentConfig } from './config/types.js';
import { Features, settlesWithin, type Feature } from './features/feature.js';
import { Health } from './features/health.js';
import type { LatestValues } from './features/ha-latest.js';
import { LogSubscriptions } from './features/subscriptions.js';
import type { Hardware } from './hardware.js';
import { LogLimiter } from './log/log-limiter.js';
import type { Logger } from './log/logger.js';
import { Router, type RouterStats } from './mqtt/router.js';
import { MqttSession } from './mqtt/session.js';
import type { Transport } from './mqtt/transport.js';
import { plainAvailability } from './publishing/encoders.js';
import { Outbox, queueReleased } from './publishing/outbox.js';
import { Publisher } from './publishing/publisher.js';
import type { BatchSink } from './sampling/sample-group.js';
import { REPEAT_LOG_INTERVAL_MS, type Sampler } from './sampling/sampler.js';
import { Sampling } from './sampling/sampling.js';
import { Scheduler, type SchedulerHooks, type Tick } from './sampling/scheduler.js';
import { supportUrl, version } from './version.js';

export interface AgentOptions {
  config: AgentConfig;
  logger: Logger;
  clock?: Clock;
  /** Already-opened hardware (tests, the demo); otherwise opened from the config. */
  hardware?: Hardware;
  /** Log every sample at info level (the demo does, a service does not). */
  logReadings?: boolean;
  /** Already-opened GPIO (tests, the demo); otherwise opened from the config when pins are used. */
  gpio?: GpioBackend;
  /** Called after every sampling tick: the systemd watchdog's proof that the loop is alive. */
  onTick?: () => void;
  /** The reconnect backoff's random draws (the fleet's old-schedule comparison); default Math.random. */
  random?: () => number;
  /** Called after every (re)connection with the broker connected to (systemd's status line). */
  onConnect?: (server: string) => void;
}

export class Agent {
  readonly config: AgentConfig;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private hardware: Hardware | undefined;
  private session: Transport | undefined;
  private router: Router | undefined;
  private outbox: Outbox | undefined;
  private sampling: Sampling | undefined;
  /** Home Assistant's view: the newest reading of each measurement, live only (features/ha-latest.ts). */
  private latest: LatestValues | undefined;
  private scheduler: Scheduler | undefined;
  private features: Features | undefined;
  private subscriberStats: (() => Record<string, unknown>) | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: AgentOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
  }

  get samples(): readonly Sampler[] {
    return this.sampling?.samplers ?? [];
  }

  get delivery(): Outbox | undefined {
    return this.outbox;
  }

  /** The broker session's state: up or not, and reconnections so far (the fleet's summary). */
  get link(): Pick<Transport, 'connected' | 'reconnects'> | undefined {
    return this.session;
  }

  /** Messages received, and those no feature's route took. */
  get messages(): RouterStats | undefined {
    return this.router?.stats;
  }

  /** What the `stats` command answers (subscriber mode's counters); undefined for a publisher. */
  stats(): Record<string, unknown> | undefined {
    return this.subscriberStats?.();
  }

  /** Features whose start failed, and why: the agent runs without them. */
  get failedFeatures(): ReadonlyMap<string, string> {
    return this.features?.failed ?? new Map();
  }

  async start(): Promise<void> {
    const { config, logger } = this;
    const samples = config.role !== 'subscriber' && config.sensors.length > 0;
    logger.info('starting', { deviceId: config.deviceId, board: config.board, role: config.role, hardware: config.i2c.simulated ? 'simulated' : `/dev/i2c-${config.i2c.bus}` });

    if (samples) {
      // Imported when used, as are discovery and subscriber mode below: a module never loaded costs
      // no memory, and every megabyte of RSS counts on a board (README Performance).
      this.hardware = this.options.hardware ?? (await (await import('./hardware.js')).openHardware(config, this.clock));
    }

    const startedAt = this.clock.now();
    // The one transport there is (mqtt/transport.ts says what another would have to be).
    const session: Transport = new MqttSession(config.mqtt, logger.child('mqtt'), { clock: this.clock, inboundMaxBytes: config.messages.maxBytes, availability: plainAvailability(config.mqtt.statusTopic), ...(this.options.random ? { random: this.options.random } : {}) });
    this.session = session;
    // Every incoming message goes through one router: each feature adds its routes before the
    // session connects (a persistent session delivers its queue at once), and it subscribes once.
    const router = new Router(session, logger.child('router'));
    this.router = router;
    session.deliverTo(router);
    const onConnect = this.options.onConnect;
    if (onConnect) session.onConnect(() => onConnect(session.server), 'status');

    if (this.hardware) {
      const outbox = new Outbox(session, config.queue, this.clock, logger.child('queue'));
      this.outbox = outbox;
      const sampling = new Sampling(this.hardware.sensors, this.clock, this.publishing(new Publisher(config.deviceId, config.sensors), outbox), logger.child('sensor'));
      this.sampling = sampling;
      for (const sampler of sampling.samplers) {
        // A sensor that fails to come up is retried by its sampler on every tick.
        await sampler.init().catch((error: unknown) =>
          logger.error('sensor failed to start, will retry', { sensor: sampler.name, error: error instanceof Error ? error.message : String(error) }),
        );
      }
      if (config.homeassistant.enabled) {
        const { LatestValues } = await import('./features/ha-latest.js');
        this.latest = new LatestValues(session, this.clock, config.homeassistant.latestMaxAgeS * 1000, logger.child('homeassistant'));
      }
      await queueReleased(config.queue.dir);
      const { lastSeqs } = outbox.open(sampling.numbering());
      session.onConnect(() => outbox.pump(), 'queue');
      sampling.resumeAfter(lastSeqs);
    }

    // Sensor groups never overrun (a slow sensor skips its own ticks, counted on health): a skipped
    // tick means the agent woke too late (a blocked event loop), or a slow health publish.
    const lines = new LogLimiter(this.clock, REPEAT_LOG_INTERVAL_MS);
    const hooks: SchedulerHooks = {
      onSkip: (task, skipped) => lines.hit(`skip ${task}`, ({ suppressed }) => logger.warn('ticks skipped, the task ran late', { task, skipped, ...(suppressed ? { suppressed } : {}) })),
      onError: (task, error) => lines.hit(`error ${task}`, ({ suppressed }) => logger.error('task failed', { task, error: error instanceof Error ? error.message : String(error), ...(suppressed ? { suppressed } : {}) })),
    };

    const features = new Features(await this.buildFeatures(session, router, startedAt, hooks), this.clock, logger);
    this.features = features;
    session.start();
    await features.start();
    await router.subscribe();

    this.scheduler = new Scheduler(this.clock, hooks);
    const onTick = this.options.onTick;
    for (const group of this.sampling?.groups ?? []) {
      // A beat for a tick that read a sensor: one whose sensors are all stuck in a read (a wedged
      // bus) is no proof of life, and the watchdog then gets the service restarted.
      const run = async (tick: Tick): Promise<void> => {
        if (await group.run(tick)) onTick?.();
      };
      this.scheduler.start(onTick ? { name: group.name, intervalMs: group.intervalMs, overlapping: group.overlapping, run } : group);
    }
  }

  /** The broker connected to, or being tried (password masked); '' before the start. */
  get server(): string {
    return this.session?.server ?? '';
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

  /** The features this config asks for, in start order; built, so their routes are in place. */
  private async buildFeatures(session: Transport, router: Router, startedAt: number, hooks: SchedulerHooks): Promise<Feature[]> {
    const { config, logger, clock } = this;
    const features: Feature[] = [];
    if (config.role !== 'publisher') {
      const { subscriberMode } = await import('./features/subscriber-mode.js');
      const mode = subscriberMode({ config, session, router, clock, logger, ...(this.options.gpio ? { gpio: this.options.gpio } : {}) });
      this.subscriberStats = mode.stats;
      features.push(...mode.features);
    }
    // Built when Home Assistant is off too: it then removes what was announced before (issue 16).
    const { HomeAssistantDiscovery } = await import('./features/discovery.js');
    features.push(new HomeAssistantDiscovery({
      config, session, router, clock, logger: logger.child('homeassistant'), origin: { version: version(), supportUrl: supportUrl() }, announce: config.homeassistant.enabled,
      legacyStateFile: join(config.queue.dir, 'homeassistant.json'),
      measured: (name) => this.samples.find((s) => s.name === name)?.measures,
    }));
    if (config.role !== 'publisher' && config.subscriptions.length > 0) features.push(new LogSubscriptions(config.subscriptions, router, logger.child('subscribe')));
    if (config.health.intervalS > 0) {
      features.push(new Health({
        config: config.health, deviceId: config.deviceId, session, clock, startedAt, hooks,
        outbox: () => this.outbox,
        sensors: () => this.samples,
        featureError: () => this.features?.lastError ?? '',
      }));
    }
    return features;
  }

  /** A tick's samples: encoded into messages, and handed to the outbox in one submission. */
  private publishing(publisher: Publisher, outbox: Outbox): BatchSink {
    const logReadings = this.options.logReadings ?? false;
    const logger = this.logger.child('sample');
    return (samples) => {
      if (logReadings) {
        for (const { sensor, seq, readings } of samples) {
          if (readings.length > 0) logger.info(`${sensor}: ${readings.map((r) => `${r.quantity} ${r.value} ${r.unit}`).join(', ')}`, { seq });
        }
      }
      const messages = publisher.messages(samples);
      outbox.submit(messages);
      this.latest?.offer(messages);
    };
  }

  /**
   * Every step is bounded, so the whole stop holds `deadlineMs` whatever the broker, the sensors or
   * the disk are doing (a step that overruns is logged and left behind: the process is ending).
   */
  private async shutdown(deadlineMs: number): Promise<void> {
    const started = this.clock.now();
    const left = (): number => Math.max(50, deadlineMs - (this.clock.now() - started));
    this.logger.info('stopping');
    await this.within('sampling', this.scheduler?.stop(), left() / 4);
    // Safe states and pins released before the session closes.
    await this.features?.stop(left() / 3);
    if (this.outbox && !(await this.outbox.drain(left() / 3))) {
      this.logger.warn('stopping with publishes not acknowledged: they stay queued on disk', { inFlight: this.outbox.inFlightCount, queued: this.outbox.backlog });
    }
    // The final commit runs off the event loop; a disk that hangs cannot hold the stop past its deadline.
    await this.within('queue', this.outbox?.close(), left() / 3);
    const sessionMs = left() / 2;
    await this.within('broker session', this.session?.stop(sessionMs / 2), sessionMs);
    await this.within('sensors', Promise.all((this.hardware?.sensors ?? []).map(({ sensor }) => sensor.halt().catch(() => undefined))), left() / 2);
    await this.within('bus', this.hardware?.close(), left());
    this.logger.info('stopped', { ms: Math.round(this.clock.now() - started) });
  }

  /** Wait for a stop step, at most `ms`. */
  private async within(step: string, work: Promise<unknown> | undefined, ms: number): Promise<void> {
    if (!work) return;
    if (!(await settlesWithin(this.clock, work, ms))) this.logger.warn('stop: a step did not finish in time; going on', { step, ms: Math.round(ms) });
  }
}
