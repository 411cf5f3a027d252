// STUB: replaced by the real Automindz simulator.
import type { SimClock, SimProvider, SimReply, SimRequest } from './server';
import { SIM_KEYS } from './keys';

export class AutomindzSim implements SimProvider {
  readonly id = 'automindz' as const;
  readonly prefix = '/amz';
  readonly keys = new Set([SIM_KEYS.automindz]);
  constructor(readonly clock: SimClock) {}
  handle(_req: SimRequest): SimReply {
    return { status: 404, body: { detail: 'not simulated yet' } };
  }
  reset(): void {}
}
