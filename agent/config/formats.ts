/**
 * Custom convict formats. Each one checks a value and, when it is wrong, says what was given and
 * what is allowed (the style of fivdi/i2c-bus: `Invalid I2C address 0x80`). A format may also
 * coerce a string (from an environment variable, or a lenient file) into its canonical value:
 * "0x76" → 118, "degC" → "°C", "/dev/i2c-2" → 2.
 *
 * `check` returns every issue instead of throwing, so the loader can report all problems at once;
 * `registerFormats()` wraps it in the throwing `validate` convict expects.
 */
import convict from 'convict';
import { DRIVERS } from '../../drivers/registry.js';
import { checkFilters } from '../sampling/filters.js';
import { TOPIC_PLACEHOLDERS } from '../template.js';
import { closest } from './closest.js';
import { printable, show } from './printable.js';

export interface FormatIssue {
  /** Sub-key inside an object-valued setting (e.g. `dig_T1` in a calibration), if any. */
  key?: string;
  message: string;
  hint: string;
}

export interface ConfigFormat {
  /** What the reference table shows as allowed values. */
  allowed: string;
  check(value: unknown): FormatIssue[];
  coerce?(text: string): unknown;
}

/** A format made for one key (a driver's option, agent/config/option-formats.ts), known to convict by `name`. */
export interface KeyFormat extends ConfigFormat {
  name: string;
}

/** Thrown by the convict-facing `validate` of a format; keeps the structured issues. */
export class FormatError extends Error {
  constructor(readonly issues: FormatIssue[]) {
    super(issues.map((i) => `${i.key ? `${i.key}: ` : ''}${i.message} (${i.hint})`).join('; '));
    this.name = 'FormatError';
  }
}

export { show } from './printable.js';

export { closest } from './closest.js';

const ok: FormatIssue[] = [];
const issue = (message: string, hint: string, key?: string): FormatIssue[] => [key ? { key, message, hint } : { message, hint }];
const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** One of a fixed list; `aliases` maps accepted spellings (compared case-insensitively) to values. */
export function oneOf<T extends string | number>(what: string, values: readonly T[], aliases: Record<string, T> = {}): ConfigFormat {
  const list = values.map((v) => show(v)).join(', ');
  return {
    allowed: values.map(String).join(' | '),
    check(value) {
      if ((values as readonly unknown[]).includes(value)) return ok;
      const guess = typeof value === 'string' ? closest(value, values.map(String)) : undefined;
      return issue(`${show(value)} is not a known ${what}`, guess ? `did you mean ${show(guess)}? allowed: ${list}` : `allowed: ${list}`);
    },
    coerce(text) {
      const t = text.trim().toLowerCase();
      for (const v of values) if (String(v).toLowerCase() === t) return v;
      for (const [alias, v] of Object.entries(aliases)) if (alias.toLowerCase() === t) return v;
      return text;
    },
  };
}

export function integer(what: string, min: number, max: number, hint: string): ConfigFormat {
  return {
    allowed: `integer ${min}–${max}`,
    check(value) {
      if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return ok;
      return issue(`${show(value)} is not a valid ${what}`, `use an integer from ${min} to ${max}; ${hint}`);
    },
    coerce: (text) => (/^\s*-?\d+\s*$/.test(text) ? Number(text) : text),
  };
}

export function number(what: string, min: number, max: number, hint: string): ConfigFormat {
  return {
    allowed: `number ${min}–${max}`,
    check(value) {
      if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max) return ok;
      return issue(`${show(value)} is not a plausible ${what}`, `use a number from ${min} to ${max}; ${hint}`);
    },
    coerce: (text) => (text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text),
  };
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];
/** Named `flag`, not `boolean`: convict's registry is global and `boolean` is its built-in's name. */
const flag: ConfigFormat = {
  allowed: 'true | false',
  check: (value) => (typeof value === 'boolean' ? ok : issue(`${show(value)} is not true or false`, 'use true or false (from the environment also 1/0, yes/no, on/off)')),
  coerce(text) {
    const t = text.trim().toLowerCase();
    return TRUE.includes(t) ? true : FALSE.includes(t) ? false : text;
  },
};

