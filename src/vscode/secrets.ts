// API keys and provider secrets in VS Code's SecretStorage (the OS keychain), never anywhere else.
// Which providers have a key is also remembered in globalState (ids only), so the tree can answer
// `hasKey` synchronously at activation without waiting on the keychain; it is verified right after.
import * as vscode from 'vscode';
import type { KeyVault } from '../core/contracts';
import { registerSecret } from '../core/errors';
import type { Logger } from '../core/http';
import type { ProviderId } from '../core/run';
import { IsolatingEmitter } from './emitter';

const KEYED_PROVIDERS_STATE = 'runwatch.keyedProviders.v1';
/** Names (never values) of the other secrets stored per provider, so that clearing the key can remove them. */
const PROVIDER_SECRET_NAMES_STATE = 'runwatch.providerSecretNames.v1';

export function keySecretName(id: ProviderId): string {
  return `runwatch.key.${id}`;
}

export function providerSecretName(id: ProviderId, name: string): string {
  return `runwatch.secret.${id}.${name}`;
}

/** The OS keychain refused: the message says what to do about it. */
export class KeychainUnavailableError extends Error {
  constructor(action: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      vscode.l10n.t(
        'Runwatch could not {0} because the OS keychain is unavailable ({1}). Keys are only ever kept in the keychain. On Linux, install and unlock a keyring (for example gnome-keyring or KWallet), or start VS Code with --password-store=basic; then try again.',
        action,
        detail,
      ),
    );
    this.name = 'KeychainUnavailableError';
  }
}

export interface KeyChange {
  id: ProviderId;
  hasKey: boolean;
  /** The change came from another window or from the start-up check, not from this window's commands. */
  external: boolean;
}

