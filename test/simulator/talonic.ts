// STUB: replaced by the real Talonic simulator.
import type { SimClock, SimProvider, SimReply, SimRequest } from './server';
import { SIM_KEYS } from './keys';

export class TalonicSim implements SimProvider {
  readonly id = 'talonic' as const;
  readonly prefix = '/tlnc';
  readonly keys = new Set([SIM_KEYS.talonic]);
  constructor(readonly clock: SimClock) {}
  handle(_req: SimRequest): SimReply {
    return { status: 404, body: { detail: 'not simulated yet' } };
  }
  reset(): void {}
}
