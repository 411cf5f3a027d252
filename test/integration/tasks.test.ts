// Runs as VS Code tasks, in the real VS Code: tasks written into the test workspace's .vscode/tasks.json, fetched
// and run as a user's "Run Task" (or a preLaunchTask) does, ending with the exit code VS Code reports through
// onDidEndTaskProcess: 0 for a run that succeeds, 1 for one that fails; a task that follows a run started
// elsewhere by its id; a pipeline's own secret asked for in a password box (never in tasks.json) and refused when
// written there; and Ctrl-C on a provider that cannot cancel, which detaches and says so. The task shares the
// engine: its run shows in the tree and the status bar, and the test moves it on the way a user's "Refresh
// Item" does; the task itself never polls.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { TaskTranscript } from '../../src/vscode/api';
import type { AutomindzSim } from '../simulator/automindz';
import type { BoringMarketingSim } from '../simulator/boringMarketing';
import type { GloriaMundoSim } from '../simulator/gloriaMundo';
import type { SimRequest } from '../simulator/server';
import { pollRun, resetRunwatch, runRow, runwatchApi, setKey, startSimulator, statusBarText, waitFor, withScriptedUi, type RunwatchApi, type SimulatorHandle } from './helpers';

const DIGEST_STEPS = ['Fetch emails', 'Summarize', 'Generate content', 'Send email', 'Post to Slack'];

interface TasksJsonTask {
  label: string;
  type: 'runwatch';
  dependsOn?: string | string[];
  [field: string]: unknown;
}

function workspaceFolder(): vscode.WorkspaceFolder {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the extension tests run without a workspace folder: scripts/runTest.js opens one');
  return folder;
}

/** Writes .vscode/tasks.json as a user would, and waits until VS Code's task list has every task in it. */
async function writeTasksJson(tasks: TasksJsonTask[]): Promise<void> {
  const uri = vscode.Uri.joinPath(workspaceFolder().uri, '.vscode', 'tasks.json');
  await vscode.workspace.fs.writeFile(uri, Buffer.from(JSON.stringify({ version: '2.0.0', tasks }, null, 2)));
  await waitFor(
    async () => {
      const names = (await vscode.tasks.fetchTasks({ type: 'runwatch' })).map(t => t.name);
      return tasks.every(t => names.includes(t.label));
    },
    15_000,
    `VS Code to read the tasks ${tasks.map(t => t.label).join(', ')} from tasks.json`,
    250,
  );
}

interface TaskRun {
  execution: vscode.TaskExecution;
  transcript: TaskTranscript;
  /** Resolves with the exit code VS Code reports when the task's process ends. */
  ended: Promise<number | undefined>;
}

/** Runs the tasks.json task with this label, as "Run Task" does. */
async function runTask(api: RunwatchApi, label: string): Promise<TaskRun> {
  const task = (await vscode.tasks.fetchTasks({ type: 'runwatch' })).find(t => t.name === label);
  assert.ok(task, `no runwatch task "${label}"`);
  assert.equal(task.source, 'Workspace', 'the task does not come from tasks.json');
  const before = api.tasks.transcripts.length;
  let execution: vscode.TaskExecution | undefined;
  const ended = new Promise<number | undefined>(resolve => {
    const sub = vscode.tasks.onDidEndTaskProcess(e => {
      if (e.execution.task.name !== label) return;
      sub.dispose();
      resolve(e.exitCode);
    });
  });
  execution = await vscode.tasks.executeTask(task);
  const transcript = await waitFor(() => api.tasks.transcripts.slice(before).find(t => t.name === label), 10_000, `the terminal of task "${label}" to open`);
  return { execution, transcript, ended };
}

/** The task's lines so far, for failure messages. */
function shown(t: TaskTranscript): string {
  return `\n${t.lines.join('\n')}`;
}

/** Moves the run on as "Refresh Item" does (the engine polls; the task only listens) until the task ends. */
async function driveUntilEnded(run: TaskRun, what: string): Promise<number | undefined> {
  let exit: { code: number | undefined } | undefined;
  void run.ended.then(code => (exit = { code }));
  await waitFor(
    async () => {
      if (run.transcript.runKey && run.transcript.exitCode === undefined) await pollRun(run.transcript.runKey);
      return exit;
    },
    30_000,
    `${what}; the terminal says:${shown(run.transcript)}`,
    200,
  );
  return exit!.code;
}

