// The walkthrough's steps complete on what really happened (issue 8, "First use and everyday use"): each step's
// context key is set only once the thing took place. Checked through the API's walkthroughDone(), which reads
// the same state the extension sets the context keys from, after a reload so that earlier tests count for nothing.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { runwatchApi, setKey, waitFor, type RunwatchApi } from './helpers';
import { boringMarketingWorld, runKey, type BmWorld } from './engineHelpers';

const BM = 'boringMarketing' as const;
const MINUTE = 60_000;

describe('Walkthrough: steps complete on real events', function () {
  this.timeout(60_000);
  const shared = boringMarketingWorld();
  let api: RunwatchApi;
  let world: BmWorld;

  beforeEach(async () => {
    api = await runwatchApi();
    world = shared.current;
    await api.reloadForTests();
  });

  it('a rejected key completes nothing; an accepted one completes "set a key"', async () => {
    assert.equal(api.walkthroughDone('keyWorks'), false, 'done before any key');
    await setKey(BM, 'bm_not_a_key_the_simulator_knows');
    await waitFor(() => api.service.health(BM).state === 'authFailed', 10_000, 'the wrong key to be rejected');
    assert.equal(api.walkthroughDone('keyWorks'), false, 'a key the provider rejected completed "set a key"');

    await setKey(BM);
    await waitFor(() => api.walkthroughDone('keyWorks'), 10_000, '"set a key" to complete once the provider accepted the key');
  });

  it('"see your runs" completes once the Runs view shows a run; "start a run" once a started run is tracked; then being told about it', async () => {
    const { bm, acme } = world;
    bm.addRun(acme.id, { kind: 'scoring', status: 'done', finishedAgoMs: 10 * MINUTE });
    await setKey(BM);
    await waitFor(() => api.service.store.forAccount(BM, acme.id).length === 1, 10_000, 'the listed run loaded');
    await vscode.commands.executeCommand('runwatch.runs.focus');
    await waitFor(() => api.walkthroughDone('hasRuns'), 10_000, '"see your runs" to complete with the view showing a run');

    // A run only listed (started elsewhere) is not one the user started here.
    assert.equal(api.walkthroughDone('startedRun'), false, 'a listed run completed "start a run"');
    const account = api.service.accounts(BM)?.find(a => a.id === acme.id);
    assert.ok(account, 'Acme is not listed');
    const kind = (await api.service.kinds(BM, account)).find(k => k.id === 'synthesize');
    assert.ok(kind, 'no Synthesize pipeline');
    const started = await api.service.startRun(BM, account, kind, {});
    await waitFor(() => api.walkthroughDone('startedRun'), 5_000, '"start a run" to complete once the started run is tracked');

    assert.equal(api.walkthroughDone('notified'), false, 'told about runs before anything finished');
    bm.clock.advance(5 * MINUTE);
    await api.service.refreshNow([runKey(BM, started.run.id)]);
    await waitFor(
      () => {
        api.notifier.flush();
        return api.walkthroughDone('notified');
      },
      10_000,
      'the last step to complete once Runwatch told the user the run finished',
    );
  });
});
