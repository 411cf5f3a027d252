// The language-model tools in the real VS Code: each invoked through vscode.lm.invokeTool, as chat or agent mode
// does, and its text read back: listRuns (filtered by provider, account and status), getRun (progress, the error
// with its stage, the result), startRun and cancelRun (each preceded by a confirmation from prepareInvocation;
// VS Code's dialog service confirms by itself under the extension tests, so the test checks what was asked).
// Nothing a tool returns holds a key.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { SIM_KEYS, runwatchApi, setKey, waitFor, type RunwatchApi } from './helpers';
import { boringMarketingWorld, type BmWorld } from './engineHelpers';

const BM = 'boringMarketing' as const;
const TOOLS = ['runwatch_listRuns', 'runwatch_getRun', 'runwatch_startRun', 'runwatch_cancelRun'];

/** What a tool returned, as text. */
async function invoke(api: RunwatchApi, name: string, input: object): Promise<string> {
  const result = await vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined }, new vscode.CancellationTokenSource().token);
  const parts = result.content.filter((p): p is vscode.LanguageModelTextPart => p instanceof vscode.LanguageModelTextPart || typeof (p as { value?: unknown }).value === 'string');
  assert.equal(parts.length, result.content.length, `${name} returned something other than text parts`);
  const text = parts.map(p => p.value).join('');
  assert.ok(!text.includes(SIM_KEYS[BM]) && !text.includes(SIM_KEYS[BM].slice(3)), `${name} returned the API key:\n${text}`);
  void api;
  return text;
}

