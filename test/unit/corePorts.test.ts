// The core's small shared pieces, tested directly: the error policy table and the one HTTP status reading, the
// error guard that works across bundles, the shared secret registry, the emitter, and the provider registry.
import * as assert from 'node:assert/strict';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator';
import type { AdlyseSim } from '../simulator/adlyse';
import { asProviderError, isProviderError, kindForStatus, policyOf, ProviderError, redact } from '../../src/core/errors';
import { PROVIDER_ERROR_KINDS } from '../../src/core/errorPolicy';
import { Emitter } from '../../src/core/emitter';
import { ProviderRegistry } from '../../src/core/registry';
import { createMcpSession, type McpSession } from '../../src/providers/adlyse/mcpSession';
import { secretRedactor } from '../../src/core/errors';
import { recordingLogger } from './support';

describe('policyOf: what each error kind means', () => {
  const where = (pick: (kind: (typeof PROVIDER_ERROR_KINDS)[number]) => boolean) => PROVIDER_ERROR_KINDS.filter(pick);

  it('retries what will likely pass by itself, and stops a provider only for its key', () => {
    assert.deepEqual(where(k => policyOf(k).transient), ['rateLimited', 'server', 'timeout', 'network', 'badResponse']);
    assert.deepEqual(where(k => policyOf(k).stopsProvider), ['noKey', 'auth']);
    assert.deepEqual(where(k => new ProviderError(k, 'x').transient), where(k => policyOf(k).transient), 'ProviderError reads the same table');
  });

  it('backs a provider off only for outages, pauses it for rate limits, and counts an answer as up', () => {
    assert.deepEqual(where(k => policyOf(k).provider === 'outage'), ['server', 'timeout', 'network', 'badResponse']);
    assert.deepEqual(where(k => policyOf(k).provider === 'rateLimit'), ['rateLimited']);
    assert.deepEqual(where(k => policyOf(k).provider === 'neutral'), ['noKey', 'auth', 'notFound', 'internal']);
  });

  it('says what a failed poll does to its run and to a list poll', () => {
    assert.equal(policyOf('notFound').poll, 'gone');
    assert.equal(policyOf('notFound').listPoll, 'unbatch');
    assert.equal(policyOf('badResponse').poll, 'retry');
    assert.equal(policyOf('badResponse').listPoll, 'unbatch');
    assert.deepEqual(where(k => policyOf(k).poll === 'slow'), ['forbidden', 'payment', 'conflict', 'validation', 'unsupported', 'internal']);
  });

  it('shows a bad key with Set API Key, a passing trouble as a warning, and a Runwatch failure as a bug', () => {
    assert.deepEqual(where(k => policyOf(k).show === 'setKey'), ['noKey', 'auth']);
    assert.deepEqual(where(k => policyOf(k).show === 'warning'), ['rateLimited', 'server', 'timeout', 'network', 'badResponse']);
    assert.deepEqual(where(k => policyOf(k).show === 'bug'), ['internal']);
    assert.equal(policyOf('fromANewerVersion').show, 'bug', 'a kind this build does not know is not taken for an outage');
  });
});

describe('kindForStatus: one reading of HTTP statuses', () => {
  it('reads the statuses as providers.md documents them', () => {
    const read = Object.fromEntries([400, 401, 402, 403, 404, 409, 410, 413, 418, 422, 429, 500, 502, 503].map(s => [s, kindForStatus(s)]));
    assert.deepEqual(read, {
      400: 'validation',
      401: 'auth',
      402: 'payment',
      403: 'forbidden',
      404: 'notFound',
      409: 'conflict',
      410: 'notFound',
      413: 'validation',
      418: 'validation',
      422: 'validation',
      429: 'rateLimited',
      500: 'server',
      502: 'server',
      503: 'server',
    });
  });

  describe('the MCP session reads them the same way', () => {
    let sim: Simulator;
    let session: McpSession;
    before(async () => {
      sim = await createSimulator().start();
    });
    after(() => sim.stop());
    beforeEach(() => {
      sim.reset();
      sim.provider<AdlyseSim>('adlyse').addKey(SIM_KEYS.adlyse);
      session = createMcpSession({ url: `${sim.baseUrl('adlyse')}/`, getKey: async () => SIM_KEYS.adlyse, log: recordingLogger(), timeoutMs: 5_000, serverName: 'Adlyse', redactor: secretRedactor });
    });
    afterEach(() => session.close());

    for (const [status, kind] of [
      [402, 'payment'],
      [409, 'conflict'],
    ] as const) {
      it(`HTTP ${status} on a tool call is ${kind}, as over REST`, async () => {
        await session.callTool('list_workflows', {});
        sim.addFault({ provider: 'adlyse', method: 'POST', tool: 'list_workflows', status, body: { jsonrpc: '2.0', id: 1, error: { code: -32000, message: 'refused' } } });
        const error = await session.callTool('list_workflows', {}).then(
          () => assert.fail('expected a refusal'),
          (e: unknown) => e,
        );
        assert.ok(isProviderError(error), String(error));
        assert.equal(error.kind, kind);
        assert.equal(error.status, status);
      });
    }
  });
});