const i2cAddress: ConfigFormat = {
  allowed: '7-bit address 0x03–0x77, as "0x76" or 118',
  check(value) {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0x03 && value <= 0x77) return ok;
    const given = typeof value === 'number' && Number.isInteger(value) ? hex(value) : show(value);
    return issue(`${given} is not a 7-bit I2C address`, 'use 0x03–0x77; a BMP280/BME280 answers at 0x76 (SDO to GND) or 0x77 (SDO to VDDIO)');
  },
  coerce(text) {
    const t = text.trim();
    return /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^\d+$/.test(t) ? Number(t) : text;
  },
};

const i2cBus: ConfigFormat = {
  allowed: 'integer 0–1023 (the N of /dev/i2c-N), or null for the board default',
  check(value) {
    if (value === null || (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 1023)) return ok;
    return issue(`${show(value)} is not an I2C bus number`, 'give N of /dev/i2c-N (Raspberry Pi 1, BeagleBone Black 2, Udoo Neo 1), or null for the board default');
  },
  coerce(text) {
    const t = text.trim();
    if (t === '' || t === 'null' || t === 'default') return null;
    const m = /^(?:\/dev\/i2c-)?(\d+)$/.exec(t);
    return m ? Number(m[1]) : text;
  },
};

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Control characters MQTT 3.1.1 §1.5.3 says a string SHOULD NOT hold (a receiver MAY close the connection). */
const CONTROL = /[\u0001-\u001f\u007f-\u009f]/;

/**
 * What every topic and topic filter must be, as MQTT 3.1.1 §1.5.3 and §4.7.3 say: non-empty, at most
 * 65535 bytes of UTF-8, no U+0000, no control characters, no unpaired surrogate (no UTF-8 form).
 * Shared by the formats and the publish actions (actions.ts).
 */
export function topicTextIssue(value: string, what: string): { message: string; hint: string } | null {
  if (value === '') return { message: `the ${what} is empty`, hint: 'MQTT topics have at least one character' };
  if (value.includes('\u0000')) return { message: `the ${what} contains U+0000 (NUL)`, hint: 'MQTT forbids U+0000 in topics: MQTT 3.1.1 §1.5.3' };
  const control = CONTROL.exec(value);
  if (control) return { message: `the ${what} contains the control character ${show(control[0])}`, hint: 'MQTT says topics should not hold control characters and a broker may drop the connection for them: MQTT 3.1.1 §1.5.3' };
  if (LONE_SURROGATE.test(value)) return { message: `the ${what} contains an unpaired surrogate (not valid UTF-8)`, hint: 'remove the broken character: topics are UTF-8, MQTT 3.1.1 §1.5.3' };
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > 65535) return { message: `the ${what} is ${bytes} bytes long`, hint: 'MQTT topics are at most 65535 bytes of UTF-8: MQTT 3.1.1 §4.7.3' };
  return null;
}

/** MQTT 3.1.1 §1.5.3 and §4.7.3: a topic is at most 65535 bytes of UTF-8, placeholders filled in. */
export function topicLengthProblem(topic: string, path: string): { path: string; message: string; hint: string } | null {
  const bytes = Buffer.byteLength(topic, 'utf8');
  if (bytes <= 65535) return null;
  return { path, message: `the topic is ${bytes} bytes long once its placeholders are filled in`, hint: 'MQTT topics are at most 65535 bytes of UTF-8 (MQTT 3.1.1 §4.7.3): shorten the template' };
}

function topicBasics(value: unknown, what: string): FormatIssue[] {
  if (typeof value !== 'string') return issue(`${show(value)} is not a ${what}`, 'give a string such as "sensors/{deviceId}/{measurement}"');
  const problem = topicTextIssue(value, what);
  return problem ? issue(problem.message, problem.hint) : ok;
}

