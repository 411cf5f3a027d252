// package.json is part of the product: a menu whose `when` never matches hides an action, a command that is
// contributed but not registered fails when clicked, a bad setting default breaks the Settings UI. This
// checks the manifest against the source and against the context values the tree nodes really emit.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateBaseUrl } from '../../src/core/http';
import { BUILTIN_PROVIDERS, BUILTIN_PROVIDER_IDS as PROVIDER_IDS } from '../../src/providers';
import { allContextValues, allFlags } from '../../src/vscode/tree/contextValue';
import { SETTING_RANGES, clampSetting } from '../../src/vscode/settingRanges';
import { englishManifest } from './manifestText';

/** The walkthrough's context keys (src/vscode/walkthrough.ts imports `vscode`, so they are read from its text). */
const WALKTHROUGH_CONTEXT = Object.fromEntries(
  [...fs.readFileSync(path.resolve(__dirname, '../../../src/vscode/walkthrough.ts'), 'utf8').matchAll(/^\s+(\w+): '(runwatch\.\w+)',$/gm)].map(m => [m[1], m[2]]),
);

const ROOT = path.resolve(__dirname, '../../..');

interface Command {
  command: string;
  title: string;
  category?: string;
  icon?: string;
}

interface MenuEntry {
  command: string;
  when?: string;
  group?: string;
}

interface Setting {
  type: string | string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  scope?: string;
  description?: string;
  markdownDescription?: string;
}

// As VS Code reads it: the `%key%` strings in English, from package.nls.json (test/unit/l10n.test.ts checks those).
const pkg = englishManifest();
const contributes = pkg.contributes ?? {};
const commands: Command[] = contributes.commands ?? [];
const menus: Record<string, MenuEntry[]> = contributes.menus ?? {};
const settings: Record<string, Setting> = contributes.configuration?.properties ?? {};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const SOURCE = sourceFiles(path.join(ROOT, 'src')).map(f => fs.readFileSync(f, 'utf8'));

