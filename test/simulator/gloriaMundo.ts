// STUB: replaced by the real GloriaMundo simulator.
import type { SimClock, SimProvider, SimReply, SimRequest } from './server';
import { SIM_KEYS } from './keys';

export class GloriaMundoSim implements SimProvider {
  readonly id = 'gloriaMundo' as const;
  readonly prefix = '/gm/api/v1';
  readonly keys = new Set([SIM_KEYS.gloriaMundo]);
  constructor(readonly clock: SimClock) {}
  handle(_req: SimRequest): SimReply {
    return { status: 404, body: { detail: 'not simulated yet' } };
  }
  reset(): void {}
}
