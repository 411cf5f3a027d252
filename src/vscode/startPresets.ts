// The values last used to start a kind on an account, offered as the defaults of the next Start Run there.
// Kept in globalState per provider + account + kind. Never a secret: secret fields stay in SecretStorage, and a
// value that contains a registered secret (a key pasted into the wrong box) is not kept either.
import type * as vscode from 'vscode';
import { redact } from '../core/errors';
import type { ProviderId } from '../core/run';
import type { InputField, PipelineKind } from '../core/ports';

const STATE_KEY = 'runwatch.startPresets.v1';
/** Enough for every kind a user plausibly starts; the least recently used drop first. */
const MAX_PRESETS = 200;

export class StartPresets {
  constructor(private readonly state: vscode.Memento) {}

  /** The last values used for this kind on this account (field name → value), or nothing. */
  get(provider: ProviderId, accountId: string, kindId: string): Record<string, unknown> | undefined {
    const saved = this.all()[presetKey(provider, accountId, kindId)];
    return saved && typeof saved === 'object' && !Array.isArray(saved) ? (saved as Record<string, unknown>) : undefined;
  }

  /** Remembers the values of a start, without its secret fields. */
  async remember(provider: ProviderId, accountId: string, kind: PipelineKind, input: Record<string, unknown>): Promise<void> {
    const values = keepable(kind.inputs, input);
    const key = presetKey(provider, accountId, kind.id);
    const entries = Object.entries(this.all()).filter(([k]) => k !== key);
    entries.push([key, values]);
    await this.state.update(STATE_KEY, Object.fromEntries(entries.slice(-MAX_PRESETS)));
  }

  /** Forgets a provider's presets (its key was removed: the next key may see other accounts). */
  async forget(provider: ProviderId): Promise<void> {
    const kept = Object.entries(this.all()).filter(([k]) => parseKey(k)?.[0] !== provider);
    await this.state.update(STATE_KEY, Object.fromEntries(kept));
  }

  private all(): Record<string, unknown> {
    const saved = this.state.get<unknown>(STATE_KEY);
    return saved && typeof saved === 'object' && !Array.isArray(saved) ? (saved as Record<string, unknown>) : {};
  }
}

function presetKey(provider: ProviderId, accountId: string, kindId: string): string {
  return JSON.stringify([provider, accountId, kindId]);
}

function parseKey(key: string): unknown[] | undefined {
  try {
    const parsed: unknown = JSON.parse(key);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The values of declared, non-secret fields whose text holds no registered secret. */
export function keepable(fields: readonly InputField[], input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (field.secret || !(field.name in input)) continue;
    const value = input[field.name];
    const text = JSON.stringify(value);
    if (text === undefined || redact(text) !== text) continue;
    out[field.name] = value;
  }
  return out;
}
