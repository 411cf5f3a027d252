// Proxy and certificates: which origins go through the proxy, and that every provider's requests really do
// (REST and the Adlyse MCP path alike), with strictSSL and extra CAs applied to the proxied and direct
// connections. All on loopback: a small CONNECT proxy written here "resolves" any host name to a local TLS
// front for the simulator, as a corporate proxy resolves names the client cannot.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import * as z from 'zod/mini';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator/index';
import { spliceTunnel } from '../simulator/tunnel';
import { HttpClient } from '../../src/core/http';
import { createDispatcher, proxyFor, trustedRoots, useNetworkSettings, type NetworkSettings } from '../../src/core/network';
import type { ProviderId } from '../../src/core/run';
import { createProvider } from '../../src/providers/index';
import { recordingLogger, rejection } from './support';

/** A host name nothing resolves (RFC 6761 reserves .test): reachable only through the proxy. */
const REMOTE_HOST = 'api.runwatch.test';

describe('proxyFor: which origins go through the proxy', () => {
  const noEnv = {};

  it('uses http.proxy for http and https origins, and over the environment', () => {
    const env = { HTTPS_PROXY: 'http://env-proxy:3128', HTTP_PROXY: 'http://env-proxy:3128' };
    assert.equal(proxyFor('https://api.example.com', { proxy: 'http://corp:8080', noProxy: [] }, env), 'http://corp:8080');
    assert.equal(proxyFor('http://api.example.com', { proxy: 'http://corp:8080', noProxy: [] }, env), 'http://corp:8080');
  });

  it('falls back to HTTPS_PROXY for https (else HTTP_PROXY), HTTP_PROXY for http, lower case first', () => {
    assert.equal(proxyFor('https://api.example.com', { noProxy: [] }, { HTTPS_PROXY: 'http://s:1', HTTP_PROXY: 'http://p:2' }), 'http://s:1');
    assert.equal(proxyFor('https://api.example.com', { noProxy: [] }, { HTTP_PROXY: 'http://p:2' }), 'http://p:2');
    assert.equal(proxyFor('http://api.example.com', { noProxy: [] }, { HTTPS_PROXY: 'http://s:1' }), undefined);
    assert.equal(proxyFor('https://api.example.com', { noProxy: [] }, { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2' }), 'http://lower:1');
  });

  it('goes direct when nothing names a proxy, or the setting is blank', () => {
    assert.equal(proxyFor('https://api.example.com', { noProxy: [] }, noEnv), undefined);
    assert.equal(proxyFor('https://api.example.com', { proxy: '  ', noProxy: [] }, noEnv), undefined);
  });

  it('never proxies loopback, whatever the settings say', () => {
    const settings = { proxy: 'http://corp:8080', noProxy: [] };
    for (const origin of ['http://localhost:4010', 'http://127.0.0.1:4010', 'https://127.8.9.10', 'http://[::1]:4010']) {
      assert.equal(proxyFor(origin, settings, noEnv), undefined, origin);
    }
  });

  it('bypasses the http.noProxy hosts and their subdomains, in any of the usual spellings', () => {
    const settings = { proxy: 'http://corp:8080', noProxy: ['internal.corp', '.intra.example', '*.lab.example', 'API.Mixed.Example'] };
    for (const origin of ['https://internal.corp', 'https://x.internal.corp', 'https://a.intra.example', 'https://intra.example', 'https://b.lab.example', 'https://api.mixed.example']) {
      assert.equal(proxyFor(origin, settings, noEnv), undefined, origin);
    }
    for (const origin of ['https://notinternal.corp', 'https://internal.corp.evil.example', 'https://api.example.com']) {
      assert.equal(proxyFor(origin, settings, noEnv), 'http://corp:8080', origin);
    }
  });

  it('merges NO_PROXY with the setting, and honours a port in either', () => {
    const settings = { proxy: 'http://corp:8080', noProxy: ['setting.example:8443'] };
    const env = { NO_PROXY: 'env.example, other.example:444' };
    assert.equal(proxyFor('https://env.example', settings, env), undefined, 'NO_PROXY applies next to the setting');
    assert.equal(proxyFor('https://setting.example:8443', settings, env), undefined);
    assert.equal(proxyFor('https://setting.example', settings, env), 'http://corp:8080', 'another port than the entry names');
    assert.equal(proxyFor('https://other.example:444', settings, env), undefined);
    assert.equal(proxyFor('https://other.example', settings, env), 'http://corp:8080');
  });

  it('bypasses everything for "*", and matches IPv6 entries', () => {
    assert.equal(proxyFor('https://api.example.com', { proxy: 'http://corp:8080', noProxy: ['*'] }, noEnv), undefined);
    assert.equal(proxyFor('https://api.example.com', { proxy: 'http://corp:8080', noProxy: [] }, { no_proxy: '*' }), undefined);
    assert.equal(proxyFor('https://[2001:db8::1]', { proxy: 'http://corp:8080', noProxy: ['2001:db8::1'] }, noEnv), undefined);
    assert.equal(proxyFor('https://[2001:db8::1]:8443', { proxy: 'http://corp:8080', noProxy: ['[2001:db8::1]:8443'] }, noEnv), undefined);
  });
});

describe('trustedRoots: extra CAs add to Node\'s roots', () => {
  it('keeps every default root and adds the extra ones once', () => {
    const extra = '-----BEGIN CERTIFICATE-----\nextra\n-----END CERTIFICATE-----\n';
    const roots = trustedRoots([extra, extra]);
    for (const root of tls.rootCertificates) assert.ok(roots.includes(root), 'a default root was dropped');
    assert.equal(roots.filter(r => r === extra).length, 1);
  });
});

/** A self-signed certificate for REMOTE_HOST, localhost and 127.0.0.1, made with openssl for this run. */
function selfSignedCertificate(): { key: string; cert: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-cert-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    // prettier-ignore
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', `/CN=${REMOTE_HOST}`, '-addext', `subjectAltName=DNS:${REMOTE_HOST},DNS:localhost,IP:127.0.0.1`,
      '-keyout', keyFile, '-out', certFile,
    ], { stdio: 'pipe' });
    return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8') };
  } catch (e) {
    throw new Error(`these tests need openssl on the PATH to make a test certificate: ${(e as Error).message}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Closes a server and every socket it holds (keep-alive connections, tunnels). */
function closer(server: net.Server): () => Promise<void> {
  const sockets = new Set<net.Socket>();
  server.on('connection', s => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return () => {
    for (const s of sockets) s.destroy();
    return new Promise(resolve => server.close(() => resolve()));
  };
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as net.AddressInfo).port;
}

interface Tunnel {
  target: string;
  proxyAuthorization?: string;
}

describe('the dispatcher on the wire: proxy, strictSSL, extra CAs', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let certificate: { key: string; cert: string };
  /** The simulator behind TLS, with the certificate above; what each request carried. */
  let frontPort: number;
  const frontSaw: http.IncomingHttpHeaders[] = [];
  /** What asked the proxy for what: CONNECT tunnels, and any other request (none expected). */
  let proxyPort: number;
  const tunnels: Tunnel[] = [];
  const plainProxyRequests: string[] = [];
  const closers: (() => Promise<void>)[] = [];
  const defaults: NetworkSettings = { noProxy: [], strictSSL: true };

  before(async () => {
    certificate = selfSignedCertificate();
    sim = await createSimulator().start();
    const front = https.createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
      frontSaw.push(req.headers);
      const upstream = http.request({ host: '127.0.0.1', port: sim.port, method: req.method, path: req.url, headers: req.headers }, answer => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    closers.push(closer(front));
    frontPort = await listen(front);

    // Tunnels any host:port to the TLS front; answers anything else 405 (Runwatch always tunnels).
    const proxy = http.createServer((req, res) => {
      plainProxyRequests.push(`${req.method} ${req.url}`);
      res.writeHead(405).end();
    });
    proxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      tunnels.push({ target: req.url ?? '', proxyAuthorization: req.headers['proxy-authorization'] });
      spliceTunnel(client, head, frontPort);
    });
    closers.push(closer(proxy));
    proxyPort = await listen(proxy);
  });

  after(async () => {
    useNetworkSettings(() => defaults);
    await Promise.all(closers.map(c => c()));
    await sim.stop();
  });

  beforeEach(() => {
    sim.reset();
    frontSaw.length = 0;
    tunnels.length = 0;
    plainProxyRequests.length = 0;
  });

  afterEach(() => useNetworkSettings(() => defaults));

  const proxy = () => `http://127.0.0.1:${proxyPort}`;
  /** The provider's simulator base URL, on REMOTE_HOST over https (or on localhost, for the loopback cases). */
  const remoteBaseUrl = (id: ProviderId, host = REMOTE_HOST, port?: number) => `https://${host}${port ? `:${port}` : ''}${new URL(sim.baseUrl(id)).pathname}`;
  const provider = (id: ProviderId, baseUrl: string, log = recordingLogger()) =>
    createProvider(id, { baseUrl, getKey: async () => SIM_KEYS[id], log, timeoutMs: 10_000 });

  for (const id of ['boringMarketing', 'talonic', 'adlyse'] as const) {
    it(`${id}: an https origin goes through http.proxy, trusted by the extra CA`, async () => {
      useNetworkSettings(() => ({ proxy: proxy(), noProxy: [], strictSSL: true, ca: [certificate.cert] }));
      await provider(id, remoteBaseUrl(id)).validateKey();
      assert.ok(tunnels.length > 0, 'the proxy opened a tunnel');
      for (const t of tunnels) assert.equal(t.target, `${REMOTE_HOST}:443`);
      assert.deepEqual(plainProxyRequests, []);
      const answered = sim.requestsFor(id);
      assert.ok(answered.length > 0 && answered.every(r => r.status < 300), 'the key check reached the simulator and passed');
    });
  }

  it('sends http.proxyAuthorization to the proxy only, never to the provider', async () => {
    const token = 'Basic cnVud2F0Y2g6cHJveHktc2VjcmV0';
    useNetworkSettings(() => ({ proxy: proxy(), noProxy: [], strictSSL: true, proxyAuthorization: token, ca: [certificate.cert] }));
    await provider('boringMarketing', remoteBaseUrl('boringMarketing')).validateKey();
    assert.ok(tunnels.length > 0);
    for (const t of tunnels) assert.equal(t.proxyAuthorization, token);
    assert.ok(frontSaw.length > 0);
    for (const headers of frontSaw) assert.equal(headers['proxy-authorization'], undefined);
  });

  describe('a proxy that asks for authentication (407)', () => {
    /** Answers CONNECT with 407 unless it carries GOOD_TOKEN, keeping the connection open as Squid does. */
    const GOOD_TOKEN = 'Basic cnVud2F0Y2g6cmlnaHQ=';
    let authProxyPort: number;
    const authTunnels: Tunnel[] = [];
    before(async () => {
      const authProxy = http.createServer((req, res) => res.writeHead(405).end());
      authProxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
        authTunnels.push({ target: req.url ?? '', proxyAuthorization: req.headers['proxy-authorization'] });
        client.on('error', () => undefined);
        if (req.headers['proxy-authorization'] !== GOOD_TOKEN) {
          client.write('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n');
          return;
        }
        spliceTunnel(client, head, frontPort);
      });
      closers.push(closer(authProxy));
      authProxyPort = await listen(authProxy);
    });
    beforeEach(() => (authTunnels.length = 0));
    const authProxy = () => `http://127.0.0.1:${authProxyPort}`;

    for (const id of ['boringMarketing', 'adlyse'] as const) {
      it(`${id}: says the proxy wants credentials, at once, as an error to act on rather than a timeout to retry`, async () => {
        useNetworkSettings(() => ({ proxy: authProxy(), noProxy: [], strictSSL: true, ca: [certificate.cert] }));
        const error = await rejection(provider(id, remoteBaseUrl(id)).listAccounts());
        assert.equal(error.message, `The proxy at 127.0.0.1:${authProxyPort} asks for authentication (HTTP 407) to reach ${REMOTE_HOST}: set http.proxyAuthorization, or user:password@ in http.proxy.`);
        assert.equal(error.kind, 'forbidden');
        assert.equal(error.transient, false, 'not retried at the polling cadence as a network failure would be');
        assert.equal(error.notSent, true);
        assert.ok(authTunnels.length > 0, 'it asked the proxy');
        assert.equal(sim.requestsFor(id).length, 0, 'nothing reached the provider');
      });
    }

    it('says the credentials were refused when it sent some, and gets through with the right ones', async () => {
      useNetworkSettings(() => ({ proxy: `http://alice:wrong@127.0.0.1:${authProxyPort}`, noProxy: [], strictSSL: true, ca: [certificate.cert] }));
      const error = await rejection(provider('boringMarketing', remoteBaseUrl('boringMarketing')).listAccounts());
      assert.match(error.message, /^The proxy at 127\.0\.0\.1:\d+ did not accept Runwatch's proxy credentials \(HTTP 407\)/);
      assert.doesNotMatch(error.message, /alice|wrong/, 'the credentials stay out of the message');
      assert.equal(error.kind, 'forbidden');

      useNetworkSettings(() => ({ proxy: authProxy(), noProxy: [], strictSSL: true, proxyAuthorization: GOOD_TOKEN, ca: [certificate.cert] }));
      await provider('boringMarketing', remoteBaseUrl('boringMarketing')).validateKey();
      assert.ok(sim.requestsFor('boringMarketing').some(r => r.status === 200), 'through the proxy with the right credentials');
    });
  });

  it('keeps the credentials of an unusable proxy setting out of the message', async () => {
    useNetworkSettings(() => ({ proxy: 'alice:pa55word@corp:notaport', noProxy: [], strictSSL: true }));
    const error = await rejection(provider('boringMarketing', remoteBaseUrl('boringMarketing')).validateKey());
    assert.match(error.message, /cannot use the proxy "…@corp:notaport"/);
    assert.doesNotMatch(error.message, /pa55word|alice/);
  });

  it('goes direct for loopback and for http.noProxy hosts', async () => {
    useNetworkSettings(() => ({ proxy: proxy(), noProxy: [], strictSSL: true, ca: [certificate.cert] }));
    await provider('boringMarketing', remoteBaseUrl('boringMarketing', 'localhost', frontPort)).validateKey();
    assert.deepEqual(tunnels, [], 'loopback is never proxied');
    assert.ok(sim.requestsFor('boringMarketing').length > 0, 'and it got through directly');

    // Bypassed, the remote name must be resolved here, which it cannot: the request fails instead of being tunnelled.
    useNetworkSettings(() => ({ proxy: proxy(), noProxy: ['runwatch.test'], strictSSL: true, ca: [certificate.cert] }));
    const error = await rejection(provider('boringMarketing', remoteBaseUrl('boringMarketing')).listAccounts());
    assert.equal(error.kind, 'network');
    assert.deepEqual(tunnels, [], 'a noProxy host is not proxied');
  });

  it('a proxy setting it cannot use fails the request before sending, instead of going around the proxy', async () => {
    useNetworkSettings(() => ({ proxy: 'socks4://corp:1080', noProxy: [], strictSSL: true }));
    const error = await rejection(provider('boringMarketing', remoteBaseUrl('boringMarketing')).listAccounts());
    assert.equal(error.kind, 'network');
    assert.equal(error.notSent, true);
    assert.match(error.message, /cannot use the proxy "socks4:\/\/corp:1080".*http\.proxy/);
    assert.equal(sim.requestsFor('boringMarketing').length, 0);
  });

  describe('certificates', () => {
    const get = (settings: NetworkSettings, baseUrl: string, log = recordingLogger()) =>
      new HttpClient({
        providerName: 'Boring Marketing',
        baseUrl,
        authHeaders: async () => ({ 'x-api-key': SIM_KEYS.boringMarketing }),
        dispatcher: createDispatcher(settings, log),
        timeoutMs: 10_000,
      }).send({ method: 'GET', path: '/brands', schema: z.unknown() });
    const local = () => remoteBaseUrl('boringMarketing', '127.0.0.1', frontPort);

    it('refuses a self-signed server with strictSSL on, before sending anything', async () => {
      const error = await rejection(get(defaults, local()));
      assert.equal(error.kind, 'network');
      assert.equal(error.notSent, true);
      assert.match(error.message, /SELF_SIGNED|CERT|certificate/i);
      assert.equal(sim.requestsFor('boringMarketing').length, 0);
    });

    it('trusts it with the extra CA, strictSSL still on', async () => {
      const answer = await get({ ...defaults, ca: [certificate.cert] }, local());
      assert.equal(answer.status, 200);
    });

    it('accepts it with strictSSL off, direct and through the proxy, and says once that checks are off', async () => {
      const log = recordingLogger();
      const settings: NetworkSettings = { proxy: proxy(), noProxy: [], strictSSL: false };
      const dispatcher = createDispatcher(settings, log);
      const client = (baseUrl: string) =>
        new HttpClient({ providerName: 'Boring Marketing', baseUrl, authHeaders: async () => ({ 'x-api-key': SIM_KEYS.boringMarketing }), dispatcher, timeoutMs: 10_000 });
      for (let i = 0; i < 2; i++) {
        assert.equal((await client(local()).send({ method: 'GET', path: '/brands', schema: z.unknown() })).status, 200);
        assert.equal((await client(remoteBaseUrl('boringMarketing')).send({ method: 'GET', path: '/brands', schema: z.unknown() })).status, 200);
      }
      assert.ok(tunnels.every(t => t.target === `${REMOTE_HOST}:443`) && tunnels.length > 0, 'the remote one was tunnelled');
      assert.equal(log.lines.filter(l => /certificates/.test(l)).length, 1, log.lines.join('\n'));
      assert.match(log.lines.find(l => /certificates/.test(l)) ?? '', /^warn .*proxyStrictSSL is off/);
      await dispatcher.close();
    });

    it('refuses the self-signed server behind the proxy with strictSSL on and no extra CA', async () => {
      useNetworkSettings(() => ({ proxy: proxy(), noProxy: [], strictSSL: true }));
      const error = await rejection(provider('boringMarketing', remoteBaseUrl('boringMarketing')).listAccounts());
      assert.equal(error.kind, 'network');
      assert.ok(tunnels.length > 0, 'it went to the proxy');
      assert.equal(sim.requestsFor('boringMarketing').length, 0, 'nothing reached the provider');
    });
  });
});