describe('Runwatch tasks in VS Code', function () {
  this.timeout(90_000);
  let handle: SimulatorHandle;
  let gm: GloriaMundoSim;
  let api: RunwatchApi;

  before(async () => {
    api = await runwatchApi();
    await resetRunwatch();
    // Simulated time stands still unless a test moves it.
    handle = await startSimulator({ timeScale: 0 });
    gm = handle.sim.provider<GloriaMundoSim>('gloriaMundo');
  });

  after(async () => {
    await resetRunwatch();
    await handle?.dispose();
    await vscode.workspace.fs.delete(vscode.Uri.joinPath(workspaceFolder().uri, '.vscode', 'tasks.json')).then(undefined, () => undefined);
  });

  beforeEach(async () => {
    await resetRunwatch();
    handle.sim.reset();
    gm.addWorkflow('wf_digest', { name: 'Daily digest', steps: DIGEST_STEPS, durations: 20_000, queuedMs: 1_500, result: { posted_to: '#daily-digest' } });
    gm.addWorkflow('wf_leads', {
      name: 'Lead enrichment',
      steps: ['Fetch new leads', 'Enrich company data', 'Score leads', 'Update CRM'],
      durations: 10_000,
      queuedMs: 1_500,
      failAtStep: { step: 2, error: 'HubSpot connection expired. Please reconnect.' },
    });
  });

  afterEach(async () => {
    await resetRunwatch();
  });

  it('a task from tasks.json starts a run, streams its steps in the tree\u2019s words, shows it in the tree and status bar, and exits 0 when it succeeds', async () => {
    await setKey('gloriaMundo');
    await writeTasksJson([{ label: 'digest', type: 'runwatch', provider: 'gloriaMundo', account: 'wf_digest', inputs: { input: { topic: 'weekly' } } }]);
    const run = await runTask(api, 'digest');
    const key = await waitFor(() => run.transcript.runKey, 15_000, `the task to start its run; it says:${shown(run.transcript)}`);

    // Started once, with the inputs from tasks.json, through the engine: the run is in the tree and the status bar.
    const starts = handle.sim.requestsFor('gloriaMundo', /\/workflows\/wf_digest\/execute$/);
    assert.equal(starts.length, 1, 'the run was not started exactly once');
    const row = await runRow(key);
    assert.ok(row, 'the task\u2019s run is not in the tree');
    assert.notEqual(await statusBarText(), '', 'the status bar does not show the task\u2019s run');

    handle.sim.clock.advance(1_500 + 2 * 20_000 + 1_000);
    await waitFor(
      async () => {
        await pollRun(key);
        return run.transcript.lines.some(l => / · running · .*Generate content/.test(l));
      },
      15_000,
      `a line for step 3; the terminal says:${shown(run.transcript)}`,
      200,
    );
    handle.sim.clock.advance(5 * 20_000);
    const exitCode = await driveUntilEnded(run, 'the task to end after the run succeeded');

    assert.equal(exitCode, 0, `a succeeded run ended its task with exit code ${exitCode}:${shown(run.transcript)}`);
    assert.equal(run.transcript.exitCode, 0);
    const lines = run.transcript.lines;
    assert.match(lines[0], /^Runwatch: starting .*wf_digest.*\(GloriaMundo\)…$/);
    assert.ok(lines.some(l => /^Started .+ on wf_digest \(GloriaMundo, run id [\w-]+\)\. Ctrl-C stops watching \(GloriaMundo runs cannot be cancelled\)\.$/.test(l)), shown(run.transcript));
    // One line per state: no line repeats the one before it.
    for (let i = 1; i < lines.length; i++) assert.notEqual(lines[i], lines[i - 1], `a line repeats:${shown(run.transcript)}`);
    assert.ok(lines.some(l => / · succeeded\b/.test(l)), shown(run.transcript));
    assert.match(lines[lines.length - 2], /^Wf digest #\w+ succeeded \(\$0\.15\)\.$/);
    assert.equal(lines[lines.length - 1], 'Exit code 0.');
  });

  it('a task whose run fails exits 1, saying at which step and why', async () => {
    await setKey('gloriaMundo');
    await writeTasksJson([{ label: 'leads', type: 'runwatch', provider: 'GloriaMundo', account: 'wf_leads', kind: 'run' }]);
    const run = await runTask(api, 'leads');
    await waitFor(() => run.transcript.runKey, 15_000, `the task to start its run; it says:${shown(run.transcript)}`);
    handle.sim.clock.advance(60_000);
    const exitCode = await driveUntilEnded(run, 'the task to end after the run failed');

    assert.equal(exitCode, 1, `a failed run ended its task with exit code ${exitCode}:${shown(run.transcript)}`);
    const text = run.transcript.lines.join('\n');
    assert.match(text, /^ {2}error: HubSpot connection expired\. Please reconnect\./m);
    assert.match(text, /^Wf leads #\w+ failed at step 2\/4 · Score leads: HubSpot connection expired\. Please reconnect \(\$\d+\.\d\d\)\.$/m);
    assert.equal(run.transcript.lines[run.transcript.lines.length - 1], 'Exit code 1.');
  });

  it('a task with a runId follows a run started elsewhere until it ends, starting nothing', async () => {
    await setKey('gloriaMundo');
    const runId = gm.startRun('wf_digest', { topic: 'from a script' });
    await writeTasksJson([{ label: 'follow', type: 'runwatch', provider: 'gloriaMundo', account: 'wf_digest', runId }]);
    const run = await runTask(api, 'follow');
    const key = await waitFor(() => run.transcript.runKey, 15_000, `the task to find the run; it says:${shown(run.transcript)}`);
    assert.equal(key, `gloriaMundo:${runId}`);
    assert.ok(api.service.store.get(key)?.pinned, 'the followed run is not tracked like Track Run by ID');
    handle.sim.clock.advance(10 * 20_000);
    const exitCode = await driveUntilEnded(run, 'the task to end after the followed run succeeded');

    assert.equal(exitCode, 0, shown(run.transcript));
    assert.match(run.transcript.lines[0], new RegExp(`^Runwatch: following GloriaMundo run ${runId}…$`));
    assert.ok(run.transcript.lines.some(l => /^Following .+ on wf_digest \(GloriaMundo, run id .+\)\. Ctrl-C stops watching\.$/.test(l)), shown(run.transcript));
    assert.equal(handle.sim.requestsFor('gloriaMundo', /\/execute$/).length, 0, 'a follow task started a run');
  });

  it('Ctrl-C (Terminate Task) on a started run cancels it where the provider can, and the task exits 1', async () => {
    const bm = handle.sim.provider<BoringMarketingSim>('boringMarketing');
    bm.addBrand({ domain: 'acme.com', name: 'Acme' });
    await setKey('boringMarketing');
    await writeTasksJson([{ label: 'analyze', type: 'runwatch', provider: 'boringMarketing', account: 'acme.com', kind: 'full' }]);
    const run = await runTask(api, 'analyze');
    const key = await waitFor(() => run.transcript.runKey, 15_000, `the task to start its run; it says:${shown(run.transcript)}`);
    run.execution.terminate();
    await waitFor(() => run.transcript.exitCode !== undefined, 15_000, `the task to end on Ctrl-C; it says:${shown(run.transcript)}`);

    assert.equal(run.transcript.exitCode, 1);
    const text = run.transcript.lines.join('\n');
    assert.match(text, /^Ctrl-C: cancelling \w+ #\w+ on Boring Marketing…$/m);
    // The cancel's answer reaches the store first, so the run's own end closes the task.
    assert.match(text, /^\w+ #\w+ · cancelled\n\w+ #\w+ was cancelled\.\nExit code 1\.$/m);
    assert.equal(api.service.store.get(key)?.run.status, 'cancelled', 'the run was not cancelled');
    assert.equal(handle.sim.requestsFor('boringMarketing').filter(r => r.method === 'POST' && /cancel/.test(r.path)).length, 1, 'not one cancel request');
  });

  it('a task definition that holds a secret, or both starts and follows, fails at once with exit code 1, sending no start', async () => {
    await setKey('automindz');
    await writeTasksJson([
      { label: 'secret in file', type: 'runwatch', provider: 'automindz', inputs: { org_name: 'Acme', industries: ['software'], exa_api_key: 'exa_sk_in_tasks_json' } },
      { label: 'both', type: 'runwatch', provider: 'automindz', runId: 'r1', kind: 'leavers' },
    ]);
    const secret = await runTask(api, 'secret in file');
    assert.equal(await secret.ended, 1);
    assert.match(secret.transcript.lines.join('\n'), /"exa_api_key" is a secret: remove it; Runwatch keeps Exa API key in the OS keychain/);
    assert.ok(!secret.transcript.lines.join('\n').includes('exa_sk_in_tasks_json'), 'the terminal echoes the secret');
    const both = await runTask(api, 'both');
    assert.equal(await both.ended, 1);
    assert.match(both.transcript.lines.join('\n'), /either starts a run .* or watches one/);
    assert.equal(handle.sim.requestsFor('automindz', /leavers$/).filter(r => r.method === 'POST').length, 0, 'a start was sent');
  });

  it('asks a pipeline\u2019s missing secrets in password boxes, never from tasks.json; Ctrl-C where the provider cannot cancel detaches and says so', async () => {
    await setKey('automindz');
    const amz = handle.sim.provider<AutomindzSim>('automindz');
    const bodies: Record<string, unknown>[] = [];
    const original = amz.handle.bind(amz);
    amz.handle = (req: SimRequest) => {
      if (req.method === 'POST' && /leavers$/.test(req.path)) bodies.push(req.body as Record<string, unknown>);
      return original(req);
    };
    try {
      await writeTasksJson([{ label: 'leavers', type: 'runwatch', provider: 'automindz', inputs: { org_name: 'Acme', industries: 'software development, it services' } }]);
      const keys = ['aiark_sk_task_1', 'exa_sk_task_2', 'sk-or-v1-task_3'];
      const { run, ui } = await withScriptedUi({ inputs: keys }, async ui => {
        const started = await runTask(api, 'leavers');
        await waitFor(() => started.transcript.runKey, 15_000, `the task to start its run; it says:${shown(started.transcript)}`);
        return { run: started, ui };
      });
      assert.deepEqual(
        ui.inputPrompts.map(p => [p.title, p.password]),
        [
          ['Find leavers: AI Ark API key', true],
          ['Find leavers: Exa API key', true],
          ['Find leavers: OpenRouter API key', true],
        ],
      );
      assert.equal(bodies.length, 1);
      assert.deepEqual([bodies[0].org_name, bodies[0].industries, bodies[0].exa_api_key], ['Acme', ['software development', 'it services'], 'exa_sk_task_2']);
      const text = run.transcript.lines.join('\n');
      for (const key of keys) assert.ok(!text.includes(key), 'a secret reached the terminal');

      // Ctrl-C (the terminal closed by Terminate Task): Automindz cannot cancel, so the task lets go of the run.
      run.execution.terminate();
      await waitFor(() => run.transcript.exitCode !== undefined, 10_000, `the task to end on Ctrl-C; it says:${shown(run.transcript)}`);
      assert.equal(run.transcript.exitCode, 1);
      assert.match(run.transcript.lines.join('\n'), /Ctrl-C: Automindz runs cannot be cancelled from Runwatch \(The Automindz API has no cancel endpoint\)\. The run continues on Automindz; Runwatch keeps following it in the Runs view\./);
      assert.ok(api.service.store.get(run.transcript.runKey!), 'the run is no longer tracked after Ctrl-C');
    } finally {
      amz.handle = original;
    }
  });

  /** Moves every run of these tasks on (clock and a poll, as "Refresh Item" does) until `done` says so. */
  async function driveTasks<T>(labels: string[], done: () => T | undefined, what: string): Promise<T> {
    return waitFor(
      async () => {
        for (const t of api.tasks.transcripts.filter(t => labels.includes(t.name) && t.runKey && t.exitCode === undefined)) {
          handle.sim.clock.advance(60_000);
          await pollRun(t.runKey!);
        }
        return done();
      },
      45_000,
      `${what}; the terminals say:${api.tasks.transcripts.filter(t => labels.includes(t.name)).map(shown).join('\n---')}`,
      200,
    );
  }

  /** When each labelled task's process ended (Date.now()) and with which exit code, from VS Code's own events. */
  function recordTaskEnds(): { ends: Map<string, { at: number; exitCode: number | undefined }>; dispose(): void } {
    const ends = new Map<string, { at: number; exitCode: number | undefined }>();
    const sub = vscode.tasks.onDidEndTaskProcess(e => ends.set(e.execution.task.name, { at: Date.now(), exitCode: e.exitCode }));
    return { ends, dispose: () => sub.dispose() };
  }

  it('in a dependsOn chain: the dependent task starts its run only after the first task\u2019s run succeeded, and not at all after one failed', async () => {
    await setKey('gloriaMundo');
    await writeTasksJson([
      // Distinct inputs: VS Code takes two tasks with the same definition for one task.
      { label: 'digest first', type: 'runwatch', provider: 'gloriaMundo', account: 'wf_digest', inputs: { input: { chain: 1 } } },
      { label: 'leads after digest', type: 'runwatch', provider: 'gloriaMundo', account: 'wf_leads', inputs: { input: { chain: 1 } }, dependsOn: 'digest first' },
      { label: 'leads first', type: 'runwatch', provider: 'gloriaMundo', account: 'wf_leads', inputs: { input: { chain: 2 } } },
      { label: 'digest after leads', type: 'runwatch', provider: 'gloriaMundo', account: 'wf_digest', inputs: { input: { chain: 2 } }, dependsOn: 'leads first' },
    ]);
    const recorder = recordTaskEnds();
    try {
      const task = (await vscode.tasks.fetchTasks({ type: 'runwatch' })).find(t => t.name === 'leads after digest')!;
      await vscode.tasks.executeTask(task);
      const ends = await driveTasks(['digest first', 'leads after digest'], () => (recorder.ends.has('leads after digest') ? recorder.ends : undefined), 'the chain to end');
      assert.equal(ends.get('digest first')?.exitCode, 0, 'the first task did not succeed');
      assert.equal(ends.get('leads after digest')?.exitCode, 1, 'the dependent task (a failing run) did not exit 1');
      const starts = handle.sim.requestsFor('gloriaMundo', /\/execute$/).map(r => r.path);
      assert.deepEqual(starts, ['/workflows/wf_digest/execute', '/workflows/wf_leads/execute'], 'the chain did not start its runs in order, once each');
      const [digestStart, leadsStart] = handle.sim.requestsFor('gloriaMundo', /\/execute$/);
      const digestDone = handle.sim.requestsFor('gloriaMundo', /\/status$/).find(r => r.time >= digestStart.time && r.time < leadsStart.time);
      assert.ok(digestDone, 'the dependent run started before the first one was followed to its end');

      // A dependency that fails (exit code 1) stops the chain: the dependent task's run is never started.
      const before = handle.sim.requestsFor('gloriaMundo', /\/execute$/).length;
      const stopped = (await vscode.tasks.fetchTasks({ type: 'runwatch' })).find(t => t.name === 'digest after leads')!;
      await vscode.tasks.executeTask(stopped);
      await driveTasks(['leads first'], () => (recorder.ends.has('leads first') ? true : undefined), 'the failing dependency to end');
      assert.equal(recorder.ends.get('leads first')?.exitCode, 1);
      // VS Code has settled the chain once the dependent task is no longer among the executions.
      await waitFor(() => !vscode.tasks.taskExecutions.some(e => e.task.name === 'digest after leads'), 15_000, 'VS Code to drop the task after its failed dependency');
      assert.deepEqual(handle.sim.requestsFor('gloriaMundo', /\/execute$/).slice(before).map(r => r.path), ['/workflows/wf_leads/execute'], 'the task after a failed dependency started its run');
      assert.ok(!api.tasks.transcripts.some(t => t.name === 'digest after leads'), 'the task after a failed dependency ran');
    } finally {
      recorder.dispose();
    }
  });

  it('as a preLaunchTask: the debug session starts once the task\u2019s run has succeeded', async () => {
    await setKey('gloriaMundo');
    await writeTasksJson([{ label: 'digest before launch', type: 'runwatch', provider: 'gloriaMundo', account: 'wf_digest' }]);
    const folder = workspaceFolder();
    const program = vscode.Uri.joinPath(folder.uri, 'noop.js');
    const launchJson = vscode.Uri.joinPath(folder.uri, '.vscode', 'launch.json');
    await vscode.workspace.fs.writeFile(program, Buffer.from('// launched after a Runwatch task\n'));
    const config = { type: 'node', request: 'launch', name: 'after the digest', program: program.fsPath, preLaunchTask: 'digest before launch' };
    await vscode.workspace.fs.writeFile(launchJson, Buffer.from(JSON.stringify({ version: '0.2.0', configurations: [config] }, null, 2)));
    const recorder = recordTaskEnds();
    let sessionStartedAt: number | undefined;
    const sessions = vscode.debug.onDidStartDebugSession(s => {
      if (s.name === config.name) sessionStartedAt = Date.now();
    });
    try {
      let started: boolean | undefined;
      void Promise.resolve(vscode.debug.startDebugging(folder, config.name)).then(ok => (started = ok), () => (started = false));
      await driveTasks(['digest before launch'], () => started, 'the debug session to start after its preLaunchTask');
      assert.equal(started, true, 'VS Code did not start the debug session after the preLaunchTask');
      const ended = recorder.ends.get('digest before launch');
      assert.equal(ended?.exitCode, 0, 'the preLaunchTask did not exit 0');
      const transcript = api.tasks.transcripts.find(t => t.name === 'digest before launch')!;
      assert.equal(api.service.store.get(transcript.runKey!)?.run.status, 'succeeded');
      assert.ok(sessionStartedAt !== undefined && sessionStartedAt >= ended.at, 'the debug session started before the preLaunchTask ended');
    } finally {
      sessions.dispose();
      recorder.dispose();
      await vscode.debug.stopDebugging();
      await vscode.workspace.fs.delete(launchJson).then(undefined, () => undefined);
      await vscode.workspace.fs.delete(program).then(undefined, () => undefined);
    }
  });
});
