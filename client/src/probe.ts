// The "Run load probe" command (poolLint.runProbe, the CodeLens above each pool). The probe opens
// real connections to a database, so it never runs in Restricted Mode: the manifest disables the
// command there (enablement and when-clause isWorkspaceTrusted) and this checks again at run time,
// because a CodeLens or a keybinding can invoke a command whatever its enablement.
import * as vscode from 'vscode';

/** What the server's CodeLens passes: the pool's file, 0-based line and pool id. */
export interface ProbeTarget {
  uri: string;
  line: number;
  poolId: string;
}

export function registerProbeCommand(output: vscode.OutputChannel): vscode.Disposable {
  return vscode.commands.registerCommand('poolLint.runProbe', async (target?: ProbeTarget) => {
    if (!vscode.workspace.isTrusted) {
      output.appendLine('[client] load probe refused: the workspace is not trusted (Restricted Mode)');
      const manage = 'Manage Workspace Trust';
      const choice = await vscode.window.showWarningMessage(
        'pool-lint: the load probe connects to a database, so it is disabled in Restricted Mode. Trust this workspace to run it.',
        manage,
      );
      if (choice === manage) await vscode.commands.executeCommand('workbench.trust.manage');
      return false;
    }
    output.appendLine(`[client] load probe requested for ${target ? `${target.uri}:${target.line + 1} (${target.poolId})` : 'no pool'}`);
    void vscode.window.showInformationMessage('pool-lint: the load probe is not in this build of the extension yet.');
    return false;
  });
}
