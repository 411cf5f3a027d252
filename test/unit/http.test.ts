// The shared HTTP client's own rules: Retry-After, base-URL checks, the body cap, redaction.
import * as assert from 'node:assert/strict';
import * as z from 'zod/mini';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator/index';
import { HttpClient, retryAfterMs, validateBaseUrl } from '../../src/core/http';
import { MAX_REQUEST_ID_CHARS, ProviderError, forgetSecret, redact, registerSecret } from '../../src/core/errors';
import { BUILTIN_PROVIDERS, createProvider } from '../../src/providers/index';
import { ProviderRegistry } from '../../src/core/registry';
import { BoringMarketingProvider } from '../../src/providers/boringMarketing';
import { recordingLogger, rejection } from './support';

describe('retryAfterMs', () => {
  // A whole second, so that an HTTP date (second precision) round-trips exactly.
  const now = Date.UTC(2026, 3, 7, 10, 0, 0);

  it('reads Retry-After in seconds', () => {
    assert.equal(retryAfterMs({ 'retry-after': '7' }, now), 7000);
    assert.equal(retryAfterMs({ 'retry-after': '0' }, now), 0);
  });

  it('reads Retry-After as an HTTP date', () => {
    assert.equal(retryAfterMs({ 'retry-after': new Date(now + 30_000).toUTCString() }, now), 30_000);
    assert.equal(retryAfterMs({ 'retry-after': new Date(now - 30_000).toUTCString() }, now), 0, 'a date in the past means now');
  });

  it('falls back to X-RateLimit-Reset, as unix seconds or seconds from now', () => {
    assert.equal(retryAfterMs({ 'x-ratelimit-reset': String(now / 1000 + 12) }, now), 12_000);
    assert.equal(retryAfterMs({ 'x-ratelimit-reset': '20' }, now), 20_000);
  });

  it('prefers Retry-After and ignores garbage', () => {
    assert.equal(retryAfterMs({ 'retry-after': '3', 'x-ratelimit-reset': '99' }, now), 3000);
    assert.equal(retryAfterMs({ 'retry-after': 'soon' }, now), undefined);
    assert.equal(retryAfterMs({}, now), undefined);
  });
});

describe('validateBaseUrl', () => {
  it('accepts https and strips the trailing slash', () => {
    assert.deepEqual(validateBaseUrl(' https://api.boringmarketing.com/ '), { ok: true, url: 'https://api.boringmarketing.com' });
    assert.deepEqual(validateBaseUrl('https://app.gloriamundo.com/api/v1/'), { ok: true, url: 'https://app.gloriamundo.com/api/v1' });
  });

  it('accepts plain http only on loopback', () => {
    assert.deepEqual(validateBaseUrl('http://127.0.0.1:4010/bm'), { ok: true, url: 'http://127.0.0.1:4010/bm' });
    assert.equal(validateBaseUrl('http://localhost:4010').ok, true);
    assert.equal(validateBaseUrl('http://[::1]:4010').ok, true);
    const remote = validateBaseUrl('http://api.boringmarketing.com');
    assert.equal(remote.ok, false);
    assert.match(remote.ok ? '' : remote.reason, /use https/);
  });

  it('refuses credentials in the URL, other schemes and non-URLs', () => {
    const withCreds = validateBaseUrl('https://user:secret@api.example.com');
    assert.equal(withCreds.ok, false);
    assert.match(withCreds.ok ? '' : withCreds.reason, /must not carry credentials/);
    assert.equal(validateBaseUrl('ftp://api.example.com').ok, false);
    assert.equal(validateBaseUrl('api.example.com').ok, false);
  });

  it('refuses a base URL with a query or a fragment, which every request path would be appended to', () => {
    const query = validateBaseUrl('https://api.boringmarketing.com/v1?tenant=acme');
    assert.equal(query.ok, false);
    assert.match(query.ok ? '' : query.reason, /must not have a query \(\?…\): use https:\/\/api\.boringmarketing\.com\/v1/);
    const fragment = validateBaseUrl('https://api.boringmarketing.com/#top');
    assert.equal(fragment.ok, false);
    assert.match(fragment.ok ? '' : fragment.reason, /must not have a fragment/);
  });
});

describe('redact', () => {
  // The providers' key shapes come with their descriptors, as the composition root registers them.
  before(() => new ProviderRegistry(BUILTIN_PROVIDERS));

  it('scrubs documented key shapes and auth headers', () => {
    assert.equal(redact(`key ${SIM_KEYS.boringMarketing} rejected`), 'key *** rejected');
    assert.equal(redact('sent Bearer abcdef123456'), 'sent Bearer ***');
    assert.ok(!redact('Authorization: Bearer abcdef123456').includes('abcdef123456'));
    assert.equal(redact('x-api-key: s3cr3tvalue!'), 'x-api-key: ***');
    assert.equal(redact(`tokens ${SIM_KEYS.talonic} and ${SIM_KEYS.gloriaMundo}`), 'tokens *** and ***');
  });

  it('scrubs a registered secret of any shape, until it is forgotten', () => {
    const odd = 'plain-looking-secret-42';
    registerSecret(odd);
    try {
      assert.equal(redact(`echo ${odd} back`), 'echo *** back');
    } finally {
      forgetSecret(odd);
    }
    assert.equal(redact(`echo ${odd} back`), `echo ${odd} back`);
  });

  it('leaves ordinary text alone', () => {
    assert.equal(redact('analyzing SERPs for family 3 of 12'), 'analyzing SERPs for family 3 of 12');
  });
});

