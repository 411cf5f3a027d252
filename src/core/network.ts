// How Runwatch's HTTP reaches the network: the proxy and certificate settings (VS Code's `http.*`, the
// HTTP(S)_PROXY / NO_PROXY environment) turned into one undici dispatcher that every request goes through.
// No vscode import: the VS Code layer reads the settings and hands them over as NetworkSettings.
import * as tls from 'node:tls';
import type { Dispatcher } from 'undici';
import { ProviderError } from './errors';
import { loadUndici } from './undiciLazy';

export interface NetworkSettings {
  /** `http.proxy`: wins over HTTP(S)_PROXY. `host:port` without a scheme means `http://host:port`. */
  proxy?: string;
  /** `http.noProxy`: hosts never proxied, merged with NO_PROXY (and loopback, which is never proxied). */
  noProxy: string[];
  /** `http.proxyStrictSSL`: false accepts any certificate, from the proxy and from the provider alike. */
  strictSSL: boolean;
  /** `http.proxyAuthorization`: sent as Proxy-Authorization to the proxy (never to a provider). */
  proxyAuthorization?: string;
  /** Extra CA certificates (PEM), trusted in addition to Node's default roots: the system store, a corporate CA. */
  ca?: string[];
}

interface NetworkLog {
  warn(message: string): void;
  error(message: string): void;
}

type Env = Record<string, string | undefined>;

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** `URL.hostname` of this machine: never proxied, and the only place plain http is allowed. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * A proxy setting as a URL: `proxy.corp:8080` (the form `http.proxy` often has) means http. An unusable one
 * throws, and so fails every request that would go through it, before sending: never around the proxy.
 */
export function proxyUrl(raw: string): URL {
  const value = raw.trim();
  let url: URL | undefined;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    const why = url ? `${url.protocol}// proxies are not supported (use http:// or https://)` : 'it is not a URL';
    throw new ProviderError('network', `Runwatch cannot use the proxy "${redactUserinfo(value)}": ${why}. Check http.proxy or HTTPS_PROXY.`, { notSent: true });
  }
  return url;
}

function redactUserinfo(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/@]*@/i, '$1…@');
}

/** One NO_PROXY / http.noProxy entry: `host`, `.host`, `*.host`, `host:port`, `[v6]:port`, or `*` (everything). */
function bypassEntry(raw: string): { host: string; port?: string } | undefined {
  const entry = raw.trim().toLowerCase();
  if (!entry) return undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1], port: bracketed[2] };
  // A bare IPv6 address has several colons and no port.
  const withPort = entry.split(':').length === 2 ? /^(.+):(\d+)$/.exec(entry) : null;
  const host = (withPort ? withPort[1] : entry).replace(/^\*?\.?/, '');
  return host || entry === '*' ? { host: host || '*', port: withPort?.[2] } : undefined;
}

/**
 * The proxy an origin's requests go through, or undefined for a direct connection. `http.proxy` wins over
 * HTTPS_PROXY / HTTP_PROXY; the setting's noProxy and NO_PROXY both apply (a host or any of its subdomains,
 * optionally on one port); loopback is never proxied.
 */
export function proxyFor(origin: string | URL, settings: Pick<NetworkSettings, 'proxy' | 'noProxy'>, env: Env = process.env): string | undefined {
  const url = typeof origin === 'string' ? new URL(origin) : origin;
  if (isLoopbackHost(url.hostname)) return undefined;
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const fromEnv = url.protocol === 'https:' ? (env.https_proxy ?? env.HTTPS_PROXY ?? env.http_proxy ?? env.HTTP_PROXY) : (env.http_proxy ?? env.HTTP_PROXY);
  const proxy = settings.proxy?.trim() || fromEnv?.trim();
  if (!proxy) return undefined;
  const port = url.port || DEFAULT_PORTS[url.protocol] || '';
  const entries = [...settings.noProxy, ...(env.no_proxy ?? env.NO_PROXY ?? '').split(/[,\s]+/)];
  for (const entry of entries.map(bypassEntry)) {
    if (!entry || (entry.port && entry.port !== port)) continue;
    if (entry.host === '*' || hostname === entry.host || hostname.endsWith(`.${entry.host}`)) return undefined;
  }
  return proxy;
}

/** Node's default roots (with NODE_EXTRA_CA_CERTS where this Node can say) plus `extra`, without duplicates. */
export function trustedRoots(extra: string[]): string[] {
  const getCACertificates = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  const defaults = getCACertificates ? getCACertificates('default') : tls.rootCertificates;
  return [...new Set([...defaults, ...extra])];
}

/**
 * The dispatcher for these settings: direct connections through an Agent, proxied ones through a ProxyAgent
 * (a CONNECT tunnel), chosen per origin by proxyFor. Throws when the proxy setting is not a usable URL: a
 * request must fail rather than quietly go around the proxy.
 */