/** Command ids the source registers: `registerCommand(ctx, 'runwatch.x'` or `registerCommand('runwatch.x'`. */
function registeredCommandIds(): Set<string> {
  const ids = new Set<string>();
  const pattern = /registerCommand\(\s*(?:\w+\s*,\s*)?['"`](runwatch\.[\w.]+)['"`]/g;
  for (const text of SOURCE) for (const m of text.matchAll(pattern)) ids.add(m[1]);
  return ids;
}

/** The `viewItem` condition of a `when` clause, as a predicate over context values (VS Code semantics). */
function viewItemMatcher(when: string): ((value: string) => boolean) | undefined {
  const regex = /viewItem\s*=~\s*\/(.+?)\/([gimsuy]*)(?:\s|$|\))/.exec(when);
  if (regex) {
    const re = new RegExp(regex[1], regex[2]);
    return value => re.test(value);
  }
  const equal = /viewItem\s*==\s*([\w.-]+)/.exec(when);
  if (equal) return value => value === equal[1];
  return undefined;
}

const itemMenus = (menus['view/item/context'] ?? []).map(entry => ({ entry, match: viewItemMatcher(entry.when ?? '') }));
const CONTEXT_VALUES = allContextValues();

/** A context value read back: its node kind, a run's status, and its flags. */
interface NodeState {
  kind: string;
  status?: string;
  flags: Set<string>;
}

function nodeState(value: string): NodeState {
  const [kind, ...rest] = value.split('.');
  return kind === 'run' ? { kind, status: rest[0], flags: new Set(rest.slice(1)) } : { kind, flags: new Set(rest) };
}

const provider = (...flags: string[]) => (s: NodeState) => s.kind === 'provider' && flags.every(f => s.flags.has(f));
const account = (...flags: string[]) => (s: NodeState) => s.kind === 'account' && flags.every(f => s.flags.has(f));
const run = (...flags: string[]) => (s: NodeState) => s.kind === 'run' && flags.every(f => s.flags.has(f));
const finished = (s: NodeState) => s.kind === 'run' && ['succeeded', 'failed', 'cancelled'].includes(s.status ?? '');
const either =
  (...ps: ((s: NodeState) => boolean)[]) =>
  (s: NodeState) =>
    ps.some(p => p(s));
const both =
  (...ps: ((s: NodeState) => boolean)[]) =>
  (s: NodeState) =>
    ps.every(p => p(s));

/**
 * Where each tree item action is MEANT to appear, by `<command> <group>`: on exactly these node states, and on
 * no other. An action offered where it cannot work (Cancel on a provider without cancel, Re-run on a running
 * run or one whose inputs are unknown) is as much a defect as one missing where it works.
 */
const INTENDED_ITEM_MENUS: Record<string, (s: NodeState) => boolean> = {
  'runwatch.setApiKey inline@1': either(provider('noKey'), provider('authFailed')),
  'runwatch.addAccount inline@2': provider('addAccount'),
  'runwatch.refreshNode inline@3': provider('keyed'),
  'runwatch.startRun 1_run@1': either(provider('keyed'), account()),
  'runwatch.trackRun 1_run@2': either(provider('keyed'), account()),
  'runwatch.addAccount 2_account@1': provider('addAccount'),
  'runwatch.setApiKey 3_key@1': provider(),
  'runwatch.clearApiKey 3_key@2': provider('keyed'),
  'runwatch.startRun inline@1': account(),
  'runwatch.refreshNode inline@2': account(),
  'runwatch.removeAccount 3_remove@1': account('removable'),
  // Only a stuck run the provider can cancel and Runwatch can start again.
  'runwatch.cancelAndRerun inline@1': run('cancellable', 'rerunnable', 'stuck'),
  'runwatch.cancelAndRerun 1_run@2': run('cancellable', 'rerunnable', 'stuck'),
  'runwatch.cancelRun inline@2': run('cancellable'),
  'runwatch.cancelRun 1_run@1': run('cancellable'),
  // Only finished runs whose inputs are known.
  'runwatch.rerun inline@3': both(finished, run('rerunnable')),
  'runwatch.rerun 1_run@3': both(finished, run('rerunnable')),
  'runwatch.showError inline@4': run('hasError'),
  'runwatch.showError 2_inspect@1': run('hasError'),
  'runwatch.showResult inline@5': run('hasResult'),
  'runwatch.showResult 2_inspect@2': run('hasResult'),
  'runwatch.refreshNode inline@6': run('stale'),
  'runwatch.untrackRun inline@7': run('gone'),
  'runwatch.createDataProduct 2_inspect@3': run('dataProduct'),
  'runwatch.openInDashboard 2_inspect@4': run('dashboard'),
  'runwatch.copyRunId 3_copy@1': run(),
  'runwatch.refreshNode 4_track@1': run(),
  'runwatch.untrackRun 4_track@2': either(run('tracked'), run('gone')),
  'runwatch.openLink inline@1': s => s.kind === 'link',
};

describe('package.json manifest', () => {
  it('contributes each command once, in the Runwatch category, with a title and a codicon', () => {
    assert.ok(commands.length > 0, 'no commands contributed');
    const ids = commands.map(c => c.command);
    assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'duplicate command ids');
    const titles = commands.map(c => c.title.toLowerCase());
    assert.deepEqual(titles.filter((t, i) => titles.indexOf(t) !== i), [], 'two commands share a title (tests and users find commands by title)');
    for (const c of commands) {
      assert.match(c.command, /^runwatch\.[a-zA-Z]+$/, `${c.command}: not in the runwatch. namespace`);
      assert.equal(c.category, 'Runwatch', `${c.command}: category`);
      assert.ok(c.title?.trim(), `${c.command}: no title`);
      assert.match(c.icon ?? '', /^\$\([a-z0-9-]+(~spin)?\)$/, `${c.command}: icon is not a codicon`);
    }
  });

  it('registers every contributed command in the source, and contributes every command it registers', () => {
    const registered = registeredCommandIds();
    const contributed = new Set(commands.map(c => c.command));
    assert.deepEqual([...contributed].filter(id => !registered.has(id)), [], 'contributed but never registered');
    assert.deepEqual([...registered].filter(id => !contributed.has(id)), [], 'registered but not contributed (no title, invisible in the palette)');
  });

  it('offers the commands the product promises', () => {
    const titles = new Set(commands.map(c => c.title));
    for (const title of ['Set API Key', 'Clear API Key', 'Start Run', 'Cancel Run', 'Re-run', 'Cancel and Re-run', 'Track Run by ID', 'Show Error', 'Show Result', 'Refresh', 'Copy Run ID', 'Open in Provider Dashboard', 'Create Data Product', 'Show Log']) {
      assert.ok(titles.has(title), `no command titled "${title}"`);
    }
  });

  it('names only contributed commands in menus', () => {
    const contributed = new Set(commands.map(c => c.command));
    for (const [menu, entries] of Object.entries(menus)) {
      for (const entry of entries) assert.ok(contributed.has(entry.command), `${menu} names ${entry.command}, which is not contributed`);
    }
  });

  it('scopes every view menu entry to the Runs view', () => {
    for (const menu of ['view/title', 'view/item/context']) {
      for (const entry of menus[menu] ?? []) assert.match(entry.when ?? '', /\bview == runwatch\.runs\b/, `${menu} ${entry.command}: when "${entry.when}"`);
    }
  });

  it('gives every tree item menu a `viewItem` condition that some node really emits', () => {
    assert.ok(itemMenus.length > 0, 'no view/item/context menus');
    for (const { entry, match } of itemMenus) {
      assert.ok(match, `${entry.command}: when "${entry.when}" has no viewItem condition`);
      const hits = CONTEXT_VALUES.filter(match);
      assert.ok(hits.length > 0, `${entry.command}: when "${entry.when}" matches no context value a node emits`);
    }
  });

  it('shows each tree item action on exactly the node states it is meant for', () => {
    const byAction = new Map<string, ((value: string) => boolean)[]>();
    for (const { entry, match } of itemMenus) {
      const action = `${entry.command} ${entry.group ?? ''}`;
      assert.ok(action in INTENDED_ITEM_MENUS, `${action}: a menu entry the intended table does not know; add where it is meant to appear`);
      byAction.set(action, [...(byAction.get(action) ?? []), match ?? (() => false)]);
    }
    for (const [action, intended] of Object.entries(INTENDED_ITEM_MENUS)) {
      const matchers = byAction.get(action);
      assert.ok(matchers, `${action}: meant to be offered, but no menu entry contributes it`);
      const shownWrongly = CONTEXT_VALUES.filter(v => matchers.some(m => m(v)) && !intended(nodeState(v)));
      const missing = CONTEXT_VALUES.filter(v => !matchers.some(m => m(v)) && intended(nodeState(v)));
      assert.deepEqual(shownWrongly.slice(0, 5), [], `${action} is offered where it cannot work (${shownWrongly.length} context values)`);
      assert.deepEqual(missing.slice(0, 5), [], `${action} is missing where it is meant to be (${missing.length} context values)`);
    }
  });

  it('hides palette commands until a key exists, and Create Data Product until a Talonic key does', () => {
    const palette = new Map((menus.commandPalette ?? []).map(e => [e.command, e.when ?? '']));
    for (const c of commands) {
      const when = palette.get(c.command);
      if (c.command === 'runwatch.setApiKey' || c.command === 'runwatch.showLog') {
        assert.equal(when, undefined, `${c.command} must be in the palette before any key is set`);
      } else if (c.command === 'runwatch.createDataProduct') {
        assert.equal(when, 'runwatch.hasKey.talonic');
      } else {
        assert.ok(when === 'false' || /\brunwatch\.hasAnyKey\b/.test(when ?? ''), `${c.command} shows in the palette before any key is set (when "${when}")`);
      }
    }
    assert.ok(SOURCE.some(text => text.includes('`runwatch.hasKey.${id}`')), 'the source never sets runwatch.hasKey.<provider>');
  });

  it('uses every context value flag in some menu, so that the flag decides what is offered', () => {
    // For each flag, a menu must match some value with the flag and not the same value without it.
    for (const flag of allFlags()) {
      const withFlag = CONTEXT_VALUES.filter(v => v.split('.').includes(flag));
      assert.ok(withFlag.length > 0, `the builder never emits "${flag}"`);
      const decisive = withFlag.some(value => {
        const without = value
          .split('.')
          .filter(token => token !== flag)
          .join('.');
        return itemMenus.some(({ match }) => match && match(value) && !match(without));
      });
      assert.ok(decisive, `no menu depends on the "${flag}" flag`);
    }
  });

  it('keeps node-only commands out of the palette', () => {
    const hidden = new Set((menus.commandPalette ?? []).filter(e => e.when === 'false').map(e => e.command));
    for (const id of ['runwatch.refreshNode', 'runwatch.removeAccount', 'runwatch.loadMore', 'runwatch.openLink']) {
      assert.ok(hidden.has(id), `${id} needs a tree item but shows in the palette`);
    }
    for (const id of ['runwatch.setApiKey', 'runwatch.startRun', 'runwatch.refresh']) assert.ok(!hidden.has(id), `${id} is hidden from the palette`);
  });

  it('declares the Runwatch container, the Runs view and its welcome content', () => {
    const container = contributes.viewsContainers?.activitybar?.find((c: { id: string }) => c.id === 'runwatch');
    assert.equal(container?.title, 'Runwatch');
    assert.ok(fs.existsSync(path.join(ROOT, container.icon)), `icon ${container.icon} is missing`);
    const svg = fs.readFileSync(path.join(ROOT, container.icon), 'utf8');
    assert.match(svg, /viewBox="0 0 24 24"/, 'activity-bar icon is not 24×24');
    assert.match(svg, /currentColor/, 'activity-bar icon is not monochrome (currentColor)');
    const view = contributes.views?.runwatch?.find((v: { id: string }) => v.id === 'runwatch.runs');
    assert.equal(view?.name, 'Runs');
    assert.ok(pkg.activationEvents.includes('onView:runwatch.runs'), 'no onView activation');
    assert.ok(pkg.activationEvents.includes('onStartupFinished'), 'no onStartupFinished activation');
    const welcome = contributes.viewsWelcome?.find((w: { view: string }) => w.view === 'runwatch.runs');
    assert.ok(welcome, 'no welcome content for the empty view');
    assert.match(welcome.contents, /\[Set API Key\]\(command:runwatch\.setApiKey\)/);
    assert.match(welcome.when, /!runwatch\.hasAnyKey/);
    assert.ok(SOURCE.some(text => text.includes("'runwatch.hasAnyKey'")), 'the source never sets runwatch.hasAnyKey');
    if (pkg.icon) assert.ok(fs.existsSync(path.join(ROOT, pkg.icon)), `marketplace icon ${pkg.icon} is missing`);
  });

  describe('where it runs and how it is packaged', () => {
    it('runs in Restricted Mode and in virtual workspaces', () => {
      assert.deepEqual(pkg.capabilities?.untrustedWorkspaces, { supported: true }, 'Restricted Mode needs no restriction: the base URLs are application-scoped');
      assert.equal(pkg.capabilities?.virtualWorkspaces, true, 'Runwatch reads no workspace files');
    });

    it('prefers the UI side, so a local and a remote window share one poller', () => {
      assert.deepEqual(pkg.extensionKind, ['ui', 'workspace']);
      assert.match(README, /extensionKind: \["ui", "workspace"\]/, 'the README does not say why');
    });

    it('names project links that are real or a placeholder the README explains', () => {
      const links = { repository: pkg.repository?.url ?? pkg.repository, bugs: pkg.bugs?.url ?? pkg.bugs, homepage: pkg.homepage };
      for (const [field, link] of Object.entries(links)) {
        assert.equal(typeof link, 'string', `no ${field} in package.json`);
        const url = new URL(link as string);
        assert.equal(url.protocol, 'https:', `${field}: ${link}`);
        // .invalid never resolves (RFC 2606): a placeholder, never mistaken for a real address, if the README says so.
        if (url.hostname.endsWith('.invalid')) assert.ok(README.includes(url.hostname), `${field} is a placeholder (${link}) the README does not explain`);
      }
    });

    it('packages with a pinned vsce that runs on Node 20, after a production build', () => {
      const pinned = pkg.devDependencies?.['@vscode/vsce'];
      assert.match(pinned ?? '', /^\d+\.\d+\.\d+$/, '@vscode/vsce is not pinned to an exact version');
      const installed = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/@vscode/vsce/package.json'), 'utf8'));
      assert.equal(installed.version, pinned, 'the installed vsce is not the pinned one: run npm ci');
      const minimumNode = Number(/^>=\s*(\d+)/.exec(installed.engines?.node ?? '')?.[1]);
      assert.ok(minimumNode <= 20, `vsce ${pinned} needs Node ${installed.engines?.node}; the project runs on Node 20`);
      assert.equal(pkg.scripts['vscode:prepublish'], 'npm run build');
      assert.match(pkg.scripts.package, /\bvsce package\b/);
    });
  });

  it('has a walkthrough whose steps complete on what really happened, not on a command being run', () => {
    const walkthroughs: { id: string; steps: { id: string; title: string; description: string; media: Record<string, string>; completionEvents?: string[] }[] }[] = contributes.walkthroughs ?? [];
    assert.equal(walkthroughs.length, 1, 'one walkthrough');
    const steps = walkthroughs[0].steps;
    assert.deepEqual(
      steps.map(s => s.id),
      ['setKey', 'seeRuns', 'startRun', 'statusAndNotifications'],
      'set a key, see your runs, start a run, what the status bar and notifications say',
    );
    const contextKeys = new Set<string>(Object.values(WALKTHROUGH_CONTEXT));
    const contributed = new Set(commands.map(c => c.command));
    for (const step of steps) {
      const media = step.media.markdown ?? step.media.svg ?? step.media.image;
      assert.ok(media && fs.existsSync(path.join(ROOT, media)), `${step.id}: media ${media} is missing`);
      assert.ok(step.completionEvents?.length, `${step.id}: no completion events`);
      for (const event of step.completionEvents ?? []) {
        const context = /^onContext:(.+)$/.exec(event)?.[1];
        const command = /^onCommand:(.+)$/.exec(event)?.[1];
        assert.ok(context || command, `${step.id}: unexpected completion event ${event}`);
        if (context) assert.ok(contextKeys.has(context), `${step.id}: ${context} is not a key the extension sets`);
        // Running Set API Key or Start Run proves nothing: the box may be cancelled or the key rejected.
        if (command) assert.ok(contributed.has(command) && !['runwatch.setApiKey', 'runwatch.startRun'].includes(command), `${step.id}: completes on ${event}`);
      }
      for (const link of step.description.matchAll(/\(command:([\w.]+)\)/g)) {
        assert.ok(contributed.has(link[1]) || link[1] === 'runwatch.runs.focus', `${step.id}: links to ${link[1]}, which is not a command`);
      }
    }
    assert.deepEqual(steps[0].completionEvents, ['onContext:runwatch.keyWorks'], 'the key step completes once a provider accepted a key');
    assert.deepEqual(steps[2].completionEvents, ['onContext:runwatch.startedRun'], 'the start step completes once a started run is tracked');
  });

  describe('settings', () => {
    it('describes every setting and gives it a default of its type', () => {
      assert.ok(Object.keys(settings).length > 0, 'no settings');
      for (const [name, s] of Object.entries(settings)) {
        assert.match(name, /^runwatch\./, name);
        assert.ok((s.description ?? s.markdownDescription ?? '').length > 10, `${name}: no description`);
        assert.ok('default' in s, `${name}: no default`);
        const type = Array.isArray(s.type) ? s.type[0] : s.type;
        switch (type) {
          case 'number':
          case 'integer':
            assert.equal(typeof s.default, 'number', `${name}: default is not a number`);
            if (type === 'integer') assert.ok(Number.isInteger(s.default), `${name}: default is not an integer`);
            assert.equal(typeof s.minimum, 'number', `${name}: a numeric setting needs a minimum`);
            assert.ok((s.default as number) >= s.minimum!, `${name}: default below its minimum`);
            if (s.maximum !== undefined) assert.ok((s.default as number) <= s.maximum, `${name}: default above its maximum`);
            break;
          case 'boolean':
            assert.equal(typeof s.default, 'boolean', `${name}: default is not a boolean`);
            break;
          case 'string':
            assert.equal(typeof s.default, 'string', `${name}: default is not a string`);
            if (s.enum) assert.ok(s.enum.includes(s.default), `${name}: default not among its enum values`);
            break;
          case 'array':
            assert.ok(Array.isArray(s.default), `${name}: default is not a list`);
            break;
          default:
            assert.fail(`${name}: unexpected type ${String(s.type)}`);
        }
      }
    });

    it('has an application-scoped, valid base URL setting per provider with the documented default', () => {
      for (const id of PROVIDER_IDS) {
        const s = settings[`runwatch.providers.${id}.baseUrl`];
        assert.ok(s, `no base URL setting for ${id}`);
        assert.equal(s.scope, 'application', `${id}: a workspace must not be able to redirect a key`);
        assert.equal(s.default, BUILTIN_PROVIDERS.find(d => d.id === id)?.defaultBaseUrl, `${id}: default differs from the adapter's`);
        assert.equal(validateBaseUrl(s.default as string).ok, true, `${id}: default base URL does not validate`);
      }
    });

    it('scopes to the application every setting only the polling window obeys, so no workspace can disagree with it', () => {
      // Settings that may stay window-scoped, each justified in the README. None does today: the polling window
      // polls, times out, judges stale and stuck, and notifies for every window.
      const windowScoped: string[] = [];
      for (const [name, s] of Object.entries(settings)) {
        if (windowScoped.includes(name)) assert.ok(README.includes(`\`${name}\``), `${name} stays window-scoped without a word in the README`);
        else assert.equal(s.scope, 'application', `${name} is obeyed by the polling window only, so it must be application-scoped`);
      }
    });

    it('declares the polling, stuck, stale, timeout and notification settings', () => {
      const expect: Record<string, unknown> = {
        'runwatch.polling.whenUnfocused': 'slow',
        'runwatch.polling.unfocusedFactor': 3,
        'runwatch.polling.maxConcurrentPerProvider': 4,
        'runwatch.stuckThresholdMinutes': 15,
        'runwatch.staleAfterFailures': 3,
        'runwatch.requestTimeoutSeconds': 15,
        'runwatch.notifications.onSuccess': true,
        'runwatch.notifications.onFailure': true,
        'runwatch.notifications.onCancel': false,
        'runwatch.notifications.onStuck': true,
        'runwatch.notifications.quietWhenViewFocused': true,
      };
      for (const id of PROVIDER_IDS) expect[`runwatch.polling.minIntervalSeconds.${id}`] = 0;
      for (const [name, value] of Object.entries(expect)) assert.equal(settings[name]?.default, value, name);
      assert.deepEqual(settings['runwatch.polling.whenUnfocused'].enum, ['slow', 'pause', 'normal']);
    });

    it('reads every contributed setting somewhere in the VS Code layer', () => {
      const reader = fs.readFileSync(path.join(ROOT, 'src/vscode/settings.ts'), 'utf8');
      for (const name of Object.keys(settings)) {
        const relative = name.replace(/^runwatch\./, '');
        const templated = PROVIDER_IDS.reduce((text, id) => text.replace(`.${id}.`, '.${id}.').replace(new RegExp(`\\.${id}$`), '.${id}'), relative);
        assert.ok(reader.includes(`'${relative}'`) || reader.includes(`\`${templated}\``), `${name} is contributed but never read`);
      }
    });
  });

  it('lets no workspace set a runwatch setting: every one is application-scoped (a .vscode/settings.json could otherwise redirect keys or stop polling)', () => {
    const entries = Object.entries(settings).filter(([key]) => key.startsWith('runwatch.'));
    assert.ok(entries.length > 10);
    for (const [key, setting] of entries) assert.equal(setting.scope, 'application', `${key} is application-scoped`);
  });

  it('bounds every numeric setting in the manifest exactly as the code clamps it', () => {
    const numeric = Object.entries(settings).filter(([, s]) => s.type === 'number' || s.type === 'integer');
    assert.deepEqual(
      numeric.map(([key]) => key.replace(/^runwatch\./, '')).sort(),
      Object.keys(SETTING_RANGES).sort(),
      'every numeric setting has a range in code, and only those',
    );
    for (const [key, setting] of numeric) {
      const range = SETTING_RANGES[key.replace(/^runwatch\./, '')];
      assert.equal(setting.minimum, range.minimum, `${key} minimum`);
      assert.equal(setting.maximum, range.maximum, `${key} maximum`);
      assert.equal(setting.type === 'integer', !!range.integer, `${key} integer`);
      assert.ok(typeof setting.default === 'number' && setting.default >= range.minimum && setting.default <= range.maximum, `${key} default in range`);
    }
  });

  it('clamps a hand-edited value to the range: a timeout of 3e9 s is 300 s, not a setTimeout overflow', () => {
    assert.equal(clampSetting('requestTimeoutSeconds', 3e9, 15), 300);
    assert.equal(clampSetting('requestTimeoutSeconds', 0.001, 15), 1);
    assert.equal(clampSetting('requestTimeoutSeconds', Infinity, 15), 15);
    assert.equal(clampSetting('requestTimeoutSeconds', '20', 15), 15);
    assert.equal(clampSetting('polling.maxConcurrentPerProvider', 2.7, 4), 2);
    assert.equal(clampSetting('polling.minIntervalSeconds.adlyse', 1e12, 0), 3600);
    assert.equal(clampSetting('staleAfterFailures', -5, 3), 1);
  });
});
