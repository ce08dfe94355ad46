/** The package's version, for `--version`, Home Assistant's device block and health. */
import { readFileSync } from 'node:fs';

interface PackageJson {
  version: string;
  homepage?: unknown;
  repository?: unknown;
}

let cached: PackageJson | undefined;

function packageJson(): PackageJson {
  cached ??= JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as PackageJson;
  return cached;
}

export function version(): string {
  return packageJson().version;
}

/** Where users find help: package.json's homepage, else its repository as a web address; undefined if neither is set. */
export function supportUrl(): string | undefined {
  const { homepage, repository } = packageJson();
  if (typeof homepage === 'string' && /^https:\/\//.test(homepage)) return homepage;
  const url = typeof repository === 'string' ? repository : typeof repository === 'object' && repository !== null ? (repository as { url?: unknown }).url : undefined;
  if (typeof url !== 'string') return undefined;
  const web = url.replace(/^git\+/, '').replace(/\.git$/, '');
  return /^https:\/\//.test(web) ? web : undefined;
}
