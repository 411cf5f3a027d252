// Reads `runwatch.*` settings into the shapes the core takes, and says which parts changed.
import * as tls from 'node:tls';
import * as vscode from 'vscode';
import type { FocusMode, SchedulerOptions } from '../core/contracts';
import { validateBaseUrl, type Logger } from '../core/http';
import type { NetworkSettings } from '../core/network';
import type { ProviderRegistry } from '../core/registry';
import type { ProviderId } from '../core/run';
import { CUSTOM_PROVIDERS_SETTING, parseCustomProviders, type CustomDeclarations } from '../providers/custom/declaration';
import { IsolatingEmitter } from './emitter';
import { clampSetting } from './settingRanges';

export interface NotificationSettings {
  onSuccess: boolean;
  onFailure: boolean;
  onCancel: boolean;
  onStuck: boolean;
  /** Status bar only while the Runwatch view is visible and the window focused. */
  quietWhenViewFocused: boolean;
}

export interface SettingsChange {
  scheduler: boolean;
  baseUrls: ProviderId[];
  staleAfterFailures: boolean;
  timeout: boolean;
  notifications: boolean;
  /** Which providers the tree lists changed. */
  treeProviders: boolean;
  /** VS Code's proxy or certificate settings (`http.*`) changed. */
  network: boolean;
  /** runwatch.customProviders changed. */
  customProviders: boolean;
}

const FOCUS_MODES: FocusMode[] = ['slow', 'pause', 'normal'];

/** The `runwatch.*` setting keys a manifest (package.json) contributes, without the `runwatch.` prefix. */
export function contributedSettingKeys(manifest: { contributes?: { configuration?: unknown } }): Set<string> {
  const configuration = manifest.contributes?.configuration;
  const sections = (Array.isArray(configuration) ? configuration : [configuration]) as ({ properties?: Record<string, unknown> } | undefined)[];
  const keys = new Set<string>();
  for (const section of sections) {
    for (const name of Object.keys(section?.properties ?? {})) if (name.startsWith('runwatch.')) keys.add(name.slice('runwatch.'.length));
  }
  return keys;
}

export class Settings implements vscode.Disposable {
  private readonly changes: IsolatingEmitter<SettingsChange>;
  /** Which parts of the settings changed. */
  readonly onDidChange: vscode.Event<SettingsChange>;
  private readonly subscription: vscode.Disposable;
  /** Validated base URLs: asked for on every tree render, so read once per settings change. */
  private readonly baseUrls = new Map<ProviderId, { ok: true; url: string } | { ok: false; reason: string }>();
  private readonly registrySubscription: { dispose(): void };
  private declared: CustomDeclarations | undefined;
  private section: vscode.WorkspaceConfiguration | undefined;

  constructor(
    private readonly providers: ProviderRegistry,
    log: Pick<Logger, 'error'>,
    /** The setting keys the manifest contributes, without `runwatch.` (contributedSettingKeys). */
    private readonly contributed: ReadonlySet<string>,
  ) {
    this.changes = new IsolatingEmitter('settings change', log);
    this.onDidChange = this.changes.event;
    this.subscription = vscode.workspace.onDidChangeConfiguration(e => {
      // Registered before any other Runwatch listener, so none of them reads the section from before the change.
      this.section = undefined;
      if (!e.affectsConfiguration('runwatch') && !e.affectsConfiguration('http')) return;
      this.baseUrls.clear();
      this.declared = undefined;
      const change: SettingsChange = {
        scheduler: e.affectsConfiguration('runwatch.polling') || e.affectsConfiguration('runwatch.stuckThresholdMinutes'),
        baseUrls: this.providers.ids().filter(id => e.affectsConfiguration(`runwatch.providers.${id}.baseUrl`)),
        staleAfterFailures: e.affectsConfiguration('runwatch.staleAfterFailures'),
        timeout: e.affectsConfiguration('runwatch.requestTimeoutSeconds'),
        notifications: e.affectsConfiguration('runwatch.notifications'),
        treeProviders: e.affectsConfiguration('runwatch.showProvidersWithoutKey'),
        network: e.affectsConfiguration('http'),
        customProviders: e.affectsConfiguration(CUSTOM_PROVIDERS_SETTING),
      };
      this.changes.fire(change);
    });
    // A declared provider's default base URL is its declaration's: read again once the declarations change.
    this.registrySubscription = providers.onDidChange(() => this.baseUrls.clear());
  }

  /** The `runwatch` section as VS Code has it now; read again after a configuration change. */
  private get config(): vscode.WorkspaceConfiguration {
    return (this.section ??= vscode.workspace.getConfiguration('runwatch'));
  }

  /**
   * The user's value of a setting, or its default: never a workspace's, so a .vscode/settings.json can neither
   * redirect a key nor slow, pause or silence Runwatch. Every contributed `runwatch.*` setting is
   * application-scoped (manifest.test.ts), and VS Code takes those from the user alone: their effective value
   * is the one wanted, a lookup in the section read once. `inspect()`, which merges every scope and language
   * override on each call, is left for the keys the manifest does not contribute (a declared provider's base
   * URL or minimum interval), which VS Code would take from a workspace.
   */
  private userValue(key: string): unknown {
    if (this.contributed.has(key)) return this.config.get<unknown>(key);
    return this.config.inspect<unknown>(key)?.globalValue;
  }

