// What the proxy-aware dispatcher costs per request: 200 sequential GETs to the simulator (Boring Marketing's
// brand list) through HttpClient, with undici's plain Agent (the dispatcher before proxy settings were
// honoured) and with core/network's dispatcher (routing per origin, no proxy configured), then, for scale,
// through a local CONNECT proxy to a TLS front. Prints medians; a figure for the record, not a test.
// Run: npm run compile-tests && node out/bench/network.js
import * as http from 'node:http';
import * as net from 'node:net';
import type { Dispatcher } from 'undici';
import * as z from 'zod/mini';
import { createSimulator, SIM_KEYS } from '../test/simulator/index';
import { spliceTunnel } from '../test/simulator/tunnel';
import { HttpClient } from '../src/core/http';
import { createDispatcher } from '../src/core/network';
import { median, percentile, round, table } from './stats';

const REQUESTS = 200;
const WARMUP = 20;

async function timings(dispatcher: Dispatcher, baseUrl: string): Promise<number[]> {
  const client = new HttpClient({ providerName: 'Boring Marketing', baseUrl, authHeaders: async () => ({ 'x-api-key': SIM_KEYS.boringMarketing }), dispatcher });
  const out: number[] = [];
  for (let i = 0; i < WARMUP + REQUESTS; i++) {
    const started = performance.now();
    await client.send({ method: 'GET', path: '/brands', schema: z.unknown() });
    if (i >= WARMUP) out.push(performance.now() - started);
  }
  return out;
}

async function main(): Promise<void> {
  const sim = await createSimulator().start();
  // A plain CONNECT proxy that tunnels any host to the simulator: the proxied path, minus TLS.
  const proxy = http.createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (_req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    spliceTunnel(client, head, sim.port);
  });
  await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', () => resolve()));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
  const Agent = require('undici/lib/dispatcher/agent.js') as typeof import('undici').Agent; // eslint-disable-line @typescript-eslint/no-require-imports

  const local = sim.baseUrl('boringMarketing');
  // A name that only the proxy resolves, over plain http (the proxy tunnels it like https, without the TLS cost).
  const remote = `http://bench.runwatch.test${new URL(local).pathname}`;
  const cases: [string, Dispatcher, string][] = [
    ['undici Agent (before)', new Agent({ connections: 16, keepAliveTimeout: 10_000 }), local],
    ['network dispatcher, no proxy', createDispatcher({ noProxy: [], strictSSL: true }), local],
    ['network dispatcher, proxy set, loopback origin', createDispatcher({ proxy: proxyUrl, noProxy: [], strictSSL: true }), local],
    ['network dispatcher, through the CONNECT proxy', createDispatcher({ proxy: proxyUrl, noProxy: [], strictSSL: true }), remote],
  ];
  const rows: (string | number)[][] = [['dispatcher', 'median', 'p90', 'requests']];
  // Two rounds, alternating, so that warm-up and machine noise do not favour the first case.
  const results = new Map<string, number[]>();
  for (let round_ = 0; round_ < 2; round_++) {
    for (const [name, dispatcher, baseUrl] of cases) results.set(name, [...(results.get(name) ?? []), ...(await timings(dispatcher, baseUrl))]);
  }
  for (const [name] of cases) {
    const values = results.get(name) ?? [];
    rows.push([name, `${round(median(values), 3)} ms`, `${round(percentile(values, 90), 3)} ms`, values.length]);
  }
  console.log(table(rows));
  await Promise.all(cases.map(([, d]) => d.close()));
  proxy.close();
  await sim.stop();
}

void main().then(
  () => process.exit(0),
  e => {
    console.error(e);
    process.exit(1);
  },
);
