/**
 * Home Assistant's ids for the agent's entities, one-to-one with what they name. A discovery
 * topic's node_id and object_id are one topic level of [a-zA-Z0-9_-] each, so names are escaped:
 * letters, digits and `-` stay as they are, every other UTF-8 byte (`_` included) becomes `__HH`
 * (two upper-case hex digits), and the escaped names are joined with a single `_`. Before this,
 * every other character became `_`, so `drone.01` and `drone_01` both claimed `drone_01` and one
 * board had no entities (issue 16, item 7).
 *
 * Why this is one-to-one: an escape always starts `__` followed by two hex digits, and a name never
 * starts with `_` unescaped; so reading left to right, a `_` followed by `_` and two hex digits
 * begins an escape, and any other `_` separates two names (`decodeId` does exactly that, and
 * test/ha-ids.test.ts fuzzes the round trip). Names of letters, digits and `-` keep the ids they
 * had before (`drone01_altimeter_altitude`), and with them the entities' customisations in Home
 * Assistant, which hang on unique_id.
 */

const PLAIN = /^[A-Za-z0-9-]$/;

/** One name as a topic level of [A-Za-z0-9_-]. */
export function escapeName(name: string): string {
  let out = '';
  for (const char of name) {
    if (PLAIN.test(char)) out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `__${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Names joined so that the names can be read back (decodeId). */
export function joinNames(names: readonly string[]): string {
  return names.map(escapeName).join('_');
}

/** The names an id was made of; throws on text joinNames never makes. */
export function decodeId(id: string): string[] {
  const names: number[][] = [[]];
  for (let i = 0; i < id.length; ) {
    const char = id[i]!;
    if (char !== '_') {
      if (!PLAIN.test(char)) throw new Error(`not an id: ${JSON.stringify(id)}`);
      names[names.length - 1]!.push(char.charCodeAt(0));
      i++;
    } else if (id[i + 1] === '_' && /^[0-9A-F]{2}$/.test(id.slice(i + 2, i + 4))) {
      names[names.length - 1]!.push(Number.parseInt(id.slice(i + 2, i + 4), 16));
      i += 4;
    } else {
      names.push([]);
      i++;
    }
  }
  return names.map((bytes) => Buffer.from(bytes).toString('utf8'));
}

/** The Home Assistant component (entity platform) of an entity. */
export type Component = 'sensor' | 'binary_sensor' | 'switch' | 'button';

/** Where an entity's ids come from: the device, then what names it within the device. */
export interface EntityKey {
  component: Component;
  deviceId: string;
  /** e.g. [sensor, quantity], [output], ['health', 'uptime'], ['health', 'errors', sensor]. */
  path: readonly string[];
}

export interface EntityIds {
  /** The discovery topic's node_id: the device. */
  nodeId: string;
  /** The discovery topic's object_id, and the component's key in a device discovery payload. */
  objectId: string;
  uniqueId: string;
  /** `<component>.<slug>`: the entity id Home Assistant 2025.10+ gives a new entity. */
  defaultEntityId: string;
}

export function entityIds(key: EntityKey): EntityIds {
  const nodeId = escapeName(key.deviceId);
  const objectId = joinNames(key.path);
  const full = `${nodeId}_${objectId}`;
  return {
    nodeId,
    objectId,
    // The prefix and the joined form are what unique ids have always been for plain names.
    uniqueId: `edge-agent_${full}`,
    // An entity id is [a-z0-9_]; Home Assistant adds _2 should two slugs meet (they only suggest).
    defaultEntityId: `${key.component}.${full.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`,
  };
}

/** The topic level before `/config`, as the agent wrote it up to 0.1 (not one-to-one): for removing those configs. */
export function legacyObjectId(deviceId: string, path: readonly string[]): string {
  return [deviceId, ...path].join('_').replace(/[^a-zA-Z0-9_-]/g, '_');
}
