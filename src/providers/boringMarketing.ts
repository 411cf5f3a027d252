// STUB: replaced by the real BoringMarketing adapter.
import { ProviderError } from '../core/errors';
import type { Run } from '../core/run';
import type { Account, KeyCheck, PipelineKind, Provider, ProviderCapabilities, ProviderContext, RunPage, RunRef, StartResult } from './provider';

export class BoringMarketingProvider implements Provider {
  readonly id = 'boringMarketing' as const;
  readonly displayName = 'BoringMarketing';
  readonly capabilities: ProviderCapabilities = { listAccounts: false, addAccount: 'none', listRuns: false, cancel: false, result: false };
  readonly keyHelp = { prompt: 'BoringMarketing API key', placeholder: '' };
  constructor(readonly context: ProviderContext) {}
  checkKeyFormat(_key: string): KeyCheck {
    return {};
  }
  private todo(): never {
    throw new ProviderError('unsupported', 'BoringMarketing is not implemented yet');
  }
  async validateKey(): Promise<void> {
    this.todo();
  }
  cadenceMs(): number {
    return 10_000;
  }
  async listAccounts(): Promise<Account[]> {
    return this.todo();
  }
  async listRuns(_account: Account, _cursor?: string): Promise<RunPage> {
    return this.todo();
  }
  async getRun(_ref: RunRef): Promise<Run> {
    return this.todo();
  }
  async listKinds(_account: Account): Promise<PipelineKind[]> {
    return this.todo();
  }
  async startRun(_account: Account, _kind: PipelineKind, _input: Record<string, unknown>): Promise<StartResult> {
    return this.todo();
  }
}
