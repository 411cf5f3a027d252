// Helpers the adapter tests share: a logger that keeps every line (to prove no key is ever logged) and
// a way to await a call's ProviderError.
import * as assert from 'node:assert/strict';
import { ProviderError } from '../../src/core/errors';
import type { Logger } from '../../src/core/http';

export type RecordingLogger = Logger & { lines: string[] };

export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  const add = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, trace: add('trace'), debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') };
}

/** Awaits a call that must fail with a ProviderError, and returns that error. */
export async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof ProviderError, `expected a ProviderError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
}
