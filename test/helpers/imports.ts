/**
 * What a module imports, read from its text: static imports and re-exports (`import … from`,
 * `import type … from`, `export … from`, a bare `import '…'`) apart from dynamic `import('…')`.
 * A comment that looks like an import counts too: the scan errs on the side of finding one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface Imports {
  /** Loaded with the module (and type-only imports, in TypeScript source). */
  static: string[];
  /** Loaded when the code runs `import(…)`. */
  dynamic: string[];
}

export function importsOf(text: string): Imports {
  const all = (pattern: RegExp): string[] => [...text.matchAll(pattern)].map((m) => m[1]!);
  return {
    static: [...all(/\bfrom\s*['"]([^'"]+)['"]/g), ...all(/(?:^|[;\s])import\s*['"]([^'"]+)['"]/g)],
    dynamic: all(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g),
  };
}

/** Every file under `dir` whose name ends with `suffix`, as paths relative to the working directory. */
export function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path, suffix);
    return entry.name.endsWith(suffix) ? [path] : [];
  });
}

/** A relative specifier as a path from the working directory; packages and node: built-ins as they are. */
export function resolveSpecifier(from: string, specifier: string): string {
  return specifier.startsWith('.') ? relative('.', resolve(dirname(from), specifier)) : specifier;
}

/** The modules `entry` loads with it (itself included), following static imports of compiled JS. */
export function staticClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [relative('.', entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of importsOf(readFileSync(file, 'utf8')).static) {
      if (specifier.startsWith('.')) queue.push(resolveSpecifier(file, specifier));
    }
  }
  return seen;
}
