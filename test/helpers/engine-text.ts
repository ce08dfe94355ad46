/**
 * Text the JavaScript engine writes in its own errors and stack traces. A user must never see it
 * in a configuration problem: the config tests and the config fuzz assert its absence.
 */
export const ENGINE_TEXT = /Maximum call stack|Cannot read propert|is not a function|is not iterable|undefined \(reading|of undefined|of null|is not defined|Invalid array length|RangeError|TypeError|SyntaxError|ReferenceError|Unexpected token|is not valid JSON|\bat (?:Object|Array|JSON)\.|\n\s+at /;
