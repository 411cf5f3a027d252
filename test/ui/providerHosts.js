// The providers' real hosts for the UI session, played by the simulator behind a proxy.
//
// Why: the screenshots should show what a user sees, and a user keeps the default base URLs
// (https://api.boringmarketing.com, …), which the tree does not repeat in the provider rows. Pointing the base
// URLs at the simulator (http://127.0.0.1:41367/bm) would put that address in every provider row instead. So
// the session leaves the base URLs at their defaults and sets VS Code's own `http.proxy` to this proxy, the
// way a corporate network routes traffic: Runwatch runs its production code paths unchanged (the proxied path
// of core/network for the REST providers, VS Code's proxy-aware fetch for Adlyse), and this proxy plays the
// internet. It opens CONNECT tunnels to the five default hosts only, terminates TLS with a certificate made for
// this run (trusted by the extension host through NODE_EXTRA_CA_CERTS and SSL_CERT_FILE), and forwards each request to the
// simulator, the default base path swapped for the simulator's prefix. Nothing is faked inside VS Code.
// No /etc/hosts entry and no root needed; the names never resolve through DNS, as behind a real proxy.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const https = require('https');
const os = require('os');
const path = require('path');
// The compiled test support (npm run compile-tests), as ui-smoke.js loads the simulator.
const { spliceTunnel } = require(path.join(__dirname, '..', '..', 'out', 'test', 'simulator', 'tunnel.js'));

/**
 * Starts the proxy in front of the simulator. `defaults`: provider id → default base URL (DEFAULT_BASE_URLS);
 * `simBaseUrls`: provider id → the simulator's base URL. Returns the proxy URL, the environment that
 * makes VS Code trust the session's certificate, the hosts each CONNECT asked for, and stop().
 */
async function startProviderHosts({ defaults, simBaseUrls }) {
  const routes = Object.entries(defaults).map(([id, url]) => {
    const u = new URL(url);
    return { id, host: u.hostname, basePath: u.pathname.replace(/\/+$/, ''), sim: new URL(simBaseUrls[id]) };
  });
  const hosts = [...new Set(routes.map(r => r.host))];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-ui-hosts-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=Runwatch UI session', '-addext', `subjectAltName=${hosts.map(h => `DNS:${h}`).join(',')}`,
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'pipe' });

  // TLS front: the provider's host and path → the simulator's origin and prefix.
  const front = https.createServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) }, (req, res) => {
    const host = String(req.headers.host || '').replace(/:\d+$/, '');
    const route = routes.find(r => r.host === host && (req.url === r.basePath || req.url.startsWith(`${r.basePath}/`) || req.url.startsWith(`${r.basePath}?`)));
    if (!route) return res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: `no provider at ${host}${req.url}` }));
    const target = `${route.sim.pathname.replace(/\/+$/, '')}${req.url.slice(route.basePath.length)}`;
    const upstream = http.request({ host: route.sim.hostname, port: route.sim.port, method: req.method, path: target, headers: req.headers }, answer => {
      res.writeHead(answer.statusCode || 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const tunnelled = [];
  // The proxy: CONNECT to a provider host on 443 only; anything else is refused, so a request that escaped
  // the defaults (a stray base URL) fails visibly instead of reaching somewhere real.
  const proxy = http.createServer((req, res) => res.writeHead(405).end());
  proxy.on('connect', (req, client, head) => {
    client.on('error', () => undefined);
    const [host, port] = String(req.url).split(':');
    if (!hosts.includes(host) || port !== '443') {
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    tunnelled.push(host);
    spliceTunnel(client, head, frontPort);
  });
  const sockets = new Set();
  for (const server of [front, proxy]) {
    server.on('connection', s => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
  }
  const listen = server => new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
  const frontPort = await listen(front);
  const proxyPort = await listen(proxy);
  // The certificate as the extension host's Node sees it: NODE_EXTRA_CA_CERTS adds it to Node's roots (Runwatch's
  // own client); SSL_CERT_FILE puts it in the "system" store OpenSSL reads, which VS Code's proxy-aware fetch
  // (the Adlyse path) trusts instead of Node's roots. The bundle keeps the machine's own roots next to it.
  const systemBundle = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'].find(f => fs.existsSync(f));
  const bundleFile = path.join(dir, 'bundle.pem');
  fs.writeFileSync(bundleFile, `${systemBundle ? fs.readFileSync(systemBundle, 'utf8') : ''}\n${fs.readFileSync(certFile, 'utf8')}`);
  return {
    proxyUrl: `http://127.0.0.1:${proxyPort}`,
    env: { NODE_EXTRA_CA_CERTS: certFile, SSL_CERT_FILE: bundleFile },
    tunnelled,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([front, proxy].map(s => new Promise(resolve => s.close(() => resolve()))));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startProviderHosts };