const mqttTopic: ConfigFormat = {
  allowed: 'publish topic, no + or #; placeholders {deviceId} {sensor} {measurement}',
  check(value) {
    const basic = topicBasics(value, 'topic');
    if (basic.length > 0 || typeof value !== 'string') return basic;
    const problems: FormatIssue[] = [];
    if (/[+#]/.test(value)) problems.push(...issue(`${show(value)} contains a wildcard (+ or #)`, 'wildcards are for subscriptions; a publish topic names every level exactly'));
    if (value.startsWith('$')) problems.push(...issue(`${show(value)} starts with $`, 'topics beginning with $ are reserved for the broker ($SYS/...)'));
    for (const [, name] of value.matchAll(/\{([^{}]*)\}/g)) {
      if ((TOPIC_PLACEHOLDERS as readonly string[]).includes(name!)) continue;
      const guess = closest(name!, TOPIC_PLACEHOLDERS);
      problems.push(...issue(`unknown placeholder {${printable(name!, 40)}} in ${show(value)}`, `${guess ? `did you mean {${guess}}? ` : ''}known: {deviceId}, {sensor}, {measurement}`));
    }
    if (/[{}]/.test(value.replace(/\{[^{}]*\}/g, ''))) problems.push(...issue(`unbalanced brace in ${show(value)}`, 'placeholders are written {deviceId}, {sensor}, {measurement}'));
    return problems;
  },
};

/** MQTT 3.1.1 §4.7.1: `+` fills a whole level, `#` is a whole level and the last one. */
function filterLevelIssues(filter: string): FormatIssue[] {
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return issue(`${show(filter)}: # must be a whole level and the last one`, 'e.g. "sensors/#"');
    }
    if (level.includes('+') && level !== '+') return issue(`${show(filter)}: + must be a whole level`, 'e.g. "sensors/+/altitude"');
  }
  return ok;
}

const mqttTopicFilter: ConfigFormat = {
  allowed: 'topic filter: + as a whole level, # as the last level; $share/group/filter',
  check(value) {
    const basic = topicBasics(value, 'topic filter');
    if (basic.length > 0 || typeof value !== 'string') return basic;
    if (value.startsWith('$share/')) {
      const [, group, ...rest] = value.split('/');
      if (!group || /[+#]/.test(group)) return issue(`${show(value)}: the share group name is empty or has a wildcard`, 'write $share/<group>/<filter>, e.g. "$share/loggers/sensors/#"');
      if (rest.length === 0 || rest.join('/') === '') return issue(`${show(value)}: nothing to subscribe to after the share group`, 'write $share/<group>/<filter>');
      return filterLevelIssues(rest.join('/'));
    }
    return filterLevelIssues(value);
  },
};

/** Longer than any broker URL (scheme, user, host, port, a WebSocket path); it keeps logs readable. */
const MAX_URL_LENGTH = 2048;
const MQTT_SCHEMES = ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:', 'ssl:'];

/** The URL with its password masked, for messages (`mqtt.url` is sensitive). */
export function redactUrl(text: string): string {
  // Each server of a list (mqtt.url may hold several): every one may carry its own password.
  return text.split(',').map((part) => part.replace(/^(\s*(?:[a-z][\w+.-]*:\/\/)?[^:/@]*:)[^@/]*@/i, '$1***@')).join(',');
}

/** Why one broker URL is wrong, or nothing. */
function mqttUrlIssues(value: unknown, key?: string): FormatIssue[] {
  const hint = 'e.g. "mqtt://localhost:1883", "mqtts://broker.example:8883", "ws://host:9001/mqtt"';
  if (typeof value !== 'string') return issue(`${show(value)} is not a broker URL`, hint, key);
  if (value === '') return issue('an empty entry in the list of servers', 'separate the URLs by single commas, e.g. "mqtt://node1:1883,mqtt://node2:1883"', key);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return issue(`${show(redactUrl(value))} is not a URL`, `write the scheme and host, ${hint}`, key);
  }
  if (!MQTT_SCHEMES.includes(url.protocol)) {
    const bare = /^[\w.-]+$/.test(url.protocol.slice(0, -1)) && /^\d*$/.test(url.pathname);
    return issue(`${show(redactUrl(value))}: scheme ${show(url.protocol)} is not an MQTT transport`, bare ? `add a scheme: ${show(`mqtt://${redactUrl(value)}`)}` : `use one of ${MQTT_SCHEMES.join(' ')}; ${hint}`, key);
  }
  if (url.hostname === '') return issue(`${show(redactUrl(value))} has no host`, hint, key);
  // RFC 1035 §2.3.4 (and RFC 1123 §2.1): a name is at most 255 octets on the wire, 253 characters
  // written out, each label at most 63. The URL parser accepts any length; a resolver does not.
  const host = url.hostname;
  const label = host.startsWith('[') ? undefined : host.split('.').find((l) => l.length > 63);
  if (host.length > 253) return issue(`${show(redactUrl(value))}: the host name is ${host.length} characters long`, 'a host name is at most 253 characters, RFC 1035 §2.3.4: check the URL', key);
  if (label !== undefined) return issue(`${show(redactUrl(value))}: the host name has a label of ${label.length} characters`, 'each dot-separated part of a host name is at most 63 characters, RFC 1035 §2.3.4: check the URL', key);
  if (value.length > MAX_URL_LENGTH) return issue(`the URL is ${value.length} characters long`, `a broker URL is a scheme, host, port and perhaps a path: at most ${MAX_URL_LENGTH} characters here`, key);
  return ok;
}

/** Schemes whose connection is encrypted (TLS); the others send everything, the password too, in the clear. */
export const TLS_SCHEMES = ['mqtts:', 'wss:', 'ssl:'];
/** A cluster's nodes, at most: a longer list is more likely a mistake than a fleet's brokers. */
export const MAX_SERVERS = 32;

/**
 * The servers of `mqtt.url`: one URL, or several separated by commas (a comma inside a password is
 * written %2C, which mqtt.js decodes), or a JSON array of URLs. Entries are trimmed.
 */
export function brokerUrls(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v.trim() : v) as string);
  if (typeof value !== 'string') return [];
  return value.split(',').map((v) => v.trim());
}