  private number(key: string, fallback: number): number {
    return clampSetting(key, this.userValue(key), fallback);
  }

  private boolean(key: string, fallback: boolean): boolean {
    const value = this.userValue(key);
    return typeof value === 'boolean' ? value : fallback;
  }

  /**
   * The provider's base URL, validated. Only the user (global) value counts: the setting is
   * application-scoped, and reading `globalValue` makes sure a workspace can never redirect a key.
   */
  baseUrl(id: ProviderId): { ok: true; url: string } | { ok: false; reason: string } {
    let result = this.baseUrls.get(id);
    if (!result) {
      result = this.readBaseUrl(id);
      this.baseUrls.set(id, result);
    }
    return result;
  }

  private readBaseUrl(id: ProviderId): { ok: true; url: string } | { ok: false; reason: string } {
    const raw = this.userValue(`providers.${id}.baseUrl`);
    const value = typeof raw === 'string' && raw.trim() ? raw : this.providers.facts(id).defaultBaseUrl;
    return validateBaseUrl(value);
  }

  /** The providers declared in settings (the user value only, like every runwatch setting), read once per change. */
  customProviders(): CustomDeclarations {
    this.declared ??= parseCustomProviders(this.userValue('customProviders'));
    return this.declared;
  }

  scheduler(): SchedulerOptions {
    const mode = this.userValue('polling.whenUnfocused');
    const minIntervalMs: Partial<Record<ProviderId, number>> = {};
    for (const id of this.providers.ids()) {
      const seconds = this.number(`polling.minIntervalSeconds.${id}`, 0);
      if (seconds > 0) minIntervalMs[id] = seconds * 1000;
    }
    return {
      whenUnfocused: FOCUS_MODES.includes(mode as FocusMode) ? (mode as FocusMode) : 'slow',
      unfocusedFactor: this.number('polling.unfocusedFactor', 3),
      maxConcurrentPerProvider: this.number('polling.maxConcurrentPerProvider', 4),
      stuckAfterMs: this.number('stuckThresholdMinutes', 15) * 60_000,
      minIntervalMs,
    };
  }

  staleAfterFailures(): number {
    return this.number('staleAfterFailures', 3);
  }

  timeoutMs(): number {
    return this.number('requestTimeoutSeconds', 15) * 1000;
  }

  /** Every provider gets a row in the tree, also those without a key (default: they fold into one row). */
  showProvidersWithoutKey(): boolean {
    return this.boolean('showProvidersWithoutKey', false);
  }

  notifications(): NotificationSettings {
    return {
      onSuccess: this.boolean('notifications.onSuccess', true),
      onFailure: this.boolean('notifications.onFailure', true),
      onCancel: this.boolean('notifications.onCancel', false),
      onStuck: this.boolean('notifications.onStuck', true),
      quietWhenViewFocused: this.boolean('notifications.quietWhenViewFocused', true),
    };
  }

  /**
   * VS Code's own proxy and certificate settings, for Runwatch's dispatcher. Called when the dispatcher is
   * built (the first request after a change), not at activation: reading the system store can take a while.
   */
  network(log: Logger): NetworkSettings {
    const http = vscode.workspace.getConfiguration('http');
    const proxy = http.get<string>('proxy');
    const proxyAuthorization = http.get<string | null>('proxyAuthorization');
    const noProxy = http.get<unknown>('noProxy');
    return {
      proxy: typeof proxy === 'string' && proxy.trim() ? proxy.trim() : undefined,
      noProxy: Array.isArray(noProxy) ? noProxy.filter((x): x is string => typeof x === 'string') : [],
      strictSSL: http.get<boolean>('proxyStrictSSL') !== false,
      proxyAuthorization: typeof proxyAuthorization === 'string' && proxyAuthorization ? proxyAuthorization : undefined,
      ca: http.get<boolean>('systemCertificates') !== false ? this.systemCertificates(log) : undefined,
    };
  }

  /**
   * Whether VS Code applies its proxy settings to the global fetch itself (`http.proxySupport` not off and
   * `http.fetchAdditionalSupport` on): it then resolves the proxy per request, the OS proxy configuration
   * included, and replaces any dispatcher a caller passes.
   */
  globalFetchFollowsProxySettings(): boolean {
    const http = vscode.workspace.getConfiguration('http');
    return http.get<string>('proxySupport', 'override') !== 'off' && http.get<boolean>('fetchAdditionalSupport', true) !== false;
  }

  private saidNoSystemCertificates = false;

  /** The OS certificate store, where this Node can read it (22.15 / 23.5 and later); else undefined (Node's roots). */
  private systemCertificates(log: Logger): string[] | undefined {
    const getCACertificates = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
    if (getCACertificates) {
      try {
        return getCACertificates('system');
      } catch (e) {
        if (!this.saidNoSystemCertificates) log.warn(`Could not read the system certificates (${(e as Error).message}); Runwatch trusts Node's built-in roots only.`);
      }
    } else if (!this.saidNoSystemCertificates) {
      log.warn(`http.systemCertificates: Node ${process.version} cannot read the system certificate store; Runwatch trusts Node's built-in roots only.`);
    }
    this.saidNoSystemCertificates = true;
    return undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    this.registrySubscription.dispose();
    this.changes.dispose();
  }
}
