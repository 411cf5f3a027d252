// The simulator's chaos faults (what `npm run soak` injects), seen through a real adapter over loopback HTTP:
// a start carried out whose answer is lost, rewritten answers, slow and cut answers, random rules.
import * as assert from 'node:assert/strict';
import { createSimulator, SIM_KEYS, type Simulator } from '../simulator/index';
import type { GloriaMundoSim } from '../simulator/gloriaMundo';
import { GloriaMundoProvider, GM_RUN_KIND } from '../../src/providers/gloriaMundo';
import type { Account } from '../../src/providers/provider';
import { recordingLogger, rejection } from './support';

describe('Simulator chaos faults', () => {
  let sim: Simulator;
  let provider: GloriaMundoProvider;
  let workflow: Account;

  before(async () => {
    sim = await createSimulator().start();
  });
  after(async () => {
    await sim.stop();
  });
  beforeEach(async () => {
    sim.reset();
    sim.setChaos(undefined);
    sim.provider<GloriaMundoSim>('gloriaMundo').addWorkflow('wf_chaos', { name: 'Chaos', steps: ['One', 'Two'], durations: 60_000 });
    provider = new GloriaMundoProvider({ baseUrl: sim.baseUrl('gloriaMundo'), getKey: async () => SIM_KEYS.gloriaMundo, log: recordingLogger(), timeoutMs: 500 });
    workflow = await provider.addAccount({ value: 'wf_chaos' });
  });

  it('a start carried out whose answer is lost: the client times out, the simulator logged the run it created', async () => {
    sim.addFault({ provider: 'gloriaMundo', method: 'POST', path: '/execute$', afterProvider: true, hang: true });
    assert.equal((await rejection(provider.startRun(workflow, GM_RUN_KIND, {}))).kind, 'timeout');
    const accepted = sim.acceptedStarts();
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0].accountId, 'wf_chaos');
  });

  it('a start answered with an HTML 502 after the run was created', async () => {
    sim.addFault({ provider: 'gloriaMundo', method: 'POST', path: '/execute$', afterProvider: true, status: 502, html: true });
    assert.equal((await rejection(provider.startRun(workflow, GM_RUN_KIND, {}))).kind, 'server');
    assert.equal(sim.acceptedStarts().length, 1);
  });

  it('rewrites the real answer: an unknown status word, a status of the wrong type, a cut body', async () => {
    const { run } = await provider.startRun(workflow, GM_RUN_KIND, {});
    const ref = { accountId: run.accountId, id: run.id, kind: run.kind };
    sim.addFault({ provider: 'gloriaMundo', path: '/status$', rewrite: 'unknownStatus' });
    const odd = await provider.getRun(ref);
    assert.equal(odd.status, 'unknown');
    assert.equal(odd.rawStatus, 'awaiting_moderation');
    sim.addFault({ provider: 'gloriaMundo', path: '/status$', rewrite: 'wrongTypes' });
    assert.equal((await rejection(provider.getRun(ref))).kind, 'badResponse');
    sim.addFault({ provider: 'gloriaMundo', path: '/status$', rewrite: 'truncate' });
    assert.equal((await rejection(provider.getRun(ref))).kind, 'badResponse');
    assert.equal((await provider.getRun(ref)).status, 'queued', 'each fault answers once');
  });

  it('a slow answer that arrives in time is read whole; one trickled past the timeout is not; a cut one fails', async () => {
    const { run } = await provider.startRun(workflow, GM_RUN_KIND, {});
    const ref = { accountId: run.accountId, id: run.id, kind: run.kind };
    sim.addFault({ provider: 'gloriaMundo', path: '/status$', trickle: { bytes: 64, everyMs: 5 } });
    assert.equal((await provider.getRun(ref)).status, 'queued');
    sim.addFault({ provider: 'gloriaMundo', path: '/status$', trickle: { bytes: 4, everyMs: 100 } });
    assert.equal((await rejection(provider.getRun(ref))).kind, 'timeout');
    sim.addFault({ provider: 'gloriaMundo', path: '/status$', cut: true });
    assert.ok(['network', 'badResponse'].includes((await rejection(provider.getRun(ref))).kind));
  });

  it('chaos rules answer by chance, stop at their maximum, and are counted and logged by name', async () => {
    const chaos = sim.setChaos({ rules: [{ name: '5xx', provider: 'gloriaMundo', path: '/status$', status: 503, probability: 1, max: 2 }] })!;
    const { run } = await provider.startRun(workflow, GM_RUN_KIND, {});
    const ref = { accountId: run.accountId, id: run.id, kind: run.kind };
    assert.equal((await rejection(provider.getRun(ref))).kind, 'server');
    assert.equal((await rejection(provider.getRun(ref))).kind, 'server');
    assert.equal((await provider.getRun(ref)).status, 'queued');
    assert.deepEqual(chaos.counts, { '5xx': 2 });
    assert.deepEqual(
      sim.requestsFor('gloriaMundo', /\/status$/).map(r => r.faultClass ?? null),
      ['5xx', '5xx', null],
    );
  });
});