/**
 * One broker URL, or a list of them (a cluster's nodes, tried in turn: agent/mqtt/server-list.ts).
 * A list must not mix encrypted and plain schemes: whoever can block the TLS node would otherwise
 * get the agent, and its password, onto the plain one.
 */
const mqttUrl: ConfigFormat = {
  allowed: 'mqtt://, mqtts://, ws://, wss://, tcp:// or ssl:// URL with a host; several separated by commas (or a JSON array) for a cluster',
  check(value) {
    if (typeof value === 'string' && !value.includes(',')) return mqttUrlIssues(value);
    if (!Array.isArray(value) && typeof value !== 'string') return mqttUrlIssues(value);
    const urls = brokerUrls(value);
    if (urls.length === 0) return issue('the list of servers is empty', 'give at least one URL, e.g. "mqtt://localhost:1883"');
    // "mqtt://user:pa,ss@host" split at its comma: say so without showing either half of the password.
    const split = typeof value === 'string' ? urls.findIndex((url, i) => i > 0 && !url.includes('://') && url.includes('@')) : -1;
    // The list travels joined by commas (load-config.ts, server-list.ts): an array entry holding one
    // would be split there, and half a password shown as a server.
    const comma = Array.isArray(value) ? urls.findIndex((url) => typeof url === 'string' && url.includes(',')) : -1;
    if (comma >= 0) return issue(`entry [${comma}] holds a comma`, 'write a comma in a password as %2C, or give the password in mqtt.password, mqtt.passwordFile or EDGE_AGENT_MQTT_PASSWORD; a URL itself has no comma', `[${comma}]`);
    if (split > 0) return issue(`entry [${split}] has no scheme but an @: a comma inside a password splits the URL in two`, 'write a comma in a password as %2C, or give the password in mqtt.password, mqtt.passwordFile or EDGE_AGENT_MQTT_PASSWORD');
    if (urls.length > MAX_SERVERS) return issue(`${urls.length} servers`, `at most ${MAX_SERVERS}: list a cluster's nodes (or its load balancer) once each`);
    const found = urls.flatMap((url, i) => mqttUrlIssues(url, `[${i}]`));
    if (found.length > 0) return found;
    const seen = new Map<string, number>();
    urls.forEach((url, i) => {
      const first = seen.get(url);
      if (first !== undefined) found.push(...issue(`${show(redactUrl(url))} is listed twice (also [${first}])`, 'list each server once: the agent goes round the list in order', `[${i}]`));
      else seen.set(url, i);
    });
    const encrypted = urls.map((url) => TLS_SCHEMES.includes(new URL(url).protocol));
    if (encrypted.some((e) => e) && encrypted.some((e) => !e)) {
      const plain = encrypted.indexOf(false);
      found.push(...issue(`${show(redactUrl(urls[plain]!))} is not encrypted but other servers in the list are`, 'use TLS for every server (mqtts:// or wss://): a list that mixes them lets whoever blocks the TLS nodes have the agent, and its password, on a plain one', `[${plain}]`));
    }
    return found;
  },
};