export class SecretKeyVault implements KeyVault, vscode.Disposable {
  private readonly keyed = new Set<ProviderId>();
  /** Secret names this window just wrote: their onDidChange echo is not news. */
  private readonly ownWrites = new Map<string, number>();
  private readonly keyChanges: IsolatingEmitter<KeyChange>;
  /** A provider's key was set, replaced or cleared (here, in another window, or found so by the start-up check). */
  readonly onDidChangeKeys: vscode.Event<KeyChange>;
  private readonly subscription: vscode.Disposable;
  /** Settles once the remembered list has been checked against the keychain. */
  readonly ready: Promise<void>;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly state: vscode.Memento,
    private readonly log: Logger,
    /** The providers Runwatch knows (the registry's ids), in the order the UI lists them. */
    private readonly providerIds: () => readonly ProviderId[],
  ) {
    this.keyChanges = new IsolatingEmitter('key change', log);
    this.onDidChangeKeys = this.keyChanges.event;
    const remembered = state.get<unknown>(KEYED_PROVIDERS_STATE);
    for (const id of Array.isArray(remembered) ? remembered : []) {
      // Also a provider not known now (one declared in settings, gone for now): its key is still stored.
      if (typeof id === 'string') this.keyed.add(id);
    }
    this.subscription = secrets.onDidChange(e => void this.onSecretChanged(e.key));
    this.ready = this.verify();
  }

  hasKey(id: ProviderId): boolean {
    return this.keyed.has(id) && this.providerIds().includes(id);
  }

  keyedProviders(): ProviderId[] {
    return this.providerIds().filter(id => this.keyed.has(id));
  }

  async getKey(id: ProviderId): Promise<string | undefined> {
    const key = await this.read(keySecretName(id));
    registerSecret(key);
    return key;
  }

  async getSecret(id: ProviderId, name: string): Promise<string | undefined> {
    const value = await this.read(providerSecretName(id, name));
    registerSecret(value);
    return value;
  }

  async setKey(id: ProviderId, key: string): Promise<void> {
    registerSecret(key);
    await this.write(keySecretName(id), key);
    this.setKeyed(id, true, false);
  }

  async deleteKey(id: ProviderId): Promise<void> {
    await this.write(keySecretName(id), undefined);
    this.setKeyed(id, false, false);
  }

  async setSecret(id: ProviderId, name: string, value: string): Promise<void> {
    registerSecret(value);
    await this.write(providerSecretName(id, name), value);
    const names = this.secretNames(id);
    if (!names.includes(name)) await this.state.update(PROVIDER_SECRET_NAMES_STATE, { ...this.allSecretNames(), [id]: [...names, name] });
  }

  /** Names of the provider's other stored secrets (Automindz's third-party keys). */
  secretNames(id: ProviderId): string[] {
    const names: unknown = this.allSecretNames()[id];
    return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
  }

  /** Removes the provider's other secrets; the next run that needs one asks for it again. */
  async deleteSecrets(id: ProviderId): Promise<void> {
    for (const name of this.secretNames(id)) await this.write(providerSecretName(id, name), undefined);
    await this.state.update(PROVIDER_SECRET_NAMES_STATE, { ...this.allSecretNames(), [id]: [] });
  }

  private allSecretNames(): Partial<Record<ProviderId, string[]>> {
    return this.state.get<Partial<Record<ProviderId, string[]>>>(PROVIDER_SECRET_NAMES_STATE) ?? {};
  }

  private async read(name: string): Promise<string | undefined> {
    try {
      return await this.secrets.get(name);
    } catch (e) {
      throw new KeychainUnavailableError(vscode.l10n.t('read a key'), e);
    }
  }

  private async write(name: string, value: string | undefined): Promise<void> {
    this.ownWrites.set(name, (this.ownWrites.get(name) ?? 0) + 1);
    try {
      if (value === undefined) await this.secrets.delete(name);
      else await this.secrets.store(name, value);
    } catch (e) {
      this.consumeOwnWrite(name);
      throw new KeychainUnavailableError(value === undefined ? vscode.l10n.t('remove the key') : vscode.l10n.t('store the key'), e);
    }
  }

  private consumeOwnWrite(name: string): boolean {
    const count = this.ownWrites.get(name);
    if (!count) return false;
    if (count === 1) this.ownWrites.delete(name);
    else this.ownWrites.set(name, count - 1);
    return true;
  }

  private setKeyed(id: ProviderId, has: boolean, external: boolean): void {
    const changed = this.keyed.has(id) !== has;
    if (has) this.keyed.add(id);
    else this.keyed.delete(id);
    if (changed) this.state.update(KEYED_PROVIDERS_STATE, [...this.keyed]).then(undefined, e => this.log.warn(`Runwatch could not save which providers have a key: ${e instanceof Error ? e.message : String(e)}`));
    // A replaced key is a change too (has stays true), so listeners always hear of it.
    this.keyChanges.fire({ id, hasKey: has, external });
  }

  /** Another window (or this one) changed a secret; only other windows' changes are news here. */
  private async onSecretChanged(name: string): Promise<void> {
    if (this.consumeOwnWrite(name)) return;
    if (name.startsWith('runwatch.secret.')) {
      // Another window stored a third-party key or a secret input: redact it here too.
      await this.secrets.get(name).then(registerSecret, () => undefined);
      return;
    }
    const id = this.providerIds().find(p => keySecretName(p) === name);
    if (!id) return;
    try {
      const key = await this.secrets.get(name);
      registerSecret(key);
      this.setKeyed(id, !!key, true);
    } catch (e) {
      this.log.warn(`Could not read the ${id} key after it changed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** The known providers changed (a provider declared in settings came): their keys are checked as at activation. */
  recheck(): Promise<void> {
    return this.verify();
  }

  /**
   * Checks the remembered list against the keychain; corrects it and tells listeners on a mismatch. Every other
   * stored secret (Automindz's third-party keys, Adlyse's secret inputs) is read too, so that all of them are
   * redacted from this window's first log line on, not only once a run needs them.
   */
  private async verify(): Promise<void> {
    await Promise.all([
      ...this.providerIds().flatMap(id =>
        this.secretNames(id).map(async name => {
          try {
            registerSecret(await this.secrets.get(providerSecretName(id, name)));
          } catch (e) {
            this.log.warn(`The OS keychain could not be read for a ${id} secret: ${e instanceof Error ? e.message : String(e)}`);
          }
        }),
      ),
      ...this.providerIds().map(async id => {
        try {
          const key = await this.secrets.get(keySecretName(id));
          registerSecret(key);
          if (!!key !== this.keyed.has(id)) this.setKeyed(id, !!key, true);
        } catch (e) {
          this.log.warn(`The OS keychain could not be read for ${id}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }),
    ]);
  }

  dispose(): void {
    this.subscription.dispose();
    this.keyChanges.dispose();
  }
}
