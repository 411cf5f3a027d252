// The adapter reaches the service through two wrappers (redaction at the provider boundary, then the gate).
// Each replaces only the calls that reach the provider; every other member, optional ones added later
// included, must come through unchanged: a wrapper that listed the members by hand dropped the newer ones,
// and the tree showed raw kind ids ("full") and lost the Re-run action.
import * as assert from 'node:assert/strict';
import { ProviderGates, gatedProvider } from '../../src/core/gate';
import { silentLogger } from '../../src/core/http';
import { createProvider } from '../../src/providers';
import { BoringMarketingProvider } from '../../src/providers/boringMarketing';
import type { Provider } from '../../src/providers/provider';

describe('provider wrappers', () => {
  const context = { baseUrl: 'http://127.0.0.1:9', getKey: async () => 'bm_test', log: silentLogger };
  const bare = new BoringMarketingProvider(context);
  const gates = new ProviderGates({ budget: () => undefined });
  const wrapped: Array<[string, Provider]> = [
    ['redacting', createProvider('boringMarketing', context)],
    ['redacting, then gated', gatedProvider(createProvider('boringMarketing', context), gates.get('boringMarketing'))],
  ];
  after(() => gates.dispose());

  for (const [name, provider] of wrapped) {
    it(`${name}: forwards every member the adapter has, optional helpers included`, () => {
      const members = (p: object) =>
        [...new Set([...Object.getOwnPropertyNames(Object.getPrototypeOf(p)), ...Object.keys(p)])].filter(m => m !== 'constructor' && !m.startsWith('_')).sort();
      for (const member of members(bare)) {
        const value = (provider as unknown as Record<string, unknown>)[member];
        assert.notEqual(value, undefined, `${member} is missing behind the wrapper`);
      }
      assert.equal(provider.kindLabel?.('full'), bare.kindLabel?.('full'));
      assert.deepEqual(provider.capabilities, bare.capabilities);
      assert.equal(provider.displayName, 'Boring Marketing');
      assert.equal(provider.cadenceMs({ provider: 'boringMarketing', accountId: 'b', id: 'r', kind: 'full', status: 'running', rawStatus: 'running' } as never, { ageMs: 0, polls: 0 }), bare.cadenceMs({ provider: 'boringMarketing', accountId: 'b', id: 'r', kind: 'full', status: 'running', rawStatus: 'running' } as never, { ageMs: 0, polls: 0 }));
    });
  }
});
