/**
 * JSON commands on the device's command topic, each answered on the response topic:
 *   {"cmd":"set","output":"led","state":"on","id":"42"}  →  {"id":"42","status":"ok","output":"led","state":"on"}
 *   anything wrong                                        →  {"id":"42","status":"error","error":"unknown output 'lde'"}
 * Invalid JSON and unknown commands are answered too (id null when it cannot be read): a caller
 * never waits on silence. Commands: set (state on|off|toggle, optional ms), get, list, stats.
 */
import type { CommandsConfig } from '../config/subscriber-types.js';
import type { Inputs } from './inputs.js';
import { escapeLogText, type Logger } from '../log/logger.js';
import type { Feature } from './feature.js';
import { publishQuietly, type MessageSink } from './message-sink.js';
import type { Outputs } from './outputs.js';
import type { DropReason, Outcome } from './rules.js';

export const COMMANDS = ['set', 'get', 'list', 'stats'] as const;

const EXAMPLE = '{"cmd":"set","output":"led","state":"on","id":"42"}';

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

/**
 * A command not carried out, and why, in our words: `answer` goes to the caller, `detail` (which may
 * carry a cause from below, such as the GPIO's error) only to the local log.
 */
class CommandError extends Error {
  constructor(
    readonly reason: DropReason,
    answer: string,
    readonly detail: string = answer,
  ) {
    super(answer);
  }
}

const lower = (v: unknown): string => (typeof v === 'string' ? v.trim().toLowerCase() : '');

/** Longest piece of a caller's text repeated in an answer. */
const ECHOED = 64;

/** The caller's text in single quotes (an answer is JSON: double quotes would come out as \"), bounded and escaped. */
function quoted(text: string): string {
  const escaped = escapeLogText(text.slice(0, ECHOED).replace(/['\\]/g, (c) => `\\${c}`));
  return text.length > ECHOED ? `'${escaped}'…` : `'${escaped}'`;
}

/**
 * A value from the caller, for an answer: text bounded, quoted and escaped, anything else by its
 * kind. Never String(value): an object's toString is the caller's, and may throw.
 */
function shown(value: unknown): string {
  if (typeof value === 'string') return quoted(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'a number out of range';
  if (typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return 'an array';
  return value === undefined ? 'nothing' : 'an object';
}

export class Commands implements Feature {
  readonly name = 'commands';
  readonly stats = { ok: 0, errors: 0 };

  constructor(private readonly options: CommandsOptions) {}

  /** Commands work on messages only: nothing to bring up or down. */
  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  get topic(): string {
    return this.options.config.topic;
  }

  /**
   * Every command gets one answer. Handled when it was carried out; otherwise dropped with the
   * reason the README gives: not JSON → malformed; not an object, or a field missing or of the wrong
   * JSON type → wrong-type; a value the agent does not take (an unknown command or output, a state
   * or ms out of range) → refused; carried out but failed below (the GPIO) → failed.
   */
  async handle(payload: Buffer): Promise<Outcome> {
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      // Not the parser's message: its wording is the JavaScript engine's, and changes with it.
      return this.refuse(null, new CommandError('malformed', `invalid JSON: a command is a JSON object such as ${EXAMPLE}`));
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return this.refuse(null, new CommandError('wrong-type', `a command is a JSON object such as ${EXAMPLE}, not ${shown(body)}`));
    }
    const command = body as Record<string, unknown>;
    // The id is echoed only as a short string or a number: it is the caller's, not ours to interpret.
    const id = (typeof command.id === 'string' && command.id.length <= 128) || (typeof command.id === 'number' && Number.isFinite(command.id)) ? command.id : null;
    let reply: Reply;
    try {
      reply = await this.run(command);
    } catch (error) {
      if (error instanceof CommandError) return this.refuse(id, error);
      // A bug of ours: the caller learns that the command failed, the log what happened.
      const cause = error instanceof Error ? error.message : 'unknown error';
      return this.refuse(id, new CommandError('failed', 'the command failed in the agent (see its log)', `internal error: ${cause}`));
    }
    this.respond(id, { status: 'ok', ...reply });
    return { handled: true };
  }

  private async run(command: Record<string, unknown>): Promise<Reply> {
    const { outputs, inputs } = this.options;
    if (command.cmd === undefined) throw new CommandError('wrong-type', `missing "cmd": one of ${COMMANDS.join(', ')}`);
    if (typeof command.cmd !== 'string') throw new CommandError('wrong-type', `"cmd" must be text, one of ${COMMANDS.join(', ')}; got ${shown(command.cmd)}`);
    const cmd = lower(command.cmd);
    const output = (): string => {
      const known = outputs.names.join(', ') || '(no outputs configured)';
      if (command.output === undefined) throw new CommandError('wrong-type', `'${cmd}' needs "output": one of ${known}`);
      if (typeof command.output !== 'string') throw new CommandError('wrong-type', `"output" must be text, one of ${known}; got ${shown(command.output)}`);
      if (!outputs.has(command.output)) throw new CommandError('refused', `unknown output ${quoted(command.output)}`);
      return command.output;
    };
    switch (cmd) {
      case 'set': {
        const name = output();
        if (typeof command.state !== 'string') throw new CommandError('wrong-type', `"state" must be text, on, off or toggle; got ${shown(command.state)}`);
        const state = lower(command.state);
        if (state !== 'on' && state !== 'off' && state !== 'toggle') throw new CommandError('refused', `"state" must be on, off or toggle, got ${shown(command.state)}`);
        const ms = command.ms ?? null;
        if (ms !== null && typeof ms !== 'number') throw new CommandError('wrong-type', `"ms" must be a number of milliseconds from 1 to 86400000; got ${shown(ms)}`);
        if (ms !== null && !(Number.isInteger(ms) && ms >= 1 && ms <= 86_400_000)) throw new CommandError('refused', `"ms" must be a whole number of milliseconds from 1 to 86400000, got ${shown(ms)}`);
        let active: boolean;
        try {
          active = await outputs.set(name, state, 'command', ms);
        } catch (error) {
          throw new CommandError('failed', `could not set output '${name}'`, `could not set output '${name}': ${error instanceof Error ? error.message : 'unknown error'}`);
        }
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
        throw new CommandError('refused', `unknown command ${shown(command.cmd)}: known are ${COMMANDS.join(', ')}`);
    }
  }

  /** Answer with the error, and drop the message with its reason (the inbox logs it, rate-limited). */
  private refuse(id: string | number | null, error: CommandError): Outcome {
    this.respond(id, { status: 'error', error: error.message });
    return { handled: false, reason: error.reason, detail: `command: ${error.detail}` };
  }

  private respond(id: string | number | null, reply: Reply): void {
    if (reply.status === 'ok') this.stats.ok++;
    else this.stats.errors++;
    const topic = this.options.config.responseTopic;
    void publishQuietly(this.options.sink, topic, JSON.stringify({ id, ...reply }), { qos: 1, retain: false }, (error) => this.options.logger.warn('could not answer a command', { topic, error }));
  }
}