function topicLevelName(what: string, example: string): ConfigFormat {
  return {
    allowed: '1–64 characters, no / + # { } spaces or control characters, not starting with $',
    check(value) {
      if (value === null || value === undefined) return issue(`${what} is missing`, `it is required, e.g. ${show(example)}`);
      if (typeof value !== 'string') return issue(`${show(value)} is not a valid ${what}`, `give a string, e.g. ${show(example)}`);
      // Characters, not UTF-16 units; a long string is too long either way (spread only a short one).
      const length = value.length > 128 ? value.length : [...value].length;
      if (length < 1 || length > 64) return issue(`${what} ${show(value)} is ${length > 128 ? 'longer than 128' : length} characters long`, `use 1 to 64 characters, e.g. ${show(example)}`);
      const bad = /[/+#{}\s\p{Cc}]/u.exec(value);
      if (bad) return issue(`${what} ${show(value)} contains ${show(bad[0])}`, `it becomes one MQTT topic level: no / + # { } spaces or control characters, e.g. ${show(example)}`);
      if (value.startsWith('$')) return issue(`${what} ${show(value)} starts with $`, 'topics beginning with $ are reserved for the broker');
      return ok;
    },
  };
}

const clientId: ConfigFormat = {
  allowed: 'string ≤ 256 bytes; empty = "edge-agent-{deviceId}"; {deviceId} allowed',
  check(value) {
    if (typeof value === 'string' && Buffer.byteLength(value) <= 256 && !/\p{Cc}/u.test(value)) return ok;
    return issue(`${show(value)} is not a usable MQTT client id`, 'give a short string without control characters, or "" for edge-agent-{deviceId}');
  },
};

export type UnitAliases = Record<string, string>;

function unit(quantity: string, values: readonly string[], aliases: UnitAliases): ConfigFormat {
  const base = oneOf(`${quantity} unit`, values, aliases);
  return {
    ...base,
    check(value) {
      if (values.includes(value as string)) return ok;
      return issue(`${show(value)} is not a unit of ${quantity}`, `allowed: ${values.join(', ')}${Object.keys(aliases).length ? ` (also ${Object.keys(aliases).join(', ')})` : ''}`);
    },
  };
}

/** Free text without control characters ("" = not set); never echoes the value (it may be a secret). */
function text(what: string, hint: string, maxBytes = 65535): ConfigFormat {
  return {
    allowed: 'string; "" = not set',
    check(value) {
      if (typeof value !== 'string' || /\p{Cc}/u.test(value)) return issue(`not a valid ${what} (a string without control characters)`, hint);
      const bytes = Buffer.byteLength(value, 'utf8');
      return bytes > maxBytes ? issue(`the ${what} is ${bytes} bytes long`, `at most ${maxBytes} bytes; ${hint}`) : ok;
    },
  };
}

/** Linux's PATH_MAX (limits.h): a longer path fails with ENAMETOOLONG when it is used. */
const PATH_MAX = 4096;

function jsonArray(what: string): ConfigFormat {
  return {
    allowed: `array of ${what} objects (environment: JSON)`,
    check: (value) => (Array.isArray(value) ? ok : issue(`${show(value)} is not an array of ${what} objects`, `write [ { ... }, ... ]${what === 'sensor' ? '' : ', or [] for none'}`)),
    coerce(text) {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    },
  };
}

/*
 * Subscriber mode (outputs, inputs, rules, commands). Action lists are only checked for being
 * arrays here: agent/config/actions.ts checks each action with its own path.
 */

/** A publish topic template with exactly these placeholders (never a wildcard). */
function templateTopic(placeholders: readonly string[], example: string): ConfigFormat {
  const known = placeholders.map((p) => `{${p}}`).join(', ');
  return {
    allowed: `publish topic, no + or #; placeholders ${known}`,
    check(value) {
      const basic = topicBasics(value, 'topic');
      if (basic.length > 0 || typeof value !== 'string') return basic;
      const problems: FormatIssue[] = [];
      if (/[+#]/.test(value)) problems.push(...issue(`${show(value)} contains a wildcard (+ or #)`, `a publish topic names every level exactly, e.g. ${show(example)}`));
      if (value.startsWith('$')) problems.push(...issue(`${show(value)} starts with $`, 'topics beginning with $ are reserved for the broker ($SYS/...)'));
      for (const [, name] of value.matchAll(/\{([^{}]*)\}/g)) {
        if (placeholders.includes(name!)) continue;
        const guess = closest(name!, placeholders);
        problems.push(...issue(`unknown placeholder {${printable(name!, 40)}} in ${show(value)}`, `${guess ? `did you mean {${guess}}? ` : ''}known here: ${known}`));
      }
      if (/[{}]/.test(value.replace(/\{[^{}]*\}/g, ''))) problems.push(...issue(`unbalanced brace in ${show(value)}`, `placeholders are written ${known}`));
      return problems;
    },
  };
}

const gpioPin: ConfigFormat = {
  allowed: 'pin as named on the board: "17" (Pi BCM), "P8_13" (BeagleBone Black), "25" (Udoo Neo)',
  check(value) {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return ok;
    if (typeof value === 'string' && /^[A-Za-z0-9_.-]{1,32}$/.test(value)) return ok;
    return issue(`${show(value)} is not a pin name`, 'write the pin as your board names it, e.g. "17" on a Raspberry Pi (BCM), "P8_13" on a BeagleBone Black, "25" on a Udoo Neo');
  },
};

const nullOr = (format: ConfigFormat, allowed: string): ConfigFormat => ({ allowed, check: (value) => (value === null ? ok : format.check(value)), ...(format.coerce ? { coerce: format.coerce } : {}) });

const threshold = nullOr(number('threshold', -1e12, 1e12, 'in the unit of the payload (e.g. feet)'), 'number, or null');

const jsonField: ConfigFormat = {
  allowed: 'null (the payload is the value) or a dotted path into a JSON payload: "value", "reading.ft"',
  check(value) {
    if (value === null || (typeof value === 'string' && /^[\w$-]+(\.[\w$-]+)*$/.test(value))) return ok;
    return issue(`${show(value)} is not a field path`, 'write the JSON field as a dotted path, e.g. "value" or "reading.ft", or null for a plain payload');
  },
};

const matchValue: ConfigFormat = {
  allowed: 'string, number, or null',
  check(value) {
    if (value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) return ok;
    return issue(`${show(value)} cannot be compared with a payload`, 'give a string such as "ON" or a number, or null');
  },
};

/** Home Assistant's binary_sensor device classes (BinarySensorDeviceClass, homeassistant/components/binary_sensor). */
export const BINARY_SENSOR_CLASSES = [
  'battery', 'battery_charging', 'carbon_monoxide', 'cold', 'connectivity', 'door', 'garage_door', 'gas', 'heat', 'light', 'lock', 'moisture', 'motion', 'moving',
  'occupancy', 'opening', 'plug', 'power', 'presence', 'problem', 'running', 'safety', 'smoke', 'sound', 'tamper', 'update', 'vibration', 'window',
] as const;

const actionList: ConfigFormat = {
  allowed: 'array of actions: {type: output|log|publish, ...}',
  check: (value) => (Array.isArray(value) ? ok : issue(`${show(value)} is not an array of actions`, 'write [ { "type": "output", "output": "led", "state": "on" } ], or [] for none')),
};

const SUBSCRIBER_FORMATS = {
  'output-list': jsonArray('output'),
  'input-list': jsonArray('input'),
  'rule-list': jsonArray('rule'),
  'output-name': topicLevelName('output name', 'led'),
  'input-name': topicLevelName('input name', 'button'),
  'rule-name': topicLevelName('rule name', 'altitude-led'),
  'gpio-pin': gpioPin,
  'output-state': oneOf('output state', ['on', 'off']),
  edge: oneOf('edge', ['rising', 'falling', 'both']),
  'debounce-ms': integer('debounce time', 0, 10000, 'milliseconds a level must be stable; 0 = off, 20–50 for a push button'),
  'io-topic': templateTopic(['deviceId', 'name'], 'devices/{deviceId}/outputs/{name}/state'),
  'device-topic': templateTopic(['deviceId'], 'devices/{deviceId}/commands'),
  'json-field': jsonField,
  // Home Assistant's own lists (homeassistant/components/switch and binary_sensor, SwitchDeviceClass
  // and BinarySensorDeviceClass); '' = none.
  'ha-switch-class': oneOf('switch device class', ['', 'outlet', 'switch']),
  'ha-binary-sensor-class': oneOf('binary_sensor device class', ['', ...BINARY_SENSOR_CLASSES]),
  'ha-icon': {
    allowed: '"" or "mdi:<name>" (Material Design Icons: lower-case letters, digits, -)',
    check: (value) => (value === '' || (typeof value === 'string' && /^mdi:[a-z0-9]+(-[a-z0-9]+)*$/.test(value)) ? ok : issue(`${show(value)} is not an icon`, 'write "mdi:" and an icon name from materialdesignicons.com, e.g. "mdi:door", or "" for the device class\'s')),
  },
  threshold,
  'match-value': matchValue,
  hysteresis: number('hysteresis', 0, 1e12, 'how far past the threshold the value must fall back before the condition turns false'),
  'action-list': actionList,
  'payload-bytes': integer('payload size limit', 16, 268435455, 'bytes; MQTT allows up to 268435455'),
  'session-expiry-s': integer('session expiry', 0, 4294967295, 'seconds the broker keeps a persistent MQTT 5 session'),
} satisfies Record<string, ConfigFormat>;

export const FORMATS = {
  board: oneOf('board', ['raspberry-pi', 'beaglebone-black', 'udoo-neo', 'generic'], { rpi: 'raspberry-pi', raspberrypi: 'raspberry-pi', bbb: 'beaglebone-black', beaglebone: 'beaglebone-black', udooneo: 'udoo-neo' }),
  role: oneOf('role', ['publisher', 'subscriber', 'both']),
  'log-level': oneOf('log level', ['error', 'warn', 'info', 'debug'], { warning: 'warn' }),
  flag,
  'device-id': topicLevelName('device id', 'drone01'),
  'sensor-name': topicLevelName('sensor name', 'altimeter'),
  'i2c-address': i2cAddress,
  'i2c-bus': i2cBus,
  'mqtt-url': mqttUrl,
  'mqtt-client-id': clientId,
  'mqtt-topic': mqttTopic,
  'mqtt-topic-filter': mqttTopicFilter,
  qos: oneOf('QoS', [0, 1, 2]),
  'mqtt-protocol-version': oneOf('MQTT protocol version', [4, 5, 'auto'], { '3.1.1': 4, '5.0': 5 }),
  'keepalive-s': integer('keepalive', 0, 65535, '0 disables keepalive; 60 is usual'),
  'timeout-ms': integer('timeout', 1, 600000, 'in milliseconds, e.g. 30000'),
  'reconnect-ms': integer('reconnect period', 0, 3600000, 'in milliseconds; 0 disables reconnecting'),
  'reconnect-spread-ms': integer('reconnect spread window', 0, 600000, 'in milliseconds, e.g. 10000 for a fleet; 0 leaves the first wait to reconnectPeriodMs'),
  'sensor-list': jsonArray('sensor'),
  'subscription-list': jsonArray('subscription'),
  ...SUBSCRIBER_FORMATS,
  // The registered drivers (drivers/registry.ts), and their chips' names as aliases.
  driver: oneOf('driver', DRIVERS.map((d) => d.name), Object.fromEntries(DRIVERS.flatMap((d) => d.aliases.map((alias) => [alias, d.name])))),
  'interval-ms': integer('interval', 10, 86400000, 'milliseconds between readings, at least 10'),
  'read-attempts': integer('number of read attempts', 1, 10, '1 means no retry; 3 rides out a short glitch'),
  'reinit-after': integer('failure count', 1, 1000, 'consecutive failed readings before the sensor is re-initialised'),
  'fault-rate': number('fault rate', 0, 1, 'the share of transactions that fail, e.g. 0.2; 0 for none'),
  'temperature-unit': unit('temperature', ['°C', '°F'], { C: '°C', degC: '°C', celsius: '°C', '℃': '°C', F: '°F', degF: '°F', fahrenheit: '°F', '℉': '°F' }),
  'pressure-unit': unit('pressure', ['Pa', 'hPa'], { mbar: 'hPa', mb: 'hPa' }),
  'altitude-unit': unit('altitude', ['m', 'ft'], { metre: 'm', meter: 'm', metres: 'm', meters: 'm', foot: 'ft', feet: 'ft' }),
  'humidity-unit': unit('humidity', ['%'], { '%RH': '%', pct: '%', percent: '%' }),
  decimals: { ...integer('number of decimals', 0, 10, 'or null for the unit\'s default'), allowed: 'integer 0–10, or null for the unit\'s default' },
  'payload-format': oneOf('payload format', ['plain', 'json']),
  'sample-layout': oneOf('layout', ['per-measurement', 'per-sample']),
  'filter-list': {
    allowed: 'list of filter objects, e.g. [{ "type": "median", "window": 5 }, { "type": "delta", "min": 0.5 }]',
    check: (value) => checkFilters(value).map(({ key, message, hint }) => (key ? { key, message, hint } : { message, hint })),
  },
  'discovery-prefix': {
    allowed: 'one or more topic levels without wildcards, e.g. "homeassistant"',
    check(value) {
      const hint = 'the prefix set in Home Assistant\'s MQTT integration, "homeassistant" by default';
      if (typeof value !== 'string' || !/^[^#+]+$/.test(value) || value.startsWith('/') || value.endsWith('/')) return issue(`${show(value)} is not a discovery prefix`, hint);
      const text = topicTextIssue(value, 'discovery prefix');
      if (text) return issue(text.message, text.hint);
      // A discovery topic is {prefix}/{component}/{node id}/{object id}/config: ids from names of
      // at most 64 characters, each escaped byte 4 characters (features/ha-ids.ts), take under
      // 4 KiB; the rest of MQTT's 65535 bytes is the prefix's.
      const bytes = Buffer.byteLength(value, 'utf8');
      return bytes > 65535 - 4096 ? issue(`the discovery prefix is ${bytes} bytes long`, `at most ${65535 - 4096} bytes, so the discovery topics fit MQTT's 65535; ${hint}`) : ok;
    },
  },
  'ha-discovery': oneOf('discovery layout', ['entity', 'device']),
  'latest-max-age-s': integer('age', 1, 7 * 86400, 'seconds; a value older than this is not shown to Home Assistant as current'),
  'state-dir': {
    allowed: 'absolute or relative directory path, or "" for the default',
    check: (value) => (typeof value === 'string' && !/\p{Cc}/u.test(value) && Buffer.byteLength(value, 'utf8') < PATH_MAX
      ? ok
      : issue(`${show(value)} is not a directory path`, `a path without control characters, shorter than ${PATH_MAX} bytes: e.g. "/var/lib/edge-agent/queue", or "" for the default`)),
  },
  'queue-sync': oneOf('sync policy', ['always', 'interval']),
  'sync-interval-ms': integer('sync interval', 10, 60000, 'milliseconds between fdatasync calls, e.g. 1000'),
  'queue-bytes': integer('size', 16384, 2 ** 40, 'in bytes, e.g. 67108864 for 64 MiB'),
  'segment-bytes': integer('segment size', 1024, 64 * 2 ** 20, 'in bytes, e.g. 1048576 for 1 MiB'),
  'age-s': integer('age', 0, 10 * 365 * 86400, 'in seconds; 0 = no limit'),
  window: integer('window', 1, 10000, 'messages in flight at once, e.g. 100'),
  'qos0-policy': oneOf('QoS 0 policy', ['buffer', 'drop']),
  'health-interval-s': integer('health interval', 0, 86400, 'seconds between health reports; 0 = off'),
  'mqtt-username': text('MQTT user name', 'e.g. "drone01", or "" for none'),
  secret: { ...text('secret', 'or "" for none'), allowed: 'string (masked in logs)' },
  'file-path': text('file path', 'an absolute path such as "/etc/edge-agent/ca.crt", or "" for none', PATH_MAX - 1),
} satisfies Record<string, ConfigFormat>;

export type FormatName = keyof typeof FORMATS;

const registered = new Set<string>();

function register(name: string, format: ConfigFormat): void {
  if (registered.has(name)) return;
  const validate = (value: unknown): void => {
    const issues = format.check(value);
    if (issues.length > 0) throw new FormatError(issues);
  };
  convict.addFormat(format.coerce ? { name, validate, coerce: format.coerce } : { name, validate });
  registered.add(name);
}

/** Make the formats known to convict, and `extra` ones made for single keys (its registry is global; doing it twice is harmless). */
export function registerFormats(extra: Iterable<KeyFormat> = []): void {
  for (const [name, format] of Object.entries(FORMATS) as [string, ConfigFormat][]) register(name, format);
  for (const format of extra) register(format.name, format);
}
