/**
 * Message templates for rule actions: `{deviceId}`, `{rule}`, `{topic}`, `{value}`, `{condition}`,
 * `{ts}` are replaced by text, once, left to right. Nothing is evaluated: a value that itself
 * contains `{rule}` stays as it came, and no template reaches a shell.
 */
export const TEMPLATE_VARS = ['deviceId', 'rule', 'topic', 'value', 'condition', 'ts'] as const;
export type TemplateVar = (typeof TEMPLATE_VARS)[number];
export type TemplateValues = Record<TemplateVar, string>;

const PLACEHOLDER = /\{([^{}]*)\}/g;

export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => ((TEMPLATE_VARS as readonly string[]).includes(name) ? values[name as TemplateVar] : whole));
}

/** Placeholders in `template` that are not in `allowed` (the config reports them). */
export function unknownPlaceholders(template: string, allowed: readonly string[] = TEMPLATE_VARS): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((name) => !allowed.includes(name));
}
