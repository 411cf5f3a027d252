// STUB: replaced by the real Adlyse simulator.
import type { SimClock, SimProvider, SimReply, SimRequest } from './server';
import { SIM_KEYS } from './keys';

export class AdlyseSim implements SimProvider {
  readonly id = 'adlyse' as const;
  readonly prefix = '/adlyse/mcp/workflows';
  readonly keys = new Set([SIM_KEYS.adlyse]);
  constructor(readonly clock: SimClock) {}
  handle(_req: SimRequest): SimReply {
    return { status: 404, body: { detail: 'not simulated yet' } };
  }
  reset(): void {}
}
