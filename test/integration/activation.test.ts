// Runwatch loads in a real VS Code: it activates, its view container and view open, every command it
// contributes is registered, and it exports its API.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, contributedCommands, extension, runwatchApi } from './helpers';

interface ViewContainer {
  id: string;
  title: string;
}

interface View {
  id: string;
  name: string;
}

/** The commands issue 2 promises a user, by title. */
const PROMISED_COMMANDS = ['Set API Key', 'Clear API Key', 'Start Run', 'Cancel Run', 'Re-run', 'Track Run by ID', 'Show Error', 'Refresh', 'Copy Run ID'];

describe('Runwatch activation', () => {
  it('activates without error and reports how long it took', async () => {
    const ext = extension();
    const started = Date.now();
    if (!ext.isActive) await ext.activate();
    assert.equal(ext.isActive, true);
    console.log(`    activate() of ${EXTENSION_ID} ${ext.packageJSON.version} took ${Date.now() - started} ms (incl. loading the bundle)`);
  });

  it('shows an activity-bar container titled "Runwatch" with a "Runs" view, and both open', async () => {
    const contributes = extension().packageJSON.contributes ?? {};
    const container = ((contributes.viewsContainers?.activitybar ?? []) as ViewContainer[]).find(c => c.title === 'Runwatch');
    assert.ok(container, 'no activity-bar view container titled "Runwatch"');
    const views = (contributes.views?.[container.id] ?? []) as View[];
    const runs = views.find(v => v.name === 'Runs');
    assert.ok(runs, `container ${container.id} has no view named "Runs" (views: ${views.map(v => v.name).join(', ')})`);

    // VS Code registers these commands for every view container and view it actually created.
    const commands = await vscode.commands.getCommands(false);
    const openContainer = `workbench.view.extension.${container.id}`;
    assert.ok(commands.includes(openContainer), `${openContainer} is not registered: the container was not created`);
    assert.ok(commands.includes(`${runs.id}.focus`), `${runs.id}.focus is not registered: the view was not created`);
    await vscode.commands.executeCommand(openContainer);
    await vscode.commands.executeCommand(`${runs.id}.focus`);
  });

  it('registers every runwatch.* command it contributes, including the ones a user is promised', async () => {
    const contributed = contributedCommands();
    const ids = contributed.map(c => c.command);
    assert.ok(ids.length > 0, 'package.json contributes no commands');
    assert.deepEqual(ids.filter(id => !id.startsWith('runwatch.')), [], 'command ids outside the runwatch. namespace');
    assert.equal(new Set(ids).size, ids.length, 'a command id is contributed twice');

    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(ids.filter(id => !registered.has(id)), [], 'contributed but not registered by activate()');

    const titles = contributed.map(c => c.title.toLowerCase());
    assert.deepEqual(PROMISED_COMMANDS.filter(t => !titles.includes(t.toLowerCase())), [], 'promised commands missing');
    for (const c of contributed) assert.equal(c.category, 'Runwatch', `${c.command} is not in the "Runwatch" category`);
  });

  it('exports its API: service, tree provider answering for the root, status bar, activation time', async () => {
    const api = await runwatchApi();
    assert.equal(typeof api.service?.providerIds, 'function', 'api.service is not the Runwatch service');
    assert.deepEqual([...api.service.providerIds()].sort(), ['adlyse', 'automindz', 'boringMarketing', 'gloriaMundo', 'talonic']);
    const roots = await api.tree.getChildren(undefined);
    // No key is set yet: the roots are empty (the welcome view shows) or list providers offering "Add API key…".
    assert.ok(Array.isArray(roots), `getChildren() of the root returned ${String(roots)}`);
    assert.equal(typeof api.statusBar?.text, 'string', 'api.statusBar.text is not a string');
    assert.ok(Number.isFinite(api.activationMs), 'api.activationMs is not a number');
    console.log(`    activate() itself took ${api.activationMs.toFixed(1)} ms (as measured by the extension)`);
  });

  it('reads its manifest texts from package.nls.json: no %key% is left where VS Code shows them', () => {
    const placeholders: string[] = [];
    const visit = (value: unknown, at: string): void => {
      if (typeof value === 'string') {
        if (/^%[^%\s]+%$/.test(value)) placeholders.push(`${at}: ${value}`);
      } else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) visit(v, `${at}.${k}`);
      }
    };
    const manifest = extension().packageJSON;
    visit(manifest, 'package.json');
    assert.deepEqual(placeholders, [], 'manifest texts VS Code did not resolve');
    assert.equal(manifest.contributes.commands.find((c: { command: string }) => c.command === 'runwatch.startRun')?.title, 'Start Run');
    // English is the source language: no bundle is loaded, and l10n.t gives the text as written.
    assert.equal(vscode.l10n.t('{0} key works.', 'Talonic'), 'Talonic key works.');
  });
});
