// What every tree node is, and what nodes may ask of the tree they live in.
import type * as vscode from 'vscode';
import type { RunwatchService } from '../../core/contracts';
import type { ProviderId } from '../../core/run';
import type { Account } from '../../core/ports';
import type { AdapterCapabilities } from '../runActions';

/**
 * What nodes may ask of the tree they live in. It hands out nodes as RunwatchNode only: the concrete node
 * classes are built by the tree (runTreeProvider.ts), so this file depends on none of them (no type cycle).
 */
export interface TreeContext {
  readonly service: RunwatchService;
  now(): number;
  /** The cached node for an account, created on first use, so the same object is fired later. */
  accountNode(provider: ProviderId, account: Account): RunwatchNode;
  /** The cached node for a run, created on first use. */
  runNode(key: string): RunwatchNode | undefined;
  /** What a provider's adapter can do, as last read outside a render (see AdapterCapabilities). */
  capabilities(provider: ProviderId): AdapterCapabilities;
  /** Whether an account's run list has been requested (first expansion loads it). */
  runsRequested(provider: ProviderId, accountId: string): boolean;
  markRunsRequested(provider: ProviderId, accountId: string): void;
  /** An account row was given this collapsible state (VS Code keeps the user's own after the first). */
  noteExpansion(id: string, expanded: boolean): void;
  /** The label an account shows (`acme.com`), falling back to its id. */
  accountLabel(provider: ProviderId, accountId: string): string;
}

export abstract class RunwatchNode {
  /** Stable across refreshes, so VS Code keeps expansion and selection. */
  abstract readonly id: string;
  abstract readonly parent: RunwatchNode | undefined;
  abstract getTreeItem(): vscode.TreeItem;
  getChildren(): RunwatchNode[] | Promise<RunwatchNode[]> {
    return [];
  }
  /** Filled in on hover (tooltips can be costly and their freshness text should be current). */
  resolveTooltip(): vscode.MarkdownString | string | undefined {
    return undefined;
  }
}

export function accountNodeId(provider: ProviderId, accountId: string): string {
  return `account:${provider}:${accountId}`;
}

export function runNodeId(key: string): string {
  // key is `<provider>:<runId>` (runKey), so this reads `run:<provider>:<runId>`.
  return `run:${key}`;
}
