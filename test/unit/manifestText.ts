// package.json as VS Code reads it: every `%key%` string replaced by its English text from package.nls.json.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');

/** Every string in the manifest, with where it is: `contributes.commands.0.title`. */
export function manifestStrings(value: unknown, at = ''): [string, string][] {
  if (typeof value === 'string') return [[at, value]];
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => manifestStrings(v, at ? `${at}.${k}` : k));
}

/** The `%key%` placeholders a string is made of (VS Code replaces a whole-string placeholder only). */
export function placeholderKey(text: string): string | undefined {
  return /^%([^%\s]+)%$/.exec(text)?.[1];
}

/** The manifest with every placeholder replaced from `nls`; a key that has no text stays as it is. */
export function localize<T>(value: T, nls: Record<string, string>): T {
  if (typeof value === 'string') {
    const key = placeholderKey(value);
    return (key !== undefined && typeof nls[key] === 'string' ? nls[key] : value) as T;
  }
  if (Array.isArray(value)) return value.map(v => localize(v, nls)) as T;
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, localize(v, nls)])) as T;
}

export function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as T;
}

/** package.json in English, as the Extensions view and the command palette show it. */
export function englishManifest(): ReturnType<typeof JSON.parse> {
  return localize(readJson('package.json'), readJson<Record<string, string>>('package.nls.json'));
}
