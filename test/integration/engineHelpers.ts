// Helpers shared by boringMarketing.test.ts and engine.test.ts: a clean slate per test (keys, runs,
// settings, focus), settings that read back before the test goes on, a Boring Marketing simulator with a
// brand, the simulator's status polls of one run, notifications awaited, the Runwatch log and settings.json as shown.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BoringMarketingSim, BmBrand } from '../simulator/boringMarketing';
import type { Simulator } from '../simulator';
import { clearKey, PROVIDER_IDS, runwatchApi, SIM_KEYS, startSimulator, waitFor, type ProviderId, type SimulatorHandle } from './helpers';
import type { ShownNotification } from '../../src/vscode/notifications';

/** The `runwatch.*` settings these tests change; resetState() removes them again. */
const TOUCHED_SETTINGS = [
  'polling.whenUnfocused',
  'polling.unfocusedFactor',
  'notifications.onSuccess',
  'notifications.onFailure',
  'notifications.onCancel',
  'notifications.onStuck',
  'notifications.quietWhenViewFocused',
  'showProvidersWithoutKey',
] as const;

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('runwatch');
}

/** Sets `runwatch.<key>` in the user settings (undefined removes it) and waits until Runwatch can read it. */
export async function setSetting(key: string, value: unknown): Promise<void> {
  await config().update(key, value, vscode.ConfigurationTarget.Global);
  await waitFor(() => config().inspect(key)?.globalValue === value, 5_000, `runwatch.${key} to read back as ${JSON.stringify(value)}`);
}

/**
 * A known state: every key cleared through "Clear API Key", every run untracked, the settings these tests
 * touch removed, the window counted as focused. Base URLs are left to startSimulator()/dispose().
 */
export async function resetState(): Promise<void> {
  const api = await runwatchApi();
  api.service.setFocused(true);
  for (const id of PROVIDER_IDS) if (api.hasKey(id)) await clearKey(id);
  for (const t of api.service.store.all()) api.service.untrack(t.key);
  // Whatever the last test left in the notification batch window is shown now, not during the next test.
  api.notifier.flush();
  for (const key of TOUCHED_SETTINGS) if (config().inspect(key)?.globalValue !== undefined) await setSetting(key, undefined);
  assert.deepEqual(PROVIDER_IDS.filter(id => api.hasKey(id)), [], 'a key survived "Clear API Key"');
  assert.equal(api.service.store.size, 0, 'a run is still tracked');
}

export interface BmWorld {
  handle: SimulatorHandle;
  sim: Simulator;
  bm: BoringMarketingSim;
  /** Boring Marketing brand "Acme" (acme.com), fresh for each test. */
  acme: BmBrand;
}

/**
 * Mocha hooks for a describe block: one simulator for the block (pointing every base URL at it costs
 * settings writes, so once per block), and before each test a clean Runwatch (resetState) and a clean
 * simulator: no brands, runs, faults or logged requests, the simulator's key valid again, its clock back
 * to real time, and one brand, Acme. `current` is that test's world.
 */
export function boringMarketingWorld(): { readonly current: BmWorld } {
  let handle: SimulatorHandle | undefined;
  let current: BmWorld | undefined;
  before(async () => {
    await resetState();
    handle = await startSimulator();
  });
  beforeEach(async () => {
    await resetState();
    assert.ok(handle, 'the simulator did not start');
    const { sim } = handle;
    sim.reset();
    sim.clock.advance(Date.now() - sim.clock.now()); // earlier tests moved it on
    const bm = sim.provider<BoringMarketingSim>('boringMarketing');
    bm.keys.clear();
    bm.addKey(SIM_KEYS.boringMarketing);
    const acme = bm.addBrand({ domain: 'acme.com', name: 'Acme' });
    current = { handle, sim, bm, acme };
  });
  afterEach(async () => {
    await resetState();
  });
  after(async () => {
    await handle?.dispose();
  });
  return {
    get current(): BmWorld {
      assert.ok(current, 'no simulator world: boringMarketingWorld() hooks did not run');
      return current;
    },
  };
}

/** The tracked-run key Runwatch uses for a run (`<provider>:<runId>`). */
export { runKey } from '../../src/core/run';

/** Status polls of one run (GET …/runs/<id>) the simulator answered, oldest first, with arrival times. */
export function pollsOf(sim: Simulator, provider: ProviderId, runId: string): Array<{ time: number; status: number }> {
  const tail = `/runs/${encodeURIComponent(runId)}`;
  return sim.requestsFor(provider).filter(r => r.method === 'GET' && r.path.endsWith(tail));
}

/** Waits until the simulator has answered `count` status polls of the run in total; returns them. */
export async function waitForPolls(sim: Simulator, provider: ProviderId, runId: string, count: number, timeoutMs: number): Promise<Array<{ time: number; status: number }>> {
  return waitFor(
    () => {
      const polls = pollsOf(sim, provider, runId).filter(p => p.status !== 0);
      return polls.length >= count ? polls : undefined;
    },
    timeoutMs,
    `${count} status polls of run ${runId}`,
    20,
  );
}

/** Notifications Runwatch showed (or put in the status bar, when quiet) at or after `since` (Date.now()). */
export async function notificationsSince(since: number): Promise<ShownNotification[]> {
  const api = await runwatchApi();
  return api.notifier.shown.filter(n => n.at >= since);
}

/**
 * Waits for a notification at or after `since` that matches. With `flush` (the default) whatever waits in
 * the batch window is shown at once; without it the test sees the batching as the user does.
 */
export async function waitForNotification(
  since: number,
  predicate: (n: ShownNotification) => boolean,
  what: string,
  options: { timeoutMs?: number; flush?: boolean } = {},
): Promise<ShownNotification> {
  const api = await runwatchApi();
  return waitFor(
    () => {
      if (options.flush ?? true) api.notifier.flush();
      return api.notifier.shown.filter(n => n.at >= since).find(predicate);
    },
    options.timeoutMs ?? 10_000,
    what,
  );
}

/** Lets `ms` of real time pass (for "nothing happens meanwhile" checks). */
export function pause(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** The "Runwatch" log channel's text, as "Runwatch: Show Log" shows it in the Output view. */
export async function runwatchLogChannelText(): Promise<string> {
  await vscode.commands.executeCommand('runwatch.showLog');
  const channel = await waitFor(
    () => vscode.workspace.textDocuments.find(d => d.uri.scheme === 'output' && /Runwatch/i.test(d.uri.path)),
    5_000,
    'the Runwatch log channel to be open',
  );
  return channel.getText();
}

/** The user settings file (settings.json) as "Preferences: Open User Settings (JSON)" shows it. */
export async function userSettingsJsonText(): Promise<string> {
  await vscode.commands.executeCommand('workbench.action.openSettingsJson');
  const editor = await waitFor(() => {
    const e = vscode.window.activeTextEditor;
    return e && /settings\.json$/.test(e.document.uri.path) ? e : undefined;
  }, 5_000, 'settings.json to open');
  const text = editor.document.getText();
  await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  return text;
}
