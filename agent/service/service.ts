/**
 * `edge-agent run` as a long-running service: the Agent plus what systemd needs around it.
 * READY=1 once the sensors are up and the broker session is (or after mqtt.connectTimeoutMs at
 * the latest: the agent samples and keeps retrying without a broker, and the STATUS line says so);
 * WATCHDOG=1 while the sampling loop ticks; RELOADING=1 / READY=1 around a reload (SIGHUP,
 * `systemctl reload`); STOPPING=1 on shutdown.
 *
 * A reload re-reads the configuration. Valid: the running Agent is stopped and a new one started
 * in this process (simplest honest way to apply any key). Invalid: every problem is logged and
 * the running Agent carries on untouched.
 */
import { systemClock, type Clock } from '../../drivers/clock.js';
import { Agent } from '../agent.js';
import { ConfigError } from '../config/config-error.js';
import type { AgentConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { redactUrl } from '../config/formats.js';
import type { Notifier } from './sd-notify.js';
import { Watchdog } from './watchdog.js';

export interface ServiceOptions {
  /** Loads and checks the configuration; throws ConfigError. Called at start and on every reload. */
  load(): AgentConfig;
  /** The logger for a configuration (its log level). */
  logger(config: AgentConfig): Logger;
  notifier: Notifier;
  /** systemd's watchdog interval in ms (WATCHDOG_USEC), or null for none. */
  watchdogMs: number | null;
  clock?: Clock;
}

/** How long the watchdog tolerates no tick: a slow sensor ticks rarely. */
function staleAfterMs(config: AgentConfig, watchdogMs: number): number | null {
  const sampling = config.role !== 'subscriber' && config.sensors.length > 0;
  if (!sampling) return null;
  return Math.max(watchdogMs, 3 * Math.max(...config.sensors.map((s) => s.intervalMs)));
}

export class Service {
  private readonly clock: Clock;
  private config: AgentConfig | undefined;
  private agent: Agent | undefined;
  private log: Logger | undefined;
  private watchdog: Watchdog | undefined;
  /** Start, reloads and stop run one after another, never interleaved. */
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Aborts the wait for the first broker session (a stop must not wait for it). */
  private readyWait: AbortController | undefined;
  /** READY was sent for the running agent: later connections update STATUS on their own. */
  private announced = false;

  constructor(private readonly options: ServiceOptions) {
    this.clock = options.clock ?? systemClock;
  }

  get logger(): Logger | undefined {
    return this.log;
  }

  get running(): Agent | undefined {
    return this.agent;
  }

  /** Throws ConfigError when the first configuration is invalid (the CLI exits 78). */
  start(): Promise<void> {
    return this.enqueue(async () => {
      const config = this.options.load();
      await this.startAgent(config);
      this.sayNotifyTransport();
      await this.announceReady(config);
      const watchdogMs = this.options.watchdogMs;
      if (watchdogMs !== null) {
        this.watchdog = new Watchdog({
          clock: this.clock,
          intervalMs: watchdogMs,
          staleAfterMs: () => (this.config ? staleAfterMs(this.config, watchdogMs) : null),
          ping: () => void this.options.notifier.notify({ WATCHDOG: 1 }),
        });
        this.watchdog.start();
        this.log?.debug('watchdog armed', { intervalMs: watchdogMs });
      }
    });
  }

  /** Never throws: an invalid configuration is logged and the running one kept. */
  reload(): Promise<void> {
    return this.enqueue(() => this.reloadNow());
  }

  stop(): Promise<void> {
    this.readyWait?.abort();
    return this.enqueue(async () => {
      if (this.stopped) return;
      this.stopped = true;
      await this.options.notifier.notify({ STOPPING: 1, STATUS: 'stopping' });
      await this.watchdog?.stop();
      await this.agent?.stop();
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async startAgent(config: AgentConfig): Promise<void> {
    this.announced = false;
    const logger = this.options.logger(config);
    const agent = new Agent({ config, logger, clock: this.clock, onTick: () => this.watchdog?.beat(), onConnect: (server) => this.connectedTo(config, server) });
    this.agent = agent;
    this.config = config;
    this.log = logger;
    await agent.start();
    this.watchdog?.beat();
  }

  /** Once, at start: how systemd is told, and what the unit needs for it. */
  private sayNotifyTransport(): void {
    const notifier = this.options.notifier;
    if (notifier.transport === 'datagram') this.log?.debug('systemd notify in process (unix-dgram)');
    if (notifier.transport === 'systemd-notify') {
      // Messages from a child are dropped under NotifyAccess=main: READY never arrives, and
      // systemd kills the service at TimeoutStartSec. Say so before that happens.
      this.log?.warn('systemd notify through the systemd-notify command: the unit needs NotifyAccess=all (systemd/install.sh writes that drop-in when the addon does not load)', { reason: notifier.fallbackReason });
    }
  }

  private async announceReady(config: AgentConfig): Promise<void> {
    const agent = this.agent!;
    const abort = new AbortController();
    this.readyWait = abort;
    const connected = await Promise.race([
      agent.connected().then(() => true),
      this.clock.sleep(config.mqtt.connectTimeoutMs, abort.signal).then(() => false, () => false),
    ]);
    const interrupted = abort.signal.aborted;
    abort.abort();
    if (interrupted && !connected) return; // stopping: no READY now
    // The server being tried when none answered: with a cluster list, mqtt.url would say less.
    const broker = agent.server || redactUrl(config.mqtt.url);
    const status = connected ? `running: ${config.deviceId} connected to ${broker}` : `running: ${config.deviceId}, broker ${broker} not reachable yet (retrying)`;
    if (!connected) this.log?.warn('broker not reachable yet; telling systemd the service is up anyway', { url: broker });
    this.announced = true;
    await this.options.notifier.notify({ READY: 1, STATUS: status });
  }

  /**
   * Every connection after READY updates the status line (`systemctl status` shows it): after a
   * failover it names the cluster node the agent moved to. The first one is said with READY.
   */
  private connectedTo(config: AgentConfig, server: string): void {
    if (!this.announced || this.stopped || this.config !== config) return;
    void this.options.notifier.notify({ STATUS: `running: ${config.deviceId} connected to ${server}` });
  }

  private async reloadNow(): Promise<void> {
    if (this.stopped) return;
    const logger = this.log!;
    logger.info('reloading the configuration (SIGHUP)');
    await this.options.notifier.notify({ RELOADING: 1, STATUS: 'reloading the configuration' });
    let next: AgentConfig;
    try {
      next = this.options.load();
    } catch (error) {
      if (error instanceof ConfigError) {
        logger.error('new configuration refused, keeping the running one', { source: error.source, problems: error.problems.length });
        for (const p of error.problems) logger.error('configuration problem', { path: p.path, problem: p.message, hint: p.hint });
      } else {
        logger.error('new configuration could not be read, keeping the running one', { error: error instanceof Error ? error.message : String(error) });
      }
      await this.options.notifier.notify({ READY: 1, STATUS: `running: ${this.config!.deviceId} (last reload refused: invalid configuration)` });
      return;
    }
    const previous = this.config!;
    await this.agent!.stop();
    try {
      await this.startAgent(next);
      this.log!.info('configuration reloaded', { deviceId: next.deviceId });
    } catch (error) {
      logger.error('new configuration failed to start, going back to the previous one', { error: error instanceof Error ? error.message : String(error) });
      await this.agent?.stop();
      await this.startAgent(previous);
      this.log!.info('previous configuration restarted', { deviceId: previous.deviceId });
    }
    await this.announceReady(this.config!);
  }
}
