// The parts of undici Runwatch uses: the HTTP/1.1 dispatchers (core/network) and the request API (core/http).
// undici's index pulls in fetch, WebSocket, caches and more (about 520 KB bundled), so these modules are loaded
// directly (undici has no exports map; they are the same modules its index re-exports). The packaged extension
// bundles this file on its own, as dist/undici.js (esbuild.js), and requires it on the first request: the
// 300 KB are then not even compiled while the extension activates.
import type { Dispatcher } from 'undici';

/* eslint-disable @typescript-eslint/no-require-imports */
export const undici = {
  request: () => require('undici/lib/api/api-request.js') as (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>,
  Agent: () => require('undici/lib/dispatcher/agent.js') as typeof import('undici').Agent,
  ProxyAgent: () => {
    // The tunnel to the proxy is opened with Client#connect, which undici's index adds to every dispatcher;
    // loading the modules one by one, Runwatch has to add it itself.
    const base = require('undici/lib/dispatcher/dispatcher.js') as { prototype: { connect?: unknown } };
    base.prototype.connect ??= require('undici/lib/api/api-connect.js');
    return require('undici/lib/dispatcher/proxy-agent.js') as typeof import('undici').ProxyAgent;
  },
  DispatcherBase: () => require('undici/lib/dispatcher/dispatcher-base.js') as new () => Dispatcher,
  symbols: () => require('undici/lib/core/symbols.js') as { kDispatch: symbol; kClose: symbol; kDestroy: symbol },
};

