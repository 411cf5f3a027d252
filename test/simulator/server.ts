// The provider simulator: one loopback HTTP server that plays all five providers, each under its own
// path prefix, with scriptable run lifecycles and faults, and a log of every request for assertions.
//
//   http://127.0.0.1:PORT/bm          Boring Marketing
//   http://127.0.0.1:PORT/gm/api/v1   GloriaMundo
//   http://127.0.0.1:PORT/amz         Automindz
//   http://127.0.0.1:PORT/tlnc        Talonic
//   http://127.0.0.1:PORT/adlyse/mcp/workflows/   Adlyse (MCP, Streamable HTTP)
//   http://127.0.0.1:PORT/__sim/...   control API (requests, faults, reset, scenario) for out-of-process drivers
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderId } from '../../src/core/run';
import { ChaosMode, faultMatches, type ChaosOptions } from './chaos';

/** Simulated time: real time times `scale`, plus a manual offset tests can advance. */
export class SimClock {
  scale = 1;
  private offsetMs = 0;
  private readonly origin = Date.now();

  /** Simulated now, in ms since the epoch. */
  now(): number {
    const real = Date.now();
    return this.origin + (real - this.origin) * this.scale + this.offsetMs;
  }

  /** Jump simulated time forward (lifecycles are computed from the clock, so runs move on at once). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  iso(ms = this.now()): string {
    return new Date(ms).toISOString();
  }
}

export interface SimRequest {
  provider: ProviderId;
  method: string;
  /** Path below the provider's prefix, without the query ("/brands/b1/runs"). */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body, or undefined when empty or not JSON. */
  body: unknown;
  rawBody: string;
  req: http.IncomingMessage;
  res: http.ServerResponse;
}

export interface SimReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A provider played by the simulator. `handle` returns undefined when it sent the response itself (MCP). */
export interface SimProvider {
  readonly id: ProviderId;
  /** Path prefix, e.g. "/bm". */
  readonly prefix: string;
  handle(req: SimRequest): Promise<SimReply | undefined> | SimReply | undefined;
  /** Forget every brand, run and workflow; keep the keys. */
  reset(): void;
  /** Populate a demo-sized scenario: a few accounts and runs in progress. */
  seedDemo?(): void;
  /** Every start the provider accepted over HTTP (a run it created), in order. */
  readonly started?: AcceptedStart[];
}

/** A start request the provider accepted: it created this run, whether or not its answer reached the client. */
export interface AcceptedStart {
  provider: ProviderId;
  runId: string;
  accountId: string;
  /** Simulated time. */
  at: number;
  /** What the start carried that tells it apart (never a secret): the input, a name, the trigger body. */
  input?: unknown;
}

/** A scripted fault: consumed by the next `times` matching requests. */
export interface Fault {
  provider?: ProviderId;
  /** Regular expression (source) matched against the path below the prefix. */
  path?: string;
  method?: string;
  /** Adlyse: the MCP tool a tools/call request calls (run_workflow), since every MCP request has the same path. */
  tool?: string;
  times?: number;
  /** What to answer instead of the provider. */
  status?: number;
  headers?: Record<string, string>;
  /** JSON body; or one of the raw bodies below. */
  body?: unknown;
  html?: boolean;
  /** A JSON body cut off halfway. */
  truncated?: boolean;
  /** A syntactically valid JSON body of this many bytes. */
  hugeBytes?: number;
  /** Wait this long before answering (then answer normally unless another field says otherwise). */
  delayMs?: number;
  /** Never answer (the client's timeout must fire). */
  hang?: boolean;
  /** Drop the connection without an answer. */
  reset?: boolean;
  /**
   * The provider carries the request out first (a start creates its run), then this fault answers instead:
   * with hang or reset the answer is lost, with a status the client sees an error for something that happened.
   */
  afterProvider?: boolean;
  /**
   * The provider's own answer, rewritten: 'wrongTypes' makes every "status" a number, 'unknownStatus' a word
   * no provider documents, 'truncate' cuts the body in half (with a matching Content-Length), 'inflate' pads it
   * to `inflateBytes` (a JSON answer gets a "padding" field; an MCP answer a padded structuredContent).
   */
  rewrite?: 'wrongTypes' | 'unknownStatus' | 'truncate' | 'inflate';
  inflateBytes?: number;
  /** Slow-loris: the answer goes out `bytes` at a time, one piece every `everyMs`. */
  trickle?: { bytes: number; everyMs: number };
  /** The answer's headers and the first half of its body, then the connection drops (an SSE stream cut mid-event). */
  cut?: boolean;
}

