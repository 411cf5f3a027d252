// STUB: composition root, replaced by the VS Code layer.
import type * as vscode from 'vscode';
export function activate(_context: vscode.ExtensionContext): void {}
export function deactivate(): void {}
