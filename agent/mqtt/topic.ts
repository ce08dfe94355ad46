/** Topic templates: `sensors/{deviceId}/{measurement}` with the placeholders below. */
export const TOPIC_PLACEHOLDERS = ['deviceId', 'sensor', 'measurement'] as const;
export type TopicVars = Partial<Record<(typeof TOPIC_PLACEHOLDERS)[number], string>>;

const PLACEHOLDER = new RegExp(`\\{(${TOPIC_PLACEHOLDERS.join('|')})\\}`, 'g');

/**
 * Fill a topic template. Strict (at run time) a placeholder with no value here is a bug and
 * throws; lenient (the config loader, which knows `deviceId` before any sensor) leaves it as
 * written, as it does any name that is not a placeholder (validation reports those).
 */
export function renderTopic(template: string, vars: TopicVars, { strict = true }: { strict?: boolean } = {}): string {
  return template.replace(PLACEHOLDER, (whole, name: keyof TopicVars) => {
    const value = vars[name];
    if (value !== undefined) return value;
    if (strict) throw new Error(`topic template ${template} needs {${name}}, which is not known here`);
    return whole;
  });
}

/**
 * MQTT topic filter matching (`+` one level, `#` the rest, and `$`-topics not matched by a
 * leading wildcard, as MQTT 3.1.1 section 4.7.2 requires). A `$share/group/` prefix is stripped.
 */
export function topicMatches(filter: string, topic: string): boolean {
  const plain = filter.startsWith('$share/') ? filter.split('/').slice(2).join('/') : filter;
  const f = plain.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
