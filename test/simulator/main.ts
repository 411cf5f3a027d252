// `npm run simulator`: the simulator on its own, seeded with demo accounts and runs in progress.
// Options: --port N (default 4010, 0 = any free port), --scale N (simulated-time multiplier), --empty (no demo data).
import { createSimulator, SIM_KEYS } from './index';
import { BUILTIN_PROVIDER_IDS as PROVIDER_IDS } from '../../src/providers';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const sim = createSimulator({ port: Number(arg('port') ?? process.env.RUNWATCH_SIM_PORT ?? 4010), timeScale: Number(arg('scale') ?? 1) });
  await sim.start();
  if (!process.argv.includes('--empty')) for (const id of PROVIDER_IDS) sim.provider(id).seedDemo?.();
  console.log(`Runwatch provider simulator on ${sim.origin}`);
  for (const id of PROVIDER_IDS) console.log(`  ${id.padEnd(16)} base URL ${sim.baseUrl(id).padEnd(48)} key ${SIM_KEYS[id]}`);
  console.log(JSON.stringify({ ready: true, origin: sim.origin, baseUrls: Object.fromEntries(PROVIDER_IDS.map(id => [id, sim.baseUrl(id)])) }));
  const stop = () => void sim.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
