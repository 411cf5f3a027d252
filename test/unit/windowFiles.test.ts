// The asynchronous writer of the files windows share (the shared state's snapshot), on real files.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SharedStateFile, STATE_FILE } from '../../src/core/sharedState';
import { RunStore } from '../../src/core/store';
import { AtomicFileWriter } from '../../src/core/windowFiles';

describe('AtomicFileWriter', () => {
  let dir: string;
  let file: string;
  let tmp: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-writer-'));
    file = path.join(dir, 'state.json');
    tmp = `${file}.window-a.tmp`;
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes one at a time, and of the texts that waited meanwhile only the last', async () => {
    const writer = new AtomicFileWriter(file, tmp);
    const seen: string[] = [];
    const settled = (name: string) => () => void seen.push(`${name}:${fs.readFileSync(file, 'utf8')}`);
    const first = writer.write('1').then(settled('first'));
    // Asked while the first is in flight: they wait, and each replaces the one waiting before it.
    const writes = ['2', '3', '4'].map(text => writer.write(text).then(settled(`after ${text}`)));
    assert.equal(writer.busy, true);
    await Promise.all([first, ...writes]);
    assert.deepEqual(seen, ['first:1', 'after 2:4', 'after 3:4', 'after 4:4'], 'the first as asked, then one write of the last state for the three that waited');
    assert.equal(writer.busy, false);
    assert.deepEqual(fs.readdirSync(dir), ['state.json'], 'no temporary file left');
    await writer.write('5');
    assert.equal(fs.readFileSync(file, 'utf8'), '5', 'and writes again once idle');
  });

  it('after discard(), neither the waiting text nor the one in flight replaces the file', async () => {
    const writer = new AtomicFileWriter(file, tmp);
    await writer.write('kept');
    const inFlight = writer.write('in flight');
    const waiting = writer.write('waiting');
    writer.discard();
    await Promise.all([inFlight, waiting]);
    await writer.idle();
    assert.equal(fs.readFileSync(file, 'utf8'), 'kept');
    assert.deepEqual(fs.readdirSync(dir), ['state.json'], 'no temporary file left');
    await writer.write('next');
    assert.equal(fs.readFileSync(file, 'utf8'), 'next', 'a write asked after discard() goes');
  });

  it('rejects a write that failed, leaves nothing behind, and writes the next one', async () => {
    const writer = new AtomicFileWriter(file, tmp);
    fs.rmSync(dir, { recursive: true });
    await assert.rejects(writer.write('lost'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
    fs.mkdirSync(dir);
    await writer.write('written');
    assert.equal(fs.readFileSync(file, 'utf8'), 'written');
    assert.deepEqual(fs.readdirSync(dir), ['state.json']);
  });

  it('a window that crashes in the middle of a write leaves the previous snapshot whole, and another window reads it', async function () {
    this.timeout(30_000);
    // A leader's snapshot as the previous file, then a large one cut off by the crash (SIGKILL once part of it is on disk).
    const leaderStore = new RunStore();
    leaderStore.upsert({ provider: 'boringMarketing', accountId: 'brand-1', id: 'r1', kind: 'full', status: 'running', rawStatus: 'running' });
    const snapshot = (seq: number, padding = '') => JSON.stringify({ version: 1, writerId: 'crashed-leader', seq, writtenAt: Date.now(), runs: leaderStore.all(), health: {}, padding });
    const previous = snapshot(1);
    const stateFile = path.join(dir, STATE_FILE);
    const stateTmp = `${stateFile}.crashed-leader.tmp`;
    const writerModule = path.resolve(__dirname, '../../src/core/windowFiles.js');
    const child = spawn(
      process.execPath,
      [
        '-e',
        `
        setTimeout(() => process.exit(3), 15000); // never outlive the test, whatever happens
        const fs = require('node:fs');
        const { AtomicFileWriter } = require(${JSON.stringify(writerModule)});
        const [file, tmp, previous] = [process.env.FILE, process.env.TMP, process.env.PREVIOUS];
        const writer = new AtomicFileWriter(file, tmp);
        writer.write(previous).then(() => {
          writer.write(previous.replace('"padding":""', '"padding":"' + 'x'.repeat(64 * 1024 * 1024) + '"'));
          const crashOnceStarted = () => {
            let size = 0;
            try { size = fs.statSync(tmp).size; } catch {}
            if (size > 0) process.kill(process.pid, 'SIGKILL');
            else setImmediate(crashOnceStarted);
          };
          crashOnceStarted();
        });
        `,
      ],
      { env: { ...process.env, FILE: stateFile, TMP: stateTmp, PREVIOUS: previous }, stdio: 'ignore' },
    );
    const signal = await new Promise<NodeJS.Signals | null>(resolve => child.on('exit', (_code, s) => resolve(s)));
    assert.equal(signal, 'SIGKILL', 'the writing window crashed');
    const cutAt = fs.statSync(stateTmp).size;
    assert.ok(cutAt > 0 && cutAt < 64 * 1024 * 1024, `it crashed in the middle of the write (${cutAt} bytes of it on disk)`);
    assert.equal(fs.readFileSync(stateFile, 'utf8'), previous, 'the previous snapshot is whole');

    const warnings: string[] = [];
    const followerStore = new RunStore();
    const follower = new SharedStateFile(dir, followerStore, {
      id: 'follower',
      watch: false,
      log: { trace() {}, debug() {}, info() {}, warn: m => void warnings.push(m), error: m => void warnings.push(m) },
    });
    try {
      follower.setRole('follower');
      await follower.whenIdle();
      assert.deepEqual(followerStore.all().map(t => t.key), ['boringMarketing:r1'], 'another window reads the previous snapshot');
      assert.deepEqual(warnings, []);
    } finally {
      follower.dispose();
      await follower.whenIdle();
    }
  });
});