describe('HttpClient against the simulator', () => {
  let sim: Simulator;

  function client(options: { maxBodyBytes?: number } = {}): HttpClient {
    return new HttpClient({
      providerName: 'Boring Marketing',
      baseUrl: sim.baseUrl('boringMarketing'),
      authHeaders: async () => ({ 'x-api-key': SIM_KEYS.boringMarketing }),
      ...options,
    });
  }

  before(async () => {
    sim = createSimulator();
    await sim.start();
  });

  beforeEach(() => sim.reset());

  after(async () => {
    await sim.stop();
  });

  it('stops reading a body larger than the cap', async () => {
    sim.addFault({ provider: 'boringMarketing', hugeBytes: 3 * 1024 * 1024 });
    const error = await client({ maxBodyBytes: 1024 * 1024 })
      .send({ method: 'GET', path: '/brands', schema: z.unknown() })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(error instanceof ProviderError);
    assert.equal(error.kind, 'badResponse');
    assert.match(error.message, /larger than 1 MB/);
  });

  it('reads a body under the cap', async () => {
    const { data, status } = await client({ maxBodyBytes: 1024 * 1024 }).send({ method: 'GET', path: '/brands', schema: z.array(z.unknown()) });
    assert.equal(status, 200);
    assert.deepEqual(data, []);
  });

  it('reads Retry-After on a 503 too', async () => {
    sim.addFault({ provider: 'boringMarketing', status: 503, headers: { 'retry-after': '2' } });
    const error = await client()
      .send({ method: 'GET', path: '/brands', schema: z.unknown() })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(error instanceof ProviderError);
    assert.equal(error.kind, 'server');
    assert.equal(error.retryAfterMs, 2000);
    assert.ok(error.transient);
  });

  it('names a 3xx as a redirect it did not follow, with where it pointed but no query', async () => {
    sim.addFault({ provider: 'boringMarketing', status: 302, headers: { location: 'https://elsewhere.example/login?next=%2F&token=abc123def' } });
    const error = await rejection(client().send({ method: 'GET', path: '/brands', schema: z.unknown() }));
    assert.equal(error.message, 'Boring Marketing redirected the request to https://elsewhere.example/login (HTTP 302) — Runwatch does not follow redirects; check the base URL setting.');
    assert.equal(sim.requests.filter(r => r.path.includes('login')).length, 0, 'nothing was sent to the redirect target');
  });

  it('redacts and caps the request id, in the error and in the log', async () => {
    const secret = 'echoed-in-request-id-9f8e7d';
    registerSecret(secret);
    try {
      const log = recordingLogger();
      sim.addFault({ provider: 'boringMarketing', status: 500, headers: { 'x-request-id': `req-${secret}-${'z'.repeat(5000)}` } });
      const error = await rejection(new HttpClient({ providerName: 'Boring Marketing', baseUrl: sim.baseUrl('boringMarketing'), authHeaders: async () => ({}), log }).send({ method: 'GET', path: '/brands', schema: z.unknown() }));
      assert.ok(error.requestId?.startsWith('req-***-zzz'), error.requestId);
      assert.ok(error.requestId!.length <= MAX_REQUEST_ID_CHARS + 1, `capped (${error.requestId!.length} chars)`);
      const line = log.lines.find(l => l.includes('/brands'));
      assert.ok(line && !line.includes(secret) && line.length < 400, `log line redacted and short: ${line?.slice(0, 200)}`);
    } finally {
      forgetSecret(secret);
    }
  });

  it('adapters behind createProvider give errors without the raw body and headers', async () => {
    const secret = 'echoed-in-body-5c4b3a';
    registerSecret(secret);
    try {
      const fault = { provider: 'boringMarketing' as const, path: '/brands$', status: 422, headers: { 'set-cookie': `sid=${secret}` }, body: { detail: 'Brand list refused', echo: { api_key: secret } } };
      const context = { baseUrl: sim.baseUrl('boringMarketing'), getKey: async () => SIM_KEYS.boringMarketing, log: recordingLogger() };
      sim.addFault(fault);
      const bare = await rejection(new BoringMarketingProvider(context).listAccounts());
      assert.ok(bare.body !== undefined, 'the adapter itself still sees the body it maps from');
      sim.addFault(fault);
      const error = await rejection(createProvider('boringMarketing', context).listAccounts());
      assert.equal(error.kind, 'validation');
      assert.match(error.message, /Brand list refused/);
      assert.equal(error.status, 422);
      assert.equal(error.body, undefined);
      assert.equal(error.headers, undefined);
      assert.ok(!JSON.stringify({ ...error }).includes(secret));
    } finally {
      forgetSecret(secret);
    }
  });

  it('a dropped connection is a network error', async () => {
    sim.addFault({ provider: 'boringMarketing', reset: true });
    const error = await client()
      .send({ method: 'GET', path: '/brands', schema: z.unknown() })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(error instanceof ProviderError);
    assert.equal(error.kind, 'network');
    assert.match(error.message, /^Could not reach Boring Marketing/);
  });
});
