// The growth curve's "internet" (npm run bench:growth): the simulator in a child process of its own, so its work
// is not counted in the CPU time and event-loop delay of the engine being measured. It counts what the engine
// sends it at the socket level: status requests, bytes each way and connections opened.
import type { Socket } from 'node:net';
import { createSimulator, type Simulator } from '../test/simulator';
import type { BoringMarketingSim } from '../test/simulator/boringMarketing';

export interface GrowthSetup {
  /** Active runs per brand, one entry per brand. */
  brands: number[];
  /** Each run's time into its stage (ms), seeded by the parent, so runs are not in lock step. */
  offsetsMs: number[];
}

export interface GrowthSetupResult {
  baseUrl: string;
  /** Each brand's id and its runs as the API shows them (for the parent's store). */
  brands: { id: string; runs: Record<string, unknown>[] }[];
}

export interface GrowthCounters {
  /** GETs of a run or of a brand's run list. */
  statusRequests: number;
  listRequests: number;
  bytesIn: number;
  bytesOut: number;
  connections: number;
}

let sim: Simulator | undefined;
const closed = { bytesIn: 0, bytesOut: 0 };
const live = new Set<Socket>();
let connections = 0;

async function simulator(): Promise<Simulator> {
  if (sim) return sim;
  sim = createSimulator();
  await sim.start();
  const server = (sim as unknown as { server: import('node:http').Server }).server;
  // growth.ts says how long (GROWTH_SERVER_KEEPALIVE_MS); Node's default is 5 s.
  server.keepAliveTimeout = Number(process.env.GROWTH_SERVER_KEEPALIVE_MS ?? 5_000);
  server.on('connection', (socket: Socket) => {
    connections++;
    live.add(socket);
    socket.on('close', () => {
      live.delete(socket);
      closed.bytesIn += socket.bytesRead;
      closed.bytesOut += socket.bytesWritten;
    });
  });
  return sim;
}

async function handle(op: string, arg: unknown): Promise<unknown> {
  switch (op) {
    case 'setup': {
      const s = await simulator();
      s.reset();
      const bm = s.provider<BoringMarketingSim>('boringMarketing');
      const { brands, offsetsMs } = arg as GrowthSetup;
      let r = 0;
      const out: GrowthSetupResult = { baseUrl: s.baseUrl('boringMarketing'), brands: [] };
      brands.forEach((count, b) => {
        const brand = bm.addBrand({ domain: `growth-${b}.example`, name: `growth-${b}.example` });
        const runs: Record<string, unknown>[] = [];
        // Ten-hour stages: every run stays active for the whole measurement.
        for (let i = 0; i < count; i++) runs.push(bm.runView(bm.addRun(brand.id, { kind: 'full', status: 'running', stage: 'evidence_collection', inStageMs: offsetsMs[r++ % offsetsMs.length], queuedMs: 0, durationMs: 10 * 3600_000 }).id)!);
        out.brands.push({ id: brand.id, runs });
      });
      return out;
    }
    case 'counters': {
      const s = await simulator();
      const polls = s.requestsFor('boringMarketing').filter(q => q.method === 'GET' && /^\/brands\/[^/]+\/runs(\/[^/]+)?$/.test(q.path));
      let bytesIn = closed.bytesIn;
      let bytesOut = closed.bytesOut;
      for (const socket of live) {
        bytesIn += socket.bytesRead;
        bytesOut += socket.bytesWritten;
      }
      const counters: GrowthCounters = { statusRequests: polls.length, listRequests: polls.filter(q => /\/runs$/.test(q.path)).length, bytesIn, bytesOut, connections };
      return counters;
    }
    case 'stop':
      await sim?.stop();
      setImmediate(() => process.exit(0));
      return true;
    default:
      throw new Error(`unknown op ${op}`);
  }
}

process.on('message', (msg: { id: number; op: string; arg?: unknown }) => {
  handle(msg.op, msg.arg).then(
    result => process.send!({ id: msg.id, ok: true, result }),
    (e: Error) => process.send!({ id: msg.id, ok: false, error: e.message }),
  );
});
