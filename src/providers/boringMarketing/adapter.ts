// Boring Marketing (providers.md §1, seeds/000): brands are the accounts; nine pipeline triggers under
// /brands/{id}/ return 202 {run_id}; runs are polled at /brands/{id}/runs/{run_id} and report stage progress
// in meta.current_stage. A 409 on start names the run already going (X-Running-Run-Id): Runwatch adopts it.
import * as l10n from '@vscode/l10n';
import { ProviderError, isProviderError, registerSecretPatterns } from '../../core/errors';
import type { HttpClient } from '../../core/http';
import type { Run } from '../../core/run';
import { checkPrefix, providerHttp } from '../common';
import type {
  Account,
  CadenceContext,
  KeyCheck,
  PipelineKind,
  Provider,
  ProviderCapabilities,
  ProviderContext,
  RunPage,
  RunRef,
  StartResult,
  ProviderDescriptor,
} from '../../core/ports';
import { describeBoringMarketingError } from './errorBodies';
import { findKindSpec, KIND_SPECS, normalizeDomain, type KindSpec } from './kinds';
import { markStopped, queuedRun, toAccount, toRun, isFullRun } from './mapping';
import { brandListSchema, brandSchema, cancelSchema, runListSchema, runSchema, triggerSchema, usageSchema } from './wire';

const PROVIDER_NAME = 'Boring Marketing';

// ---- the adapter ---------------------------------------------------------------------------------

/** Discovery's documented 10–20 minutes, with room to spare. */
const DISCOVERY_STUCK_AFTER_MS = 30 * 60_000;

export class BoringMarketingProvider implements Provider {
  readonly id = 'boringMarketing' as const;
  readonly displayName = PROVIDER_NAME;
  readonly capabilities: ProviderCapabilities = { listAccounts: true, addAccount: 'create', listRuns: true, cancel: true, result: false, pollsByList: true };

  /** `full` → `Analyze`: the name the kind is started by, without the explanation in brackets. */
  kindLabel(kind: string): string | undefined {
    return findKindSpec(kind)?.label.replace(/\s*\(.*\)\s*$/, '');
  }

  /** Discovery reports no stage and takes 10–20 minutes: it is stuck only well past that, whatever the setting. */
  stuckThresholdMs(run: Run, configuredMs: number): number | undefined {
    return findKindSpec(run.kind)?.id === 'discovery' ? Math.max(configuredMs, DISCOVERY_STUCK_AFTER_MS) : undefined;
  }

  /** A listed run of a kind that takes no required input can be started again as it was. */
  rerunsWithoutInput(run: Run): boolean {
    const spec = findKindSpec(run.kind);
    return !!spec && !spec.inputs.some(f => f.required);
  }
  readonly keyHelp = {
    prompt: 'Boring Marketing API key (dashboard → Settings → API Access)',
    placeholder: 'bm_…',
  };
  private readonly http: HttpClient;

  constructor(readonly context: ProviderContext) {
    // Its key shapes are scrubbed wherever this adapter is used, registry or not (the registry adds them too).
    registerSecretPatterns(boringMarketingDescriptor.secretPatterns);
    this.http = providerHttp(context, PROVIDER_NAME, 'x-api-key', describeBoringMarketingError);
  }

  checkKeyFormat(key: string): KeyCheck {
    return checkPrefix(key, boringMarketingDescriptor.keyPrefixes, PROVIDER_NAME);
  }

  async validateKey(): Promise<void> {
    try {
      await this.http.send({ method: 'GET', path: '/auth/usage', schema: usageSchema });
    } catch (e) {
      // An API without /auth/usage still proves the key with the brand list.
      if (!isProviderError(e) || e.kind !== 'notFound') throw e;
      await this.http.send({ method: 'GET', path: '/brands', schema: brandListSchema });
    }
  }

  /** Polling guide: 10–15 s for full pipeline runs, 5 s for single-stage runs. */
  cadenceMs(run: Run, _context?: CadenceContext): number {
    const spec = findKindSpec(run.kind);
    return spec?.singleStage ? 5_000 : 10_000;
  }

  async listAccounts(): Promise<Account[]> {
    const { data } = await this.http.send({ method: 'GET', path: '/brands', schema: brandListSchema });
    return (Array.isArray(data) ? data : data.brands).map(toAccount);
  }

  async addAccount(input: { value: string; label?: string }): Promise<Account> {
    const domain = normalizeDomain(input.value);
    if (!domain) throw new ProviderError('validation', 'Enter the brand\'s domain, like "acme.com".');
    const name = input.label?.trim() || domain;
    const { data } = await this.http.send({ method: 'POST', path: '/brands', body: { domain, name }, schema: brandSchema });
    return toAccount({ domain, name, ...data });
  }

