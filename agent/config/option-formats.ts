/**
 * A driver's option (drivers/options.ts) as a configuration format: its check with the messages
 * and hints every format gives, its coercion of strings ("x16", "1024" → 1024), and what the
 * reference shows as allowed. Drivers say what is allowed; this says it the configuration's way.
 */
import type { Option, OptionKind, OptionText } from '../../drivers/options.js';
import { closest } from './closest.js';
import { integer, number, oneOf, type ConfigFormat, type FormatIssue, type KeyFormat } from './formats.js';
import { keyPath, show, showKey } from './printable.js';

/** The configuration's escaping, handed to a driver's own checks. */
const TEXT: OptionText = { show, key: showKey, keyPath: (name) => keyPath('', name), closest };

function formatOf(type: OptionKind, key: string): ConfigFormat {
  switch (type.kind) {
    case 'choice':
      return oneOf(type.what, type.values, type.aliases);
    case 'number': {
      const plain = (type.integer ? integer : number)(type.what, type.min, type.max, type.hint);
      const mistaken = type.mistaken;
      if (!mistaken) return plain;
      return {
        ...plain,
        check(value): FormatIssue[] {
          // A value that is in range once converted from the unit people confuse with this one.
          if (typeof value === 'number' && value >= type.min / mistaken.factor && value <= type.max / mistaken.factor) {
            return [{ message: `${value} looks like ${mistaken.unit}`, hint: `${key} is in ${type.unit ?? 'its own unit'}: write ${Math.round(value * mistaken.factor)}` }];
          }
          return plain.check(value);
        },
      };
    }
    case 'checked':
      return { allowed: type.allowed, check: (value) => type.check(value, TEXT) };
  }
}

/** The format of `option`, named for convict after where it is (e.g. "bmp388.settings.filter"). */
export function optionFormat(option: Option, name: string): KeyFormat {
  const key = name.slice(name.lastIndexOf('.') + 1);
  return { ...formatOf(option.type, key), name };
}
