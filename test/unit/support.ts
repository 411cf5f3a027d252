// Helpers the unit tests share: a logger that keeps every line (to prove no key is ever logged), a way to
// await a call's ProviderError, an in-memory key vault for services built in tests, and the engine's fake clock.
import * as assert from 'node:assert/strict';
import * as FakeTimers from '@sinonjs/fake-timers';
import { ProviderError } from '../../src/core/errors';
import type { KeyVault } from '../../src/core/contracts';
import type { Logger } from '../../src/core/http';
import type { ProviderId } from '../../src/core/run';

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

/** Keys in memory, as SecretStorage holds them in the extension; other named secrets from `secrets`. */
export class MapVault implements KeyVault {
  readonly keys: Map<ProviderId, string>;

  constructor(
    keys: Iterable<[ProviderId, string]> = [],
    private readonly secrets: (id: ProviderId, name: string) => string | undefined = () => undefined,
  ) {
    this.keys = new Map(keys);
  }

  async getKey(id: ProviderId) {
    return this.keys.get(id);
  }

  async getSecret(id: ProviderId, name: string) {
    return this.secrets(id, name);
  }

  hasKey(id: ProviderId) {
    return this.keys.has(id);
  }
}

export type FakeClock = ReturnType<typeof FakeTimers.install>;

/**
 * A fake clock at `now` for the timers the engine uses (timeouts and intervals) and Date, which the simulator's
 * clock reads too; everything else (setImmediate, the sockets) stays real so HTTP round trips still finish.
 */
export function fakeEngineClock(now: number): FakeClock {
  return FakeTimers.install({ now, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
}
