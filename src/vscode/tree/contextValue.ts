// The contextValue strings tree nodes emit, in one place, free of `vscode` imports so that the manifest
// test (plain Node) can check package.json's menu `when` clauses against exactly what the nodes produce.
//
// Shape: `<kind>[.<segment>][.<flag>]*`, e.g. `run.failed.rerunnable.hasError`. Menus match with
// `viewItem =~ /^run\b.*\.cancellable\b/`; flags come in a fixed order so values are stable.
import type { RunStatus } from '../../core/run';

export const PROVIDER_FLAGS = ['keyed', 'noKey', 'authFailed', 'addAccount'] as const;
export const ACCOUNT_FLAGS = ['removable'] as const;
export const RUN_FLAGS = [
  'cancellable',
  'rerunnable',
  'stuck',
  'stale',
  'gone',
  'hasError',
  'hasResult',
  'dataProduct',
  'dashboard',
  'tracked',
] as const;
export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'unknown'];

export type ProviderFlag = (typeof PROVIDER_FLAGS)[number];
export type AccountFlag = (typeof ACCOUNT_FLAGS)[number];
export type RunFlag = (typeof RUN_FLAGS)[number];

/** Node kinds with no menu of their own (their click command does the work). */
export const PLAIN_KINDS = ['stage', 'runError', 'link', 'action', 'message'] as const;
export type PlainKind = (typeof PLAIN_KINDS)[number];

function build<F extends string>(head: string, order: readonly F[], flags: Partial<Record<F, boolean>>): string {
  return [head, ...order.filter(f => flags[f])].join('.');
}

export function providerContext(flags: Partial<Record<ProviderFlag, boolean>>): string {
  return build('provider', PROVIDER_FLAGS, flags);
}

export function accountContext(flags: Partial<Record<AccountFlag, boolean>>): string {
  return build('account', ACCOUNT_FLAGS, flags);
}

export function runContext(status: RunStatus, flags: Partial<Record<RunFlag, boolean>>): string {
  return build(`run.${status}`, RUN_FLAGS, flags);
}

export function plainContext(kind: PlainKind): string {
  return kind;
}

/** Every value a flag set can turn into: each subset of the flags (used by the manifest test). */
function subsets<F extends string>(flags: readonly F[]): Partial<Record<F, boolean>>[] {
  const out: Partial<Record<F, boolean>>[] = [];
  for (let mask = 0; mask < 1 << flags.length; mask++) {
    const set: Partial<Record<F, boolean>> = {};
    flags.forEach((f, i) => {
      if (mask & (1 << i)) set[f] = true;
    });
    out.push(set);
  }
  return out;
}

/** Every contextValue the tree can emit. */
export function allContextValues(): string[] {
  const values = new Set<string>();
  for (const s of subsets(PROVIDER_FLAGS)) values.add(providerContext(s));
  for (const s of subsets(ACCOUNT_FLAGS)) values.add(accountContext(s));
  for (const status of RUN_STATUSES) for (const s of subsets(RUN_FLAGS)) values.add(runContext(status, s));
  for (const kind of PLAIN_KINDS) values.add(plainContext(kind));
  return [...values];
}

/** The flags a menu must refer to: a flag no menu uses would be dead weight in every contextValue. */
export function allFlags(): string[] {
  return [...PROVIDER_FLAGS, ...ACCOUNT_FLAGS, ...RUN_FLAGS];
}
