// What a run row, the stuck row and the notifications offer (src/vscode/runActions.ts), from an adapter's
// capabilities as the tree keeps them: without VS Code.
import * as assert from 'node:assert/strict';
import type { Run } from '../../src/core/run';
import type { TrackedRun } from '../../src/core/store';
import type { Provider, ProviderCapabilities } from '../../src/providers/provider';
import { adapterCapabilities, runActionsWith } from '../../src/vscode/runActions';

const CAPABILITIES: ProviderCapabilities = { listAccounts: true, addAccount: 'create', listRuns: true, cancel: true, result: true };

function adapter(over: Partial<Provider> = {}): Provider {
  return { id: 'boringMarketing', displayName: 'Boring Marketing', capabilities: CAPABILITIES, cancelRun: async () => undefined, ...over } as unknown as Provider;
}

function tracked(run: Partial<Run>, extra: Partial<TrackedRun> = {}): TrackedRun {
  const full: Run = { provider: 'boringMarketing', accountId: 'b-1', id: 'r-1', kind: 'full', status: 'running', rawStatus: 'running', ...run };
  return { key: `boringMarketing:${full.id}`, run: full, firstSeenAt: 0, lastChangedAt: 0, failures: 0, stale: false, gone: false, stuck: false, acknowledged: false, polls: 1, pinned: false, ...extra };
}

describe('Run actions from the adapter capabilities the tree keeps', () => {
  it('offers cancel only while the run goes and the adapter can cancel; re-run once it ended with known inputs', () => {
    const can = adapterCapabilities(adapter());
    const withInput = { input: { kindId: 'full', values: {} } };
    assert.deepEqual(runActionsWith(can, tracked({ ...withInput, status: 'running' })), { cancel: true, inputsKnown: true, rerun: false, cancelAndRerun: false });
    assert.deepEqual(runActionsWith(can, tracked({ ...withInput, status: 'running' }, { stuck: true })), { cancel: true, inputsKnown: true, rerun: false, cancelAndRerun: true });
    assert.deepEqual(runActionsWith(can, tracked({ ...withInput, status: 'failed' })), { cancel: false, inputsKnown: true, rerun: true, cancelAndRerun: false });
    assert.equal(runActionsWith(can, tracked({ status: 'failed' })).rerun, false, 'inputs unknown: no re-run');
    assert.equal(runActionsWith(can, tracked({ ...withInput, status: 'running' }, { gone: true })).cancel, false, 'a gone run offers nothing');
    assert.equal(runActionsWith(adapterCapabilities(adapter({ cancelRun: undefined })), tracked({ status: 'running' })).cancel, false, 'the capability without cancelRun is no cancel');
  });

  it('counts a throwing dashboardUrl or rerunsWithoutInput as "no", so a row still renders', () => {
    const can = adapterCapabilities(
      adapter({
        dashboardUrl: () => {
          throw new Error('mapper bug');
        },
        rerunsWithoutInput: () => {
          throw new Error('mapper bug');
        },
      }),
    );
    const t = tracked({ status: 'failed' });
    assert.equal(can.dashboardUrl(t.run), undefined);
    assert.equal(runActionsWith(can, t).rerun, false);
    assert.equal(runActionsWith(adapterCapabilities(adapter({ rerunsWithoutInput: () => true })), t).rerun, true, 'a kind that takes no input can be re-run');
  });
});