export interface LoggedRequest {
  time: number;
  provider: ProviderId | 'control' | 'none';
  method: string;
  path: string;
  status: number;
  /** Which auth header carried something (never its value). */
  auth?: 'x-api-key' | 'bearer' | 'none';
  /** True when a scripted fault answered. */
  fault?: boolean;
  /** MCP tool name for Adlyse tools/call requests. */
  tool?: string;
  /** Chaos mode: the name of the rule that answered. */
  faultClass?: string;
  /** With a `transit` option: simulated time the request arrived, before the injected delay (`time` is after it). */
  receivedAt?: number;
  /** The answer's Retry-After header, as sent. */
  retryAfter?: string;
  /** `transit` held the request unanswered (the client's timeout had to fire). */
  timedOut?: boolean;
}

export interface SimulatorOptions {
  port?: number;
  host?: string;
  /** Simulated-time multiplier (60 → a simulated hour per real minute). */
  timeScale?: number;
  /** Network transit the benchmark injects per request: a delay (real ms) before it is handled, or no answer at all. */
  transit?: (request: { provider: ProviderId; method: string; path: string }) => { delayMs?: number; hang?: boolean } | undefined;
}

export class Simulator {
  readonly clock = new SimClock();
  readonly requests: LoggedRequest[] = [];
  /** Every provider request's URL as received (path and query, before any parsing), oldest first. */
  readonly receivedUrls: string[] = [];
  private readonly providers = new Map<ProviderId, SimProvider>();
  private faults: Fault[] = [];
  /** Chaos mode, when on: random faults for requests no scripted fault took. */
  chaos?: ChaosMode;
  private server?: http.Server;
  private readonly sockets = new Set<import('node:net').Socket>();
  /** TCP connections clients opened to this server since it started (keep-alive reuse shows as fewer than requests). */
  connectionsOpened = 0;
  private readonly hanging = new Set<http.ServerResponse>();
  port = 0;

  constructor(private readonly options: SimulatorOptions = {}) {
    this.clock.scale = options.timeScale ?? 1;
  }

  register(provider: SimProvider): this {
    this.providers.set(provider.id, provider);
    return this;
  }