export function createDispatcher(settings: NetworkSettings = { noProxy: [], strictSSL: true }, log?: NetworkLog, env: Env = process.env): Dispatcher {
  const tlsOptions: tls.ConnectionOptions = {};
  if (settings.ca?.length) tlsOptions.ca = trustedRoots(settings.ca);
  if (!settings.strictSSL) {
    tlsOptions.rejectUnauthorized = false;
    log?.warn('http.proxyStrictSSL is off: Runwatch does not check the certificates of the proxy or of the providers.');
  }
  const pool = { connections: 16, keepAliveTimeout: 10_000 };
  const direct = new (loadUndici().Agent())({ ...pool, connect: tlsOptions });
  const proxies = new Map<string, Dispatcher>();
  const viaProxy = (proxy: string): Dispatcher => {
    let agent = proxies.get(proxy);
    if (!agent) {
      const uri = proxyUrl(proxy);
      agent = new (loadUndici().ProxyAgent())({
        ...pool,
        uri: uri.href,
        // undici reads user:password in the URI as Basic auth; http.proxyAuthorization, when set, replaces it.
        token: settings.proxyAuthorization || undefined,
        requestTls: tlsOptions,
        proxyTls: tlsOptions,
      });
      proxies.set(proxy, agent);
    }
    return agent;
  };
  const configured = settings.proxy?.trim();
  if (configured) viaProxy(configured); // a bad http.proxy fails now, with its own message
  const { kDispatch, kClose, kDestroy } = loadUndici().symbols();
  const all = () => [direct, ...proxies.values()];
  // DispatcherBase gives close/destroy their callback and promise forms and refuses requests once closed.
  class RoutingDispatcher extends loadUndici().DispatcherBase() {
    [kDispatch](options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      const proxy = proxyFor(String(options.origin), settings, env);
      if (!proxy) return direct.dispatch(options, handler);
      const sentCredentials = !!settings.proxyAuthorization || !!proxyUrl(proxy).username;
      return viaProxy(proxy).dispatch(options, explainingProxyRefusals(handler, proxy, String(options.origin), sentCredentials));
    }
    [kClose](): Promise<unknown> {
      return Promise.all(all().map(d => d.close()));
    }
    [kDestroy](err: Error | null): Promise<unknown> {
      return Promise.all(all().map(d => d.destroy(err)));
    }
  }
  return new RoutingDispatcher();
}

/**
 * undici reports a proxy that will not open the tunnel as an aborted request ("Proxy response (407) !== 200
 * when HTTP Tunneling"), which reads as a timeout and is retried as one. The handler here turns it into what
 * happened: nothing reached the provider, and for a 407 the user has to act (proxy credentials), so it is not
 * a transient failure to retry at the polling cadence.
 */
function explainingProxyRefusals(handler: Dispatcher.DispatchHandler, proxy: string, origin: string, sentCredentials: boolean): Dispatcher.DispatchHandler {
  return new Proxy(handler, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property === 'onError' && typeof value === 'function') return (err: Error) => value.call(target, proxyRefusal(err, proxy, origin, sentCredentials) ?? err);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The ProviderError for a proxy's refusal to connect (an error status in answer to CONNECT), else undefined. */
export function proxyRefusal(err: Error, proxy: string, origin: string, sentCredentials: boolean): ProviderError | undefined {
  // undici: "Proxy response (407) !== 200 when HTTP Tunneling" (CONNECT), "Proxy Authentication Required (407)" (plain http).
  const status = Number(/^Proxy response \((\d{3})\)/.exec(err.message)?.[1] ?? (/Proxy Authentication Required \(407\)/.test(err.message) ? 407 : NaN));
  if (!Number.isFinite(status)) return undefined;
  const at = proxyUrl(proxy).host;
  const target = new URL(origin).host;
  if (status === 407) {
    const message = sentCredentials
      ? `The proxy at ${at} did not accept Runwatch's proxy credentials (HTTP 407) for ${target}: check http.proxyAuthorization or the user:password@ in http.proxy.`
      : `The proxy at ${at} asks for authentication (HTTP 407) to reach ${target}: set http.proxyAuthorization, or user:password@ in http.proxy.`;
    // Not a transient failure: asking again sends the same credentials. 'forbidden' shows it as an error and polls slowly.
    return new ProviderError('forbidden', message, { status, code: 'PROXY_AUTH_REQUIRED', notSent: true });
  }
  return new ProviderError('network', `The proxy at ${at} refused to connect to ${target} (HTTP ${status}).`, { status, code: 'PROXY_REFUSED', notSent: true });
}

// ── the shared dispatcher every provider uses ──────────────────────────────

let source: () => NetworkSettings = () => ({ noProxy: [], strictSSL: true });
let sourceLog: NetworkLog | undefined;
let globalFetchFollowsSettings = false;
let shared: Dispatcher | undefined;

/**
 * Sets where the network settings come from (read when the next request needs a dispatcher, so that reading
 * certificate stores stays off the activation path) and drops the current dispatcher: requests in flight
 * finish on it, the next ones use the new settings.
 *
 * `globalFetchFollowsSettings`: the host has patched the global fetch to apply these settings itself (VS Code
 * does, see README "Proxy and certificates"); the MCP path then leaves its requests to it.
 */
export function useNetworkSettings(settings: () => NetworkSettings, options: { log?: NetworkLog; globalFetchFollowsSettings?: boolean } = {}): void {
  source = settings;
  sourceLog = options.log;
  globalFetchFollowsSettings = options.globalFetchFollowsSettings ?? false;
  const old = shared;
  shared = undefined;
  void old?.close().catch(() => undefined);
}

/** The dispatcher for the current settings (built on first use). Throws when the proxy setting is unusable. */
export function networkDispatcher(): Dispatcher {
  return (shared ??= createDispatcher(source(), sourceLog));
}

/** What a global-fetch caller passes as `dispatcher`: none where the host's fetch already follows the settings. */
export function fetchDispatcher(): Dispatcher | undefined {
  return globalFetchFollowsSettings ? undefined : networkDispatcher();
}