  async listRuns(account: Account): Promise<RunPage> {
    const { data } = await this.http.send({ method: 'GET', path: `/brands/${enc(account.id)}/runs`, schema: runListSchema });
    const runs = Array.isArray(data) ? data : data.runs;
    const total = Array.isArray(data) ? undefined : (data.total ?? undefined);
    return { runs: runs.map(r => toRun(r, account.id)), total: total ?? runs.length, fullRuns: runs.length ? runs.every(isFullRun) : undefined };
  }

  async getRun(ref: RunRef): Promise<Run> {
    const { data } = await this.http.send({ method: 'GET', path: runPath(ref), schema: runSchema });
    return toRun(data, ref.accountId);
  }

  async listKinds(_account: Account): Promise<PipelineKind[]> {
    return KIND_SPECS.map(({ id, label, description, inputs }) => ({ id, label, description, inputs: inputs.map(i => ({ ...i })) }));
  }

  async startRun(account: Account, kind: PipelineKind, input: Record<string, unknown>): Promise<StartResult> {
    const spec = findKindSpec(kind.id);
    if (!spec) throw new ProviderError('unsupported', `${PROVIDER_NAME} has no pipeline "${kind.id}".`);
    const request = spec.request(input);
    let runId: string;
    try {
      const { data } = await this.http.send({
        method: 'POST',
        path: `/brands/${enc(account.id)}/${spec.route}`,
        body: request.body,
        query: request.query,
        schema: triggerSchema,
      });
      runId = data.run_id;
    } catch (e) {
      if (isProviderError(e) && e.kind === 'conflict') return this.adoptRunningRun(account, spec, e);
      throw e;
    }
    const run = await this.getRun({ accountId: account.id, id: runId, kind: spec.id }).catch((e: unknown) => {
      // The run exists; a failed first poll must not lose it. The scheduler fills it in on the next poll.
      if (isProviderError(e) && e.stopsProvider) throw e;
      return queuedRun(account.id, runId, spec.id);
    });
    return { run };
  }

  async cancelRun(ref: RunRef): Promise<Run> {
    await this.http.send({ method: 'POST', path: `${runPath(ref)}/cancel`, schema: cancelSchema });
    // The API records a cancel as `failed`; the cancel response is the marker that tells them apart.
    const run = await this.getRun(ref).catch((e: unknown) => {
      if (isProviderError(e) && e.stopsProvider) throw e;
      return { ...queuedRun(ref.accountId, ref.id, ref.kind ?? ''), rawStatus: 'failed' };
    });
    return { ...run, status: 'cancelled', error: undefined, progress: markStopped(run.progress) };
  }

  /** 409: a run is already going on the brand. Follow it instead of failing or starting another. */
  private async adoptRunningRun(account: Account, spec: KindSpec, conflict: ProviderError): Promise<StartResult> {
    const headerId = conflict.headers?.['x-running-run-id']?.trim();
    let run: Run | undefined;
    if (headerId) {
      try {
        run = await this.getRun({ accountId: account.id, id: headerId });
      } catch (e) {
        if (!isProviderError(e) || e.kind !== 'notFound') throw e;
      }
    }
    if (!run) {
      // No usable header: the blocking run is an active one of the same kind, or a full run, or any.
      const { runs } = await this.listRuns(account);
      const active = runs.filter(r => r.status === 'queued' || r.status === 'running' || r.status === 'unknown');
      const found = active.find(r => r.kind === spec.id) ?? active.find(r => r.kind === 'full') ?? active[0];
      if (!found) throw conflict;
      run = await this.getRun({ accountId: account.id, id: found.id }).catch(() => found);
    }
    const sameKind = run.kind === spec.id;
    const words = (run.kind || 'pipeline').replace(/_/g, ' ');
    let message = `A ${words} run was already going on ${account.label}; Runwatch is following it instead of starting another.`;
    if (!sameKind) message += ` Start ${spec.label} again once it finishes.`;
    return { run, adopted: true, message };
  }
}

function runPath(ref: RunRef): string {
  return `/brands/${enc(ref.accountId)}/runs/${enc(ref.id)}`;
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

/** The provider as Runwatch registers it: its facts and its adapter. */
export const boringMarketingDescriptor = {
  id: 'boringMarketing' as const,
  displayName: PROVIDER_NAME,
  defaultBaseUrl: 'https://api.boringmarketing.com',
  // A getter: the noun is translated when shown (the l10n bundle loads after this module).
  get accountNoun() {
    return l10n.t('brand');
  },
  icon: 'organization',
  keyPrefixes: ['bm_'],
  secretPatterns: [/\bbm_[A-Za-z0-9_-]{6,}/g],
  create: context => new BoringMarketingProvider(context),
} satisfies ProviderDescriptor;