describe('errors across bundles', () => {
  /** A second copy of core/errors, as the separately bundled dist/mcp.js carries one. */
  function otherBundle(): typeof import('../../src/core/errors') {
    const path = require.resolve('../../src/core/errors');
    const policyPath = require.resolve('../../src/core/errorPolicy');
    const saved = [require.cache[path], require.cache[policyPath]];
    delete require.cache[path];
    delete require.cache[policyPath];
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh copy of the module, as a second bundle has
      return require(path) as typeof import('../../src/core/errors');
    } finally {
      require.cache[path] = saved[0];
      require.cache[policyPath] = saved[1];
    }
  }

  it('recognizes a ProviderError of another bundle by its shape, which instanceof cannot', () => {
    const other = otherBundle();
    assert.notEqual(other.ProviderError, ProviderError, 'a separate copy of the class');
    const foreign = new other.ProviderError('auth', 'The key was rejected.', { status: 401 });
    assert.equal(foreign instanceof ProviderError, false);
    assert.equal(isProviderError(foreign), true);
    assert.equal(asProviderError(foreign, 'Adlyse'), foreign, 'kept as it is, not turned into something else');
    assert.equal(other.isProviderError(new ProviderError('timeout', 'late')), true, 'and the other way round');
  });

  it('does not take a look-alike for one', () => {
    assert.equal(isProviderError({ name: 'ProviderError', kind: 'auth', message: 'x' }), false);
    assert.equal(isProviderError(Object.assign(new Error('x'), { kind: 'auth' })), false);
    assert.equal(isProviderError(undefined), false);
  });

  it('shares one secret registry: a secret one bundle registers, the other redacts', () => {
    const other = otherBundle();
    const secret = 'shared-registry-secret-31337';
    other.registerSecret(secret);
    try {
      assert.equal(redact(`echo ${secret} back`), 'echo *** back');
    } finally {
      other.forgetSecret(secret);
    }
    assert.equal(redact(`echo ${secret} back`), `echo ${secret} back`, 'and forgets it for both');
  });

  it('turns a foreign throw into an internal error (a Runwatch bug), not an outage', () => {
    const error = asProviderError(new TypeError("Cannot read properties of undefined (reading 'id')"), 'Talonic');
    assert.equal(error.kind, 'internal');
    assert.equal(error.transient, false);
    assert.match(error.message, /^Runwatch failed on Talonic's answer \(a bug in Runwatch: Cannot read properties of undefined/);
  });
});

describe('Emitter', () => {
  it('calls every listener, each on its own: one that throws is logged and costs the others nothing', () => {
    const log = recordingLogger();
    const emitter = new Emitter<number>('test events', log);
    const heard: string[] = [];
    emitter.event(n => heard.push(`first ${n}`));
    emitter.event(() => {
      throw new Error('a listener that broke');
    });
    emitter.event(n => heard.push(`third ${n}`));
    assert.doesNotThrow(() => emitter.fire(7), 'the code that fired goes on');
    assert.deepEqual(heard, ['first 7', 'third 7']);
    assert.deepEqual(log.lines, ['error Runwatch: a listener of test events failed: a listener that broke']);
  });

  it('stops calling a listener once disposed, and all of them once the emitter is', () => {
    const emitter = new Emitter<string>('test events');
    const heard: string[] = [];
    const sub = emitter.event(v => heard.push(`a ${v}`));
    emitter.event(v => heard.push(`b ${v}`));
    emitter.fire('1');
    sub.dispose();
    emitter.fire('2');
    emitter.dispose();
    emitter.fire('3');
    assert.deepEqual(heard, ['a 1', 'b 1', 'b 2']);
  });
});

describe('ProviderRegistry', () => {
  const descriptor = (id: string, keyPrefix = 'zq_') => ({
    id,
    displayName: `${id} Cloud`,
    defaultBaseUrl: `https://${id}.example.com`,
    accountNoun: 'board',
    icon: 'beaker',
    keyPrefixes: [keyPrefix],
    secretPatterns: [new RegExp(`\\b${keyPrefix}[a-z0-9]{6,}`, 'g')],
    create: () => {
      throw new Error('not built in these tests');
    },
  });

  it('lists its providers in the order registered, and refuses a second one with the same id', () => {
    const registry = new ProviderRegistry([descriptor('one'), descriptor('two')]);
    assert.deepEqual(registry.ids(), ['one', 'two']);
    assert.equal(registry.get('two')?.displayName, 'two Cloud');
    assert.throws(() => registry.register(descriptor('one')), /already has a provider with the id "one"/);
  });

  it('answers for an id it does not know without failing: the id as the name, neutral facts', () => {
    const registry = new ProviderRegistry([descriptor('one')]);
    assert.equal(registry.has('jenkins'), false);
    assert.equal(registry.get('jenkins'), undefined);
    assert.equal(registry.displayName('jenkins'), 'jenkins');
    assert.deepEqual({ ...registry.facts('jenkins'), secretPatterns: undefined }, {
      id: 'jenkins',
      displayName: 'jenkins',
      defaultBaseUrl: '',
      accountNoun: 'account',
      icon: 'folder',
      keyPrefixes: [],
      secretPatterns: undefined,
    });
  });

  it('redacts the key shapes of every provider it registers', () => {
    assert.equal(redact('key wv_abcdef123 echoed'), 'key wv_abcdef123 echoed', 'not before');
    new ProviderRegistry([descriptor('wv', 'wv_')]);
    assert.equal(redact('key wv_abcdef123 echoed'), 'key *** echoed');
  });
});
