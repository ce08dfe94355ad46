/**
 * JSON commands on the device's command topic, each answered on the response topic:
 *   {"cmd":"set","output":"led","state":"on","id":"42"}  →  {"id":"42","status":"ok","output":"led","state":"on"}
 *   anything wrong                                        →  {"id":"42","status":"error","error":"unknown output 'lde'"}
 * Invalid JSON and unknown commands are answered too (id null when it cannot be read): a caller
 * never waits on silence. Commands: set (state on|off|toggle, optional ms), get, list, stats.
 */
import type { CommandsConfig } from './config/subscriber-types.js';
import type { Inputs } from './inputs.js';
import type { Logger } from './logger.js';
import { publishQuietly, type MessageSink } from './message-sink.js';
import type { Outputs } from './outputs.js';
import type { Outcome } from './rules.js';

export const COMMANDS = ['set', 'get', 'list', 'stats'] as const;

export interface CommandsOptions {
  config: CommandsConfig;
  outputs: Outputs;
  inputs: Inputs;
  sink: MessageSink;
  logger: Logger;
  /** The counters a `stats` command reports. */
  stats: () => Record<string, unknown>;
}

type Reply = Record<string, unknown>;

class CommandError extends Error {}

const lower = (v: unknown): string => (typeof v === 'string' ? v.trim().toLowerCase() : '');

export class Commands {
  readonly stats = { ok: 0, errors: 0 };

  constructor(private readonly options: CommandsOptions) {}

  get topic(): string {
    return this.options.config.topic;
  }

  async handle(payload: Buffer): Promise<Outcome> {
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch (error) {
      const detail = `invalid JSON: ${error instanceof Error ? error.message : String(error)}`;
      this.respond(null, { status: 'error', error: detail });
      return { handled: false, reason: 'malformed', detail };
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      const detail = 'a command is a JSON object such as {"cmd":"set","output":"led","state":"on","id":"42"}';
      this.respond(null, { status: 'error', error: detail });
      return { handled: false, reason: 'wrong-type', detail };
    }
    const command = body as Record<string, unknown>;
    // The id is echoed only as a short string or a number: it is the caller's, not ours to interpret.
    const id = (typeof command.id === 'string' && command.id.length <= 128) || (typeof command.id === 'number' && Number.isFinite(command.id)) ? command.id : null;
    try {
      this.respond(id, { status: 'ok', ...(await this.run(command)) });
      return { handled: true };
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      this.respond(id, { status: 'error', error: detail });
      // A command that was read but refused is handled: the answer says why.
      return error instanceof CommandError ? { handled: true } : { handled: false, reason: 'failed', detail };
    }
  }

  private async run(command: Record<string, unknown>): Promise<Reply> {
    const { outputs, inputs } = this.options;
    const cmd = lower(command.cmd);
    const output = (): string => {
      if (typeof command.output !== 'string') throw new CommandError(`'${cmd}' needs "output": one of ${outputs.names.join(', ') || '(no outputs configured)'}`);
      if (!outputs.has(command.output)) throw new CommandError(`unknown output '${command.output.slice(0, 64)}'`);
      return command.output;
    };
    switch (cmd) {
      case 'set': {
        const name = output();
        const state = lower(command.state);
        if (state !== 'on' && state !== 'off' && state !== 'toggle') throw new CommandError(`"state" must be on, off or toggle, got ${JSON.stringify(command.state) ?? 'nothing'}`);
        const ms = command.ms ?? null;
        if (ms !== null && !(typeof ms === 'number' && Number.isInteger(ms) && ms >= 1 && ms <= 86_400_000)) throw new CommandError('"ms" must be a whole number of milliseconds from 1 to 86400000');
        const active = await outputs.set(name, state, 'command', ms);
        return { output: name, state: active ? 'on' : 'off' };
      }
      case 'get': {
        const name = output();
        return { output: name, state: outputs.state(name) ? 'on' : 'off' };
      }
      case 'list':
        return {
          outputs: Object.fromEntries(outputs.names.map((n) => [n, outputs.state(n) ? 'on' : 'off'])),
          inputs: Object.fromEntries(inputs.names.map((n) => [n, inputs.state(n) ? 'on' : 'off'])),
        };
      case 'stats':
        return { stats: this.options.stats() };
      default:
        throw new CommandError(command.cmd === undefined ? `missing "cmd": one of ${COMMANDS.join(', ')}` : `unknown command '${String(command.cmd).slice(0, 64)}': known are ${COMMANDS.join(', ')}`);
    }
  }

  private respond(id: string | number | null, reply: Reply): void {
    if (reply.status === 'ok') this.stats.ok++;
    else {
      this.stats.errors++;
      this.options.logger.warn('command refused', { id: id === null ? null : String(id), error: String(reply.error) });
    }
    const topic = this.options.config.responseTopic;
    void publishQuietly(this.options.sink, topic, JSON.stringify({ id, ...reply }), { qos: 1, retain: false }, (error) => this.options.logger.warn('could not answer a command', { topic, error }));
  }
}
