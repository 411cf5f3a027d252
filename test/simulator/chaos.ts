// Chaos mode: faults drawn at random, per request, from a list of rules (the soak runs with it on). Scripted
// faults (Simulator.addFault) still come first; a rule is tried only for a request no scripted fault took.
// Seeded, so a soak plays the same draws for the same sequence of requests.
import type { Fault } from './server';
import type { ProviderId } from '../../src/core/run';
import { seededRandom } from '../../bench/random';

export interface ChaosRule extends Fault {
  /** The fault class, as counted and reported ("429", "lost answer", "slow-loris", …). */
  name: string;
  /** Chance that a matching request gets this fault. */
  probability: number;
  /** Stop after this many (for costly faults: 10 MB answers). */
  max?: number;
}

export interface ChaosOptions {
  rules: ChaosRule[];
  seed?: number;
}

export class ChaosMode {
  /** How many requests each rule answered, by name. */
  readonly counts: Record<string, number> = {};
  private readonly random: () => number;
  private readonly used = new Map<ChaosRule, number>();

  constructor(readonly options: ChaosOptions) {
    this.random = seededRandom(options.seed ?? 1);
  }

  /** The fault for this request, if a rule fires: rules are tried in order, each with its own draw. */
  pick(provider: ProviderId, method: string, path: string, tool: string | undefined): ChaosRule | undefined {
    for (const rule of this.options.rules) {
      if (!faultMatches(rule, provider, method, path, tool)) continue;
      if ((rule.max ?? Infinity) <= (this.used.get(rule) ?? 0)) continue;
      if (this.random() >= rule.probability) continue;
      this.used.set(rule, (this.used.get(rule) ?? 0) + 1);
      this.counts[rule.name] = (this.counts[rule.name] ?? 0) + 1;
      return rule;
    }
    return undefined;
  }
}

/** Whether a fault (scripted or chaos rule) applies to a request. */
export function faultMatches(fault: Fault, provider: ProviderId, method: string, path: string, tool: string | undefined): boolean {
  return (
    (!fault.provider || fault.provider === provider) &&
    (!fault.method || fault.method === method) &&
    (!fault.path || new RegExp(fault.path).test(path)) &&
    (!fault.tool || fault.tool === tool)
  );
}
