/**
 * The one template filler: `{name}` placeholders in topics, client ids and rule messages. Each
 * placeholder of the given names is replaced by its value, once, left to right; nothing is
 * evaluated, so a value that itself contains `{rule}` stays as it came, and no template reaches a
 * shell. Braces around any other name stay as written (the config reports unknown placeholders
 * with `unknownPlaceholders`).
 */

/** In a publish topic (a measurement's topic, the status and health topics, commands'). */
export const TOPIC_PLACEHOLDERS = ['deviceId', 'sensor', 'measurement'] as const;
/** In a rule action's message and payload (a rule's publish topic takes only `{deviceId}` and `{rule}`). */
export const ACTION_PLACEHOLDERS = ['deviceId', 'rule', 'topic', 'value', 'condition', 'ts'] as const;

export type TemplateValues<N extends string> = Partial<Record<N, string>>;

const PLACEHOLDER = /\{([^{}]*)\}/g;

/**
 * `template` with each `{name}` of `names` filled from `values`. A name of the list without a value
 * stays as written; with `strict` (at run time, where every value is known) that is a bug, and
 * throws.
 */
export function fillTemplate<N extends string>(template: string, names: readonly N[], values: TemplateValues<N>, { strict = false }: { strict?: boolean } = {}): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    if (!(names as readonly string[]).includes(name)) return whole;
    const value = values[name as N];
    if (value !== undefined) return value;
    if (strict) throw new Error(`template ${template} needs {${name}}, which is not known here`);
    return whole;
  });
}

/** Placeholders in `template` that are not in `allowed` (the config reports them). */
export function unknownPlaceholders(template: string, allowed: readonly string[] = ACTION_PLACEHOLDERS): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((name) => !allowed.includes(name));
}
