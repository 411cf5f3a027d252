// undici, loaded on first use: dist/undici.js in the packaged extension (esbuild.js maps this require to that
// file), src/core/undiciParts in the tests. Nothing of undici is compiled until the first request.
/* eslint-disable @typescript-eslint/no-require-imports */
export function loadUndici(): typeof import('./undiciParts').undici {
  return (require('./undiciParts') as typeof import('./undiciParts')).undici;
}
