// Keys the simulator accepts out of the box. They are fake and only ever valid against the simulator.
import type { ProviderId } from '../../src/core/run';

export const SIM_KEYS: Record<ProviderId, string> = {
  boringMarketing: 'bm_5e7a1c0ffee0123456789abcdef01234',
  gloriaMundo: 'gm_live_sim7f3a9c2b1d0e4f5a6b7c8d9e',
  automindz: 'amz_sim_4b8c2d1e0f9a7b6c5d4e3f2a',
  talonic: 'tlnc_live_sim9a8b7c6d5e4f3a2b1c0d',
  adlyse: 'mii_prod_sim3c4d5e6f7a8b9c0d1e2f',
};