describe('Runwatch chat tools in VS Code', function () {
  this.timeout(60_000);
  let api: RunwatchApi;
  let world: BmWorld;
  const shared = boringMarketingWorld();

  beforeEach(async () => {
    api = await runwatchApi();
    world = shared.current;
  });

  it('contributes and registers its four tools with input schemas and model descriptions', async () => {
    assert.equal(api.chatTools.registered, true, 'the tools were not registered although this VS Code has vscode.lm.registerTool');
    const contributed = (vscode.extensions.getExtension('runwatch.runwatch')!.packageJSON.contributes.languageModelTools as Array<{ name: string; modelDescription: string; inputSchema: object }>) ?? [];
    assert.deepEqual(contributed.map(t => t.name), TOOLS);
    for (const tool of contributed) assert.ok(tool.modelDescription.length > 80 && tool.inputSchema, `${tool.name} lacks a model description or schema`);
    const registered = await waitFor(() => (TOOLS.every(n => vscode.lm.tools.some(t => t.name === n)) ? vscode.lm.tools : undefined), 10_000, 'vscode.lm.tools to list the Runwatch tools');
    const list = registered.find(t => t.name === 'runwatch_listRuns')!;
    assert.match(list.description, /active runs first/);
    assert.deepEqual(Object.keys((list.inputSchema as { properties: object }).properties), ['provider', 'account', 'status', 'limit']);
  });

  it('activates and works without the tools in a VS Code that has no vscode.lm.registerTool', async () => {
    // Runwatch's `vscode` object is this file's (see CONTRIBUTING.md): without lm.registerTool it looks like an
    // older VS Code to Runwatch (the namespace itself cannot be taken away: it is a fixed property).
    const lm = vscode.lm as unknown as { registerTool: unknown };
    const registerTool = lm.registerTool;
    lm.registerTool = undefined;
    try {
      await api.reloadForTests();
      assert.equal(api.chatTools.registered, false, 'Runwatch registered tools without vscode.lm.registerTool');
      await setKey(BM);
      await waitFor(() => api.service.accounts(BM)?.length, 10_000, 'the Boring Marketing brands to load without the tools API');
    } finally {
      lm.registerTool = registerTool;
      await api.reloadForTests();
    }
    assert.equal(api.chatTools.registered, true, 'the tools did not come back with vscode.lm');
  });

  it('listRuns and getRun read the runs Runwatch tracks: progress, the failure with its stage, filters; no key', async () => {
    const running = world.bm.addRun(world.acme.id, { kind: 'full', status: 'running', stage: 'evidence_collection' });
    const failed = world.bm.addRun(world.acme.id, { kind: 'full', status: 'failed', stage: 'leverage_scoring', error: `Upstream rejected key ${SIM_KEYS[BM]}`, finishedAgoMs: 60_000 });
    await setKey(BM);
    await waitFor(() => api.service.store.forAccount(BM, world.acme.id).length === 2, 10_000, 'the two Acme runs loaded');

    const all = await invoke(api, 'runwatch_listRuns', {});
    const lines = all.split('\n');
    assert.match(lines[0], /^2 runs, active first/);
    assert.match(lines[1], new RegExp(`^- Boring Marketing · Acme · \\w+ #\\w+ · running · Evidence collection · 4/6 · .* \\(provider: boringMarketing, runId: ${running.id}\\)$`));
    assert.match(lines[2], new RegExp(`^- Boring Marketing · Acme · \\w+ #\\w+ · failed · failed at Leverage scoring · .*runId: ${failed.id}\\)$`));

    const failedOnly = await invoke(api, 'runwatch_listRuns', { provider: 'Boring Marketing', account: 'acme.com', status: 'failed' });
    assert.match(failedOnly, /^1 run \(Boring Marketing, acme\.com, failed\)/);
    assert.ok(failedOnly.includes(failed.id) && !failedOnly.includes(running.id), failedOnly);
    assert.match(await invoke(api, 'runwatch_listRuns', { provider: 'gloriaMundo' }), /^No runs \(GloriaMundo\)\. Runwatch tracks 2 runs; providers with a key: Boring Marketing\.$/);

    const detail = await invoke(api, 'runwatch_getRun', { runId: failed.id });
    assert.match(detail, /^Status: failed$/m);
    assert.match(detail, /^Error: Upstream rejected key \*\*\*$/m);
    assert.match(detail, /^Failed in: Leverage scoring$/m);
    assert.match(detail, /^Stages:\n {2}- Brand enrichment: finished/m);
    const progress = await invoke(api, 'runwatch_getRun', { runId: running.id, provider: 'boringMarketing' });
    assert.match(progress, /^Progress: Evidence collection · 4\/6$/m);
    assert.match(await invoke(api, 'runwatch_getRun', { runId: 'no-such-run' }), /^Runwatch tracks no run "no-such-run"/);
  });

  it('startRun and cancelRun ask for a confirmation first (prepareInvocation), then start and cancel through the engine', async () => {
    await setKey(BM);
    const preparedBefore = api.chatTools.prepared.length;
    const started = await invoke(api, 'runwatch_startRun', { provider: 'boringMarketing', account: 'acme.com', kind: 'full' });
    const startPrepared = api.chatTools.prepared.slice(preparedBefore).find(p => p.tool === 'runwatch_startRun');
    assert.ok(startPrepared?.confirmation, `VS Code did not get a confirmation for startRun: ${JSON.stringify(api.chatTools.prepared)}`);
    assert.equal(startPrepared.confirmation.title, 'Start Analyze (full pipeline) on Acme (Boring Marketing)?');
    assert.match(startPrepared.confirmation.message, /The run is real: it may take a long time and cost credits\./);

    const match = /^Started Analyze \(full pipeline\) on Acme \(Boring Marketing\): run (\S+) \((queued|running)\)\./.exec(started);
    assert.ok(match, started);
    const runId = match[1];
    assert.equal(world.bm.runsFor(world.acme.id).length, 1, 'the tool did not start exactly one run');
    assert.ok(api.service.store.get(`${BM}:${runId}`)?.pinned, 'the started run is not followed like one from Start Run');

    const cancelled = await invoke(api, 'runwatch_cancelRun', { runId });
    const cancelPrepared = api.chatTools.prepared.slice(preparedBefore).find(p => p.tool === 'runwatch_cancelRun');
    assert.ok(cancelPrepared?.confirmation, 'VS Code did not get a confirmation for cancelRun');
    // Named as "Cancel Run" names it (runTitle).
    assert.match(cancelPrepared.confirmation.title, /^Cancel \w+ on Acme\?$/);
    assert.match(cancelPrepared.confirmation.message, /^Runwatch will ask Boring Marketing to cancel run \S+ \(now (queued|running)\)\./);
    assert.match(cancelled, new RegExp(`^Asked Boring Marketing to cancel \\w+ on Acme \\(run ${runId}\\): it is now cancelled\\.$`));
    assert.equal(api.service.store.get(`${BM}:${runId}`)?.run.status, 'cancelled');
    assert.match(await invoke(api, 'runwatch_cancelRun', { runId }), /has already cancelled: nothing to cancel\.$/);
  });

  it('startRun refuses a secret as input, without asking to confirm a start it will not send', async () => {
    await setKey('automindz');
    const text = await invoke(api, 'runwatch_startRun', { provider: 'automindz', inputs: { org_name: 'Acme', industries: ['software'], exa_api_key: 'exa_sk_from_chat' } });
    assert.match(text, /"exa_api_key" is a secret: remove it/);
    const prepared = api.chatTools.prepared[api.chatTools.prepared.length - 1];
    assert.equal(prepared.tool, 'runwatch_startRun');
    assert.equal(prepared.confirmation, undefined, 'a start that cannot be sent asked for a confirmation');
    assert.ok(!text.includes('exa_sk_from_chat'));
  });
});
