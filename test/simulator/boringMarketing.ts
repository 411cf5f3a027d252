// STUB: replaced by the real BoringMarketing simulator.
import type { SimClock, SimProvider, SimReply, SimRequest } from './server';
import { SIM_KEYS } from './keys';

export class BoringMarketingSim implements SimProvider {
  readonly id = 'boringMarketing' as const;
  readonly prefix = '/bm';
  readonly keys = new Set([SIM_KEYS.boringMarketing]);
  constructor(readonly clock: SimClock) {}
  handle(_req: SimRequest): SimReply {
    return { status: 404, body: { detail: 'not simulated yet' } };
  }
  reset(): void {}
}
