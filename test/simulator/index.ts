// Builds the simulator with all five providers registered.
import { Simulator, type SimulatorOptions } from './server';
import { BoringMarketingSim } from './boringMarketing';
import { GloriaMundoSim } from './gloriaMundo';
import { AutomindzSim } from './automindz';
import { TalonicSim } from './talonic';
import { AdlyseSim } from './adlyse';

export { Simulator } from './server';
export { SIM_KEYS } from './keys';

export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const sim = new Simulator(options);
  sim.register(new BoringMarketingSim(sim.clock));
  sim.register(new GloriaMundoSim(sim.clock));
  sim.register(new AutomindzSim(sim.clock));
  sim.register(new TalonicSim(sim.clock));
  sim.register(new AdlyseSim(sim.clock));
  return sim;
}