  provider<T extends SimProvider>(id: ProviderId): T {
    const p = this.providers.get(id);
    if (!p) throw new Error(`simulator: provider ${id} is not registered`);
    return p as T;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The base URL a Runwatch setting should hold for this provider. */
  baseUrl(id: ProviderId): string {
    const p = this.provider(id);
    return `${this.origin}${p.prefix}`;
  }

  addFault(fault: Fault): void {
    this.faults.push({ times: 1, ...fault });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Turns chaos mode on with these rules (replacing any earlier ones), or off. */
  setChaos(options: ChaosOptions | undefined): ChaosMode | undefined {
    this.chaos = options ? new ChaosMode(options) : undefined;
    return this.chaos;
  }

  /** Every start the providers accepted over HTTP, across providers. */
  acceptedStarts(): AcceptedStart[] {
    return [...this.providers.values()].flatMap(p => p.started ?? []);
  }

  reset(): void {
    this.clearFaults();
    this.requests.length = 0;
    this.receivedUrls.length = 0;
    for (const p of this.providers.values()) p.reset();
  }

  requestsFor(provider: ProviderId, pathPattern?: RegExp): LoggedRequest[] {
    return this.requests.filter(r => r.provider === provider && (!pathPattern || pathPattern.test(r.path)));
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      this.dispatch(req, res).catch(e => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ detail: `simulator error: ${(e as Error).message}` }));
        }
      });
    });
    this.server.on('connection', s => {
      this.connectionsOpened++;
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>(resolve => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rawBody = await readBody(req);
    let body: unknown;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      body = undefined;
    }
    if (url.pathname.startsWith('/__sim/')) return this.control(url, req.method ?? 'GET', body, res);
    this.receivedUrls.push(req.url ?? '');

    const provider = [...this.providers.values()].find(p => url.pathname === p.prefix || url.pathname.startsWith(`${p.prefix}/`));
    const auth = req.headers['x-api-key'] ? 'x-api-key' : /^bearer /i.test(req.headers.authorization ?? '') ? 'bearer' : 'none';
    const entry: LoggedRequest = {
      time: this.clock.now(),
      provider: provider?.id ?? 'none',
      method: req.method ?? 'GET',
      path: provider ? url.pathname.slice(provider.prefix.length) || '/' : url.pathname,
      status: 0,
      auth,
    };
    if (provider?.id === 'adlyse' && body && typeof body === 'object' && (body as { method?: string }).method === 'tools/call') {
      entry.tool = (body as { params?: { name?: string } }).params?.name;
    }
    this.requests.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
      // Headers given to writeHead() are not readable with getHeader(): read the header block as sent.
      const retryAfter = res.getHeader('retry-after') ?? /\r\nretry-after:[ \t]*([^\r\n]*)/i.exec((res as unknown as { _header?: string })._header ?? '')?.[1];
      if (retryAfter !== undefined) entry.retryAfter = String(retryAfter);
    });
    if (!provider) return send(res, { status: 404, body: { detail: 'no simulated provider at this path' } });

    const transit = this.options.transit?.({ provider: provider.id, method: entry.method, path: entry.path });
    if (transit) {
      entry.receivedAt = entry.time;
      if (transit.hang) {
        entry.timedOut = true;
        return this.hang(res);
      }
      if (transit.delayMs) await new Promise(r => setTimeout(r, transit.delayMs));
      entry.time = this.clock.now();
    }

    const fault = this.takeFault(provider.id, entry.method, entry.path, entry.tool) ?? this.chaos?.pick(provider.id, entry.method, entry.path, entry.tool);
    if (fault) {
      entry.fault = true;
      if ('name' in fault && typeof fault.name === 'string') entry.faultClass = fault.name;
      if (fault.delayMs) await new Promise(r => setTimeout(r, fault.delayMs));
      if (!fault.afterProvider && !fault.rewrite) {
        if (fault.hang) return this.hang(res);
        if (fault.reset) {
          req.socket.destroy();
          return;
        }
        if (fault.status !== undefined || fault.html || fault.truncated || fault.hugeBytes) return sendFault(res, fault);
      }
    }

    // Faults that need the provider's own answer (or its side effects) take it from a captured response.
    const captured = fault && (fault.afterProvider || fault.rewrite || fault.trickle || fault.cut) ? captureResponse(res) : undefined;
    const reply = await provider.handle({
      provider: provider.id,
      method: entry.method,
      path: entry.path,
      query: url.searchParams,
      headers: req.headers,
      body,
      rawBody,
      req,
      res,
    });
    if (reply) send(res, reply);
    if (!captured || !fault) return;
    const answer = await captured.answer;
    captured.release();
    if (fault.afterProvider) {
      if (fault.hang) return this.hang(res);
      if (fault.reset) {
        req.socket.destroy();
        return;
      }
      return sendFault(res, fault);
    }
    deliver(res, fault.rewrite ? rewriteAnswer(answer, fault) : answer, fault);
  }

  /** Never answers: the client's timeout must fire. */
  private hang(res: http.ServerResponse): void {
    this.hanging.add(res);
    res.on('close', () => this.hanging.delete(res));
  }

  private takeFault(provider: ProviderId, method: string, path: string, tool?: string): Fault | undefined {
    const i = this.faults.findIndex(f => faultMatches(f, provider, method, path, tool));
    if (i < 0) return undefined;
    const fault = this.faults[i];
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.faults.splice(i, 1);
    return fault;
  }

  /** Control API for drivers in another process (the UI smoke test, the demo, the benchmark). */
  private control(url: URL, method: string, body: unknown, res: http.ServerResponse): void {
    const what = url.pathname.slice('/__sim/'.length);
    if (what === 'requests' && method === 'GET') return send(res, { status: 200, body: this.requests });
    if (what === 'faults' && method === 'POST') {
      for (const f of Array.isArray(body) ? body : [body]) this.addFault(f as Fault);
      return send(res, { status: 204 });
    }
    if (what === 'reset' && method === 'POST') {
      this.reset();
      return send(res, { status: 204 });
    }
    if (what === 'seed' && method === 'POST') {
      for (const p of this.providers.values()) p.seedDemo?.();
      return send(res, { status: 204 });
    }
    if (what === 'advance' && method === 'POST') {
      this.clock.advance(Number((body as { ms?: number })?.ms ?? 0));
      return send(res, { status: 204 });
    }
    if (what === 'info' && method === 'GET') {
      const baseUrls = Object.fromEntries([...this.providers.keys()].map(id => [id, this.baseUrl(id)]));
      return send(res, { status: 200, body: { baseUrls, timeScale: this.clock.scale } });
    }
    send(res, { status: 404, body: { detail: `unknown control call ${method} ${what}` } });
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

let requestCounter = 0;

export function send(res: http.ServerResponse, reply: SimReply): void {
  const headers: Record<string, string> = {
    'x-request-id': (++requestCounter).toString(16).padStart(8, '0'),
    ...reply.headers,
  };
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function sendFault(res: http.ServerResponse, fault: Fault): void {
  const status = fault.status ?? 200;
  if (fault.html) {
    const page = `<!DOCTYPE html><html><head><title>${status} Bad Gateway</title></head><body><h1>${status}</h1><p>nginx</p></body></html>`;
    deliver(res, { status, headers: { 'content-type': 'text/html', ...fault.headers }, body: Buffer.from(page) }, fault);
    return;
  }
  if (fault.truncated) {
    const text = JSON.stringify(fault.body ?? { id: 'run-1', status: 'running', meta: { current_stage: 'evidence_collection' } });
    deliver(res, { status, headers: { 'content-type': 'application/json', ...fault.headers }, body: Buffer.from(text.slice(0, Math.floor(text.length / 2))) }, fault);
    return;
  }
  if (fault.hugeBytes) {
    res.writeHead(status, { 'content-type': 'application/json', ...fault.headers });
    const chunk = 'x'.repeat(64 * 1024);
    res.write('{"padding":"');
    let written = 0;
    const pump = () => {
      while (written < fault.hugeBytes!) {
        written += chunk.length;
        if (!res.write(chunk)) return res.once('drain', pump);
      }
      res.end('"}');
    };
    res.on('error', () => {});
    pump();
    return;
  }
  if (!fault.trickle && !fault.cut) return send(res, { status, body: fault.body ?? { detail: `simulated ${status}` }, headers: fault.headers });
  const text = JSON.stringify(fault.body ?? { detail: `simulated ${status}` });
  deliver(res, { status, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...fault.headers }, body: Buffer.from(text) }, fault);
}

/** A whole answer, as a provider gave it (or as a fault makes it up). */
interface Answer {
  status: number;
  headers: Record<string, string | string[] | number>;
  body: Buffer;
}

/**
 * Takes over a response: whatever the provider writes (writeHead, write, end; the MCP SDK's streaming
 * included) is collected instead of sent, until it ends. `release` gives the response back, unsent.
 */
function captureResponse(res: http.ServerResponse): { answer: Promise<Answer>; release(): void } {
  const chunks: Buffer[] = [];
  let status = 200;
  let headers: Record<string, string | string[] | number> = {};
  const toBuffer = (chunk: unknown, encoding?: unknown) =>
    typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : Buffer.from(chunk as Uint8Array);
  const callbackOf = (args: unknown[]) => args.find(a => typeof a === 'function') as (() => void) | undefined;
  const own = res as unknown as Record<string, unknown>;
  const answer = new Promise<Answer>(resolve => {
    own.writeHead = (code: number, ...rest: unknown[]) => {
      status = code;
      const given = rest.find(r => r && typeof r === 'object') as Record<string, string | string[] | number> | unknown[] | undefined;
      if (Array.isArray(given)) {
        for (let i = 0; i + 1 < given.length; i += 2) headers[String(given[i]).toLowerCase()] = given[i + 1] as string;
      } else if (given) {
        for (const [k, v] of Object.entries(given)) headers[k.toLowerCase()] = v;
      }
      return res;
    };
    own.flushHeaders = () => undefined;
    own.write = (chunk: unknown, ...rest: unknown[]) => {
      if (chunk !== undefined && chunk !== null) chunks.push(toBuffer(chunk, rest[0]));
      callbackOf(rest)?.();
      return true;
    };
    own.end = (...args: unknown[]) => {
      const [chunk] = args;
      if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') chunks.push(toBuffer(chunk, args[1]));
      const set = res.getHeaders();
      headers = { ...(Object.fromEntries(Object.entries(set).map(([k, v]) => [k.toLowerCase(), v as string]))), ...headers };
      resolve({ status, headers, body: Buffer.concat(chunks) });
      callbackOf(args)?.();
      return res;
    };
  });
  return {
    answer,
    release() {
      for (const name of ['writeHead', 'flushHeaders', 'write', 'end']) delete own[name];
      for (const name of res.getHeaderNames()) res.removeHeader(name);
    },
  };
}

/** Sends an answer whole, slowly (trickle), or cut off halfway. */
function deliver(res: http.ServerResponse, answer: Answer, fault: Fault): void {
  const { body } = answer;
  res.on('error', () => {});
  res.writeHead(answer.status, answer.headers as http.OutgoingHttpHeaders);
  if (fault.cut) {
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
    return;
  }
  if (!fault.trickle) {
    res.end(body);
    return;
  }
  const { bytes, everyMs } = fault.trickle;
  let offset = 0;
  const next = () => {
    if (res.destroyed || res.writableEnded) return;
    const piece = body.subarray(offset, offset + Math.max(1, bytes));
    offset += piece.length;
    if (offset >= body.length) res.end(piece);
    else {
      res.write(piece);
      setTimeout(next, everyMs);
    }
  };
  next();
}

const WEIRD_STATUS = 'awaiting_moderation';

/** The provider's answer, changed as the fault says; Content-Length follows the new body when there was one. */
function rewriteAnswer(answer: Answer, fault: Fault): Answer {
  let text = answer.body.toString('utf8');
  switch (fault.rewrite) {
    case 'wrongTypes':
      // The status as a number, in the JSON and in a JSON text block of an MCP answer alike.
      text = text.replace(/("status"\s*:\s*)"[A-Za-z_]+"/g, (_m, key: string) => `${key}7`).replace(/(\\"status\\"\s*:\s*)\\"[A-Za-z_]+\\"/g, (_m, key: string) => `${key}7`);
      break;
    case 'unknownStatus':
      text = text.replace(/("status"\s*:\s*)"[A-Za-z_]+"/g, `$1"${WEIRD_STATUS}"`).replace(/(\\"status\\"\s*:\s*)\\"[A-Za-z_]+\\"/g, `$1\\"${WEIRD_STATUS}\\"`);
      break;
    case 'truncate':
      text = text.slice(0, Math.floor(text.length / 2));
      break;
    case 'inflate': {
      const padding = `"padding":"${'x'.repeat(fault.inflateBytes ?? 10 * 1024 * 1024)}",`;
      if (text.includes('"structuredContent":{')) text = text.replace('"structuredContent":{', `"structuredContent":{${padding}`);
      else if (text.startsWith('{"')) text = `{${padding}${text.slice(1)}`;
      break;
    }
  }
  const headers = { ...answer.headers };
  if (headers['content-length'] !== undefined) headers['content-length'] = String(Buffer.byteLength(text));
  return { ...answer, headers, body: Buffer.from(text) };
}

/** Reads the key a request carries: X-API-Key, or the token of `Authorization: Bearer`. */
export function presentedKey(req: SimRequest): string | undefined {
  const x = req.headers['x-api-key'];
  if (typeof x === 'string' && x) return x;
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1]?.trim();
}
