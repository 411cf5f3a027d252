// Where a results file's figures come from: the commit, whether the checkout had uncommitted changes to
// tracked files (results files aside), the machine's cores and load, and the Node version. Every results file
// written by this branch's measurements (growth, start-up, tree at scale) carries it.
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Provenance {
  commit: string;
  dirty: boolean;
  cores: number;
  loadAverage1m: number;
  node: string;
  date: string;
}

export function provenance(root: string): Provenance {
  const git = (args: string) => {
    try {
      return execSync(`git ${args}`, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  };
  const status = git('status --porcelain --untracked-files=no');
  return {
    commit: git('rev-parse HEAD') ?? 'unknown',
    dirty: status === undefined || status.split('\n').some(line => line && !line.includes('bench/results/')),
    cores: os.cpus().length,
    loadAverage1m: Math.round(os.loadavg()[0] * 100) / 100,
    node: process.version,
    date: new Date().toISOString(),
  };
}

export function writeResult(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Median and range of repeated measurements. */
export function spread(values: number[], digits = 3): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 10 ** digits) / 10 ** digits;
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median: round(median), min: round(sorted[0]), max: round(sorted[sorted.length - 1]) };
}
