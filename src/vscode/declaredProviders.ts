// Providers declared in settings (runwatch.customProviders) into the registry: each valid declaration becomes a
// provider; each invalid one is logged and shown as an error naming its field, and the others work.
import * as vscode from 'vscode';
import type { Logger } from '../core/http';
import type { ProviderRegistry } from '../core/registry';
import { customDescriptor } from '../providers/custom/customProvider';
import type { Settings } from './settings';

export class DeclaredProviders {
  /** The problems of the last read: one still there after an edit elsewhere in the setting is not shown again. */
  private shown = new Set<string>();

  constructor(
    private readonly settings: Settings,
    private readonly registry: ProviderRegistry,
    private readonly log: Pick<Logger, 'error'>,
  ) {}

  /** Reads the setting into the registry (whose listeners then reset the providers that came, went or changed). */
  apply(): void {
    const { declarations, problems } = this.settings.customProviders();
    for (const problem of problems) {
      this.log.error(problem);
      if (!this.shown.has(problem)) void vscode.window.showErrorMessage(vscode.l10n.t('Runwatch: {0}', problem));
    }
    this.shown = new Set(problems);
    this.registry.setDeclared(declarations.map(customDescriptor));
  }
}
