// Adlyse (MCP) in the real VS Code, as a user drives it: a key through "Set API Key", workflows from
// list_workflows as accounts, Start Run asking the inputs the workflow's input_schema declares, pending →
// running → completed polled by Runwatch itself (1 s cadence) with the duration Adlyse reports, Show Result
// labelled from the output_schema, a failed run in Show Error, error_type messages, auth_error → "Set API
// Key" (when starting, and when the key is revoked mid-run), and Cancel explained (there is no cancel tool).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { shortRunId } from '../../src/core/labels';
import type { Run } from '../../src/core/run';
import type { AdlyseSim } from '../simulator/adlyse';
import {
  findNode,
  formatTree,
  lastDocument,
  resetRunwatch,
  rowActions,
  runCommand,
  runRow,
  runRowId,
  runwatchApi,
  setKey,
  SIM_KEYS,
  startSimulator,
  statusBarText,
  tooltipOf,
  treeSnapshot,
  waitFor,
  waitForRun,
  type SimulatorHandle,
} from './helpers';

const SECOND = 1000;

describe('Adlyse in VS Code', () => {
  let handle: SimulatorHandle;
  let adlyse: AdlyseSim;
  /** The input each run was created with, as the MCP server received it. */
  let received: unknown[];

  before(async () => {
    await resetRunwatch();
    handle = await startSimulator({ timeScale: 0 });
    adlyse = handle.sim.provider<AdlyseSim>('adlyse');
  });

  after(async () => {
    await resetRunwatch();
    await handle?.dispose();
  });

  beforeEach(async () => {
    await resetRunwatch();
    handle.sim.reset();
    received = [];
    adlyse.addWorkflow({
      name: 'Competitor ad scan',
      description: 'Collect a competitor’s live ads and summarize what changed.',
      input_schema: {
        type: 'object',
        properties: {
          competitor_domain: { type: 'string', title: 'Competitor domain', description: 'e.g. rival.com' },
          channels: { type: 'array', items: { type: 'string', enum: ['meta', 'google', 'tiktok', 'linkedin'] }, description: 'Ad channels to scan' },
          lookback_days: { type: 'integer', default: 30, description: 'How far back to look' },
        },
        required: ['competitor_domain'],
      },
      output_schema: {
        type: 'object',
        properties: {
          ads_found: { type: 'integer', title: 'Ads found' },
          top_channel: { type: 'string', title: 'Top channel' },
          new_creatives: { type: 'integer', title: 'New creatives', description: 'Creatives first seen in the lookback window' },
          summary: { type: 'string', title: 'Summary' },
        },
      },
      durationMs: 24 * SECOND,
      output: input => ({
        ads_found: 37,
        top_channel: 'meta',
        new_creatives: 9,
        summary: `${String((input as { competitor_domain?: unknown }).competitor_domain)} shifted spend toward short video ads.`,
      }),
      failureFor: input => {
        received.push(input);
        return undefined;
      },
    });
    adlyse.addWorkflow({
      name: 'Lead enrichment',
      description: 'Find the company behind a lead’s work email.',
      input_schema: {
        type: 'object',
        properties: { email: { type: 'string', format: 'email', title: 'Email', description: 'The lead’s work email address' } },
        required: ['email'],
      },
      output_schema: { type: 'object', properties: { company: { type: 'string', title: 'Company' } } },
      durationMs: 8 * SECOND,
      output: () => ({ company: 'Acme Corp' }),
      failureFor: input => {
        received.push(input);
        const email = String((input as { email?: unknown }).email ?? '');
        return /@gmail\./.test(email) ? `No company found for email ${email}` : undefined;
      },
    });
  });

  afterEach(async () => {
    await resetRunwatch();
  });

  /** Start Run from the palette on "Lead enrichment" with this email. */
  async function startLead(email: string, extra: Parameters<typeof runCommand>[1] = {}) {
    const { result, ui } = await runCommand<Run>('Start Run', { quickPicks: ['Lead enrichment', 'Start'], inputs: [email, ...(extra.inputs ?? [])], messageChoice: extra.messageChoice });
    return { run: result, key: result ? `adlyse:${result.id}` : undefined, ui };
  }

  it('lists the workflows list_workflows returns, with nothing to add by hand', async () => {
    await setKey('adlyse');
    const tree = await treeSnapshot({ depth: 2 });
    const provider = findNode(tree, 'Adlyse');
    assert.deepEqual(provider?.children?.map(c => c.label), ['Competitor ad scan', 'Lead enrichment'], `Adlyse shows:\n${formatTree(tree)}`);
    assert.equal(provider.children[1].description, 'Find the company behind a lead’s work email.');
    assert.doesNotMatch(provider.contextValue ?? '', /\.addAccount\b/);
    assert.ok(adlyse.rpcLog.some(e => e.method === 'initialize'), 'Runwatch opened no MCP session');
    assert.ok(adlyse.rpcLog.some(e => e.tool === 'list_workflows'));
  });

  it('Start Run asks what input_schema declares → pending → running → completed with its duration → Show Result labelled from output_schema', async () => {
    await setKey('adlyse');
    const { result: run, ui } = await runCommand<Run>('Start Run', { quickPicks: ['Competitor ad scan', 'Set optional fields…', 'google', 'Start'], inputs: ['rival.com', '14'] });
    assert.ok(run, `Start Run returned no run; it said: ${JSON.stringify(ui.messages)}`);
    const key = `adlyse:${run.id}`;

    // The inputs come from the schema: titles, descriptions, the default, the enum as a pick.
    assert.deepEqual(ui.inputPrompts.map(p => [p.title, p.prompt, p.value]), [
      ['Run Competitor ad scan: Competitor domain', 'e.g. rival.com', undefined],
      ['Run Competitor ad scan: Lookback days (optional)', 'How far back to look', '30'],
    ]);
    assert.ok(ui.quickPickTitles.includes('Run Competitor ad scan: Channels (optional)'), `quick picks: ${ui.quickPickTitles.join(', ')}`);
    assert.ok(await ui.inputPrompts[0].validate?.(''), 'the required competitor domain may be left empty');
    assert.ok(await ui.inputPrompts[1].validate?.('two weeks'), 'lookback days takes text');
    assert.deepEqual(received, [{ competitor_domain: 'rival.com', channels: ['google'], lookback_days: 14 }]);
    assert.ok(adlyse.rpcLog.some(e => e.tool === 'get_workflow'), 'the inputs were not read from get_workflow');

    let row = await runRow(key);
    assert.equal(row.label, `Run #${shortRunId(key.slice(key.indexOf(':') + 1))}`, 'the workflow is named by its row above, not twice');
    assert.equal(row.icon, 'clock');
    assert.ok(findNode(await treeSnapshot({ depth: 3 }), 'Adlyse', 'Competitor ad scan', row.label), 'the run is not under its workflow');

    // Runwatch polls get_run_status by itself every second: no refresh needed.
    const api = await runwatchApi();
    handle.sim.clock.advance(2 * SECOND);
    await waitFor(() => api.service.store.get(key)?.run.status === 'running', 6_000, 'Runwatch to see the run running');
    row = await runRow(key);
    assert.equal(row.icon, 'loading~spin');
    const bar = await waitFor(async () => {
      const text = await statusBarText();
      return text.startsWith('$(sync~spin) Competitor ad scan') ? text : undefined;
    }, 5_000, 'the status bar to show the running workflow');
    assert.ok(bar);

    handle.sim.clock.advance(25 * SECOND);
    const done = await waitFor(() => {
      const t = api.service.store.get(key);
      return t?.run.status === 'succeeded' ? t : undefined;
    }, 6_000, 'Runwatch to see the run completed');
    assert.equal(done.run.durationSeconds, 24);
    row = await runRow(key);
    assert.equal(row.icon, 'pass');
    assert.match(await tooltipOf(runRowId(key)), /\*\*Duration \(provider\):\*\* 24s/);
    assert.ok(!(await statusBarText()).includes('Competitor ad scan'), 'the status bar still shows the finished run');
    assert.ok(rowActions(row.contextValue ?? '', 'inline').includes('runwatch.showResult'));

    await vscode.commands.executeCommand('runwatch.showResult', key);
    const { content, document } = await lastDocument('result');
    assert.equal(document.languageId, 'json');
    const shown = JSON.parse(content) as { output: { label: string; key: string; value: string; description?: string }[]; durationSeconds: number; rawOutput: unknown };
    assert.deepEqual(shown.output, [
      { label: 'Ads found', key: 'ads_found', value: '37' },
      { label: 'Top channel', key: 'top_channel', value: 'meta' },
      { label: 'New creatives', key: 'new_creatives', value: '9', description: 'Creatives first seen in the lookback window' },
      { label: 'Summary', key: 'summary', value: 'rival.com shifted spend toward short video ads.' },
    ]);
    assert.equal(shown.durationSeconds, 24);
    assert.deepEqual(shown.rawOutput, { ads_found: 37, top_channel: 'meta', new_creatives: 9, summary: 'rival.com shifted spend toward short video ads.' });
  });

  it('a failed run shows the workflow error in Show Error', async () => {
    await setKey('adlyse');
    const { key, ui } = await startLead('bob@gmail.com');
    assert.ok(key, `no run started: ${JSON.stringify(ui.messages)}`);
    assert.equal(ui.inputPrompts[0].title, 'Run Lead enrichment: Email');
    assert.equal(ui.inputPrompts[0].placeHolder, 'name@company.com');

    handle.sim.clock.advance(4 * SECOND);
    const failed = await waitForRun(key, t => t.run.status === 'failed', 'the run to fail');
    assert.equal(failed.run.error?.message, 'No company found for email bob@gmail.com');
    const row = await runRow(key);
    assert.equal(row.icon, 'error');
    assert.ok(findNode(row.children ?? [], 'No company found for email bob@gmail.com'), `no error row:\n${formatTree([row])}`);

    await vscode.commands.executeCommand('runwatch.showError', key);
    const { content } = await lastDocument('error');
    assert.match(content, /^Lead enrichment failed$/m, 'the workflow named once');
    assert.match(content, /No company found for email bob@gmail\.com/);
    assert.match(content, /^Status: failed \(provider says "failed"\)$/m);
  });

  it('error_type answers become plain messages: invalid_input names the problem, not_found says what is missing', async () => {
    await setKey('adlyse');
    adlyse.addToolFault({ tool: 'run_workflow', error_type: 'invalid_input', message: "Input validation failed: missing required field 'email'" });
    const invalid = await startLead('ana@acme.io');
    assert.equal(invalid.run, undefined);
    const shown = invalid.ui.messages.find(m => m.severity === 'error');
    assert.equal(shown?.message, "Adlyse rejected the workflow input: Input validation failed: missing required field 'email'");
    assert.deepEqual(shown?.items, [], 'an input problem offers to change the key');

    adlyse.addToolFault({ tool: 'run_workflow', error_type: 'not_found', message: 'Workflow agent_x not found' });
    const missing = await startLead('ana@acme.io');
    assert.match(missing.ui.messages.find(m => m.severity === 'error')?.message ?? '', /^Adlyse could not find it .*: Workflow agent_x not found$/);
    const api = await runwatchApi();
    assert.equal(api.service.store.forProvider('adlyse').length, 0, 'a run was tracked although none started');
  });

  it('auth_error when starting: the message offers "Set API Key", which asks for the Adlyse key at once', async () => {
    await setKey('adlyse');
    adlyse.addToolFault({ tool: 'run_workflow', error_type: 'auth_error', message: 'Invalid or inactive API key' });
    const { run, ui } = await startLead('ana@acme.io', {
      inputs: [SIM_KEYS.adlyse],
      messageChoice: m => (m.items.includes('Set API Key') ? 'Set API Key' : undefined),
    });
    assert.equal(run, undefined);
    const prompt = ui.messages.find(m => m.items.includes('Set API Key'));
    assert.ok(prompt, `no fix-key prompt: ${JSON.stringify(ui.messages)}`);
    assert.equal(prompt.severity, 'error');
    assert.match(prompt.message, /^Adlyse rejected the API key: Invalid or inactive API key/);
    // "Set API Key" went straight to the Adlyse key box: no provider pick in between.
    assert.deepEqual(ui.quickPickTitles, ['Start Run', 'Start Lead enrichment on Adlyse?']);
    assert.deepEqual(ui.inputPrompts.map(p => [p.title, p.password ?? false]), [
      ['Run Lead enrichment: Email', false],
      ['Adlyse API key', true],
    ]);
    assert.ok(ui.messages.some(m => m.message === 'Adlyse key works.'), JSON.stringify(ui.messages));
  });

  it('auth_error while polling (the key was revoked): Runwatch stops, warns once with "Set API Key", and recovers with a new key', async () => {
    await setKey('adlyse');
    const { key } = await startLead('ana@acme.io');
    assert.ok(key);
    const api = await runwatchApi();
    const warned = api.notifier.shown.length;

    adlyse.revokeKey(SIM_KEYS.adlyse);
    handle.sim.clock.advance(2 * SECOND);
    await waitFor(() => api.service.health('adlyse').state === 'authFailed', 6_000, 'Runwatch to stop polling Adlyse');
    const warning = await waitFor(() => api.notifier.shown.slice(warned).find(n => /Adlyse rejected the API key/.test(n.message)), 5_000, 'the key warning');
    assert.equal(warning.severity, 'warning');
    assert.deepEqual(warning.actions, ['Set API Key']);
    assert.match(warning.message, /Runwatch stopped polling Adlyse/);

    const tree = await treeSnapshot({ depth: 2 });
    const provider = findNode(tree, 'Adlyse');
    assert.match(provider?.contextValue ?? '', /\.authFailed\b/);
    assert.ok(rowActions(provider?.contextValue ?? '', 'inline').includes('runwatch.setApiKey'), 'no inline Set API Key on the provider row');
    const fix = findNode(provider?.children ?? [], 'Fix key…');
    assert.ok(fix, `no "Fix key…" row:\n${formatTree(tree)}`);
    assert.equal(fix.command?.command, 'runwatch.setApiKey');
    const polls = handle.sim.requests.length;
    await new Promise(r => setTimeout(r, 2_500));
    assert.ok(handle.sim.requests.length - polls <= 1, 'Runwatch kept polling with a rejected key');
    assert.equal(api.notifier.shown.slice(warned).filter(n => /Adlyse rejected the API key/.test(n.message)).length, 1, 'the key warning was repeated');

    // The user makes a new key and enters it through "Fix key…".
    const newKey = 'mii_prod_sim9f8e7d6c5b4a3f2e1d0c';
    adlyse.addKey(newKey);
    const { ui } = await runCommand('Set API Key', { inputs: [newKey] }, ...(fix.command?.arguments ?? []));
    assert.deepEqual(ui.quickPickTitles, [], '"Fix key…" asked which provider');
    assert.ok(ui.messages.some(m => m.message === 'Adlyse key works.'), JSON.stringify(ui.messages));
    await waitFor(() => api.service.health('adlyse').state === 'ok', 5_000, 'Adlyse polling to resume');
    handle.sim.clock.advance(10 * SECOND);
    await waitForRun(key, t => t.run.status === 'succeeded', 'the run to complete after the key was fixed');
    await resetRunwatch();
    adlyse.keys.delete(newKey);
  });

  it('Cancel Run says why Adlyse cannot cancel; no Cancel is offered on the row', async () => {
    await setKey('adlyse');
    const { key } = await startLead('ana@acme.io');
    assert.ok(key);
    handle.sim.clock.advance(2 * SECOND);
    await waitForRun(key, t => t.run.status === 'running', 'the run to be running');

    const row = await runRow(key);
    assert.doesNotMatch(row.contextValue ?? '', /\.cancellable\b/);
    assert.ok(!rowActions(row.contextValue ?? '', 'inline').includes('runwatch.cancelRun'), `inline Cancel offered on ${row.contextValue}`);
    assert.ok(!rowActions(row.contextValue ?? '', 'context').includes('runwatch.cancelRun'));

    const { ui } = await runCommand('Cancel Run', {}, key);
    assert.ok(
      ui.messages.some(m => /Adlyse runs cannot be cancelled from Runwatch: Adlyse has no cancel tool for workflow runs/.test(m.message)),
      `Cancel did not say why: ${JSON.stringify(ui.messages)}`,
    );
    assert.ok(!adlyse.rpcLog.some(e => e.tool && !['list_workflows', 'get_workflow', 'run_workflow', 'get_run_status'].includes(e.tool)), 'Runwatch called a tool that does not exist');
  });
});
