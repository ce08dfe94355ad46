/**
 * mqtt.js, loaded with `require` rather than `import`. mqtt.js is a CommonJS package whose entry
 * re-exports a dozen of its modules; importing it from an ES module makes Node.js find its named
 * exports with cjs-module-lexer (a WebAssembly parser with memory of its own) over the entry and
 * every module it re-exports. `require` skips that step. The agent's resident anonymous memory
 * with the unit's node flags, after a full collection, import 'mqtt' against require('mqtt'):
 * 13.1 against 11.3 MB (docs/performance.md, "Where the memory goes"). The types are mqtt.js's own.
 */
import { createRequire } from 'node:module';
import type * as Mqtt from 'mqtt';

const require = createRequire(import.meta.url);

export const mqtt = require('mqtt') as typeof Mqtt;
