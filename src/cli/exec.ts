import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { DatabaseModuleOptions } from '../config/database-options.interface.js';
import { type KeyNamer, optionKeyNames, resolveDatabaseOptions } from '../config/resolve-database-options.js';
import type { ResolvedDatabaseOptions } from '../config/resolved-options.js';
import type { Credentials } from '../credentials/credential-provider.interface.js';
import { redactSecrets } from '../errors/redact.js';
import { createCredentialProvider, credentialSourceFix } from '../sources/registry.js';
import { cliMessages } from './messages.js';

/** A problem `exec` or `url` reports and stops at, before any command runs: its message names the key and the fix. */
export class ToolCredentialsError extends Error {}

export interface ToolCredentials {
  resolved: ResolvedDatabaseOptions;
  credentials: Credentials;
  /**
   * Closes the source once the tool is done with the credentials: a Vault source revokes its lease then, so this
   * must come after the tool has ended, never before it starts.
   */
  release: () => Promise<void>;
}

/**
 * Validates the options and fetches credentials once from their source, as the app's pool does at
 * start. Throws a `ToolCredentialsError` without the secret in it.
 */
export async function fetchToolCredentials(
  options: DatabaseModuleOptions,
  keyName: KeyNamer = optionKeyNames,
): Promise<ToolCredentials> {
  const resolved = resolveDatabaseOptions(options, keyName);
  const provider = createCredentialProvider(resolved.credentialSource);
  const release = async (): Promise<void> => {
    await provider.close?.();
  };
  try {
    return { resolved, credentials: await provider.fetch({ reason: 'initial' }), release };
  } catch (error) {
    await release();
    const message = redactSecrets((error as Error).message || String(error), []);
    throw new ToolCredentialsError(
      cliMessages.credentialsFailed(
        resolved.credentialSource.kind,
        message,
        credentialSourceFix(resolved.credentialSource),
      ),
    );
  }
}

/** What a tool has to know of these credentials' validity, one line each, or none when the source sets no limit. */
export function validityNotices(credentials: Credentials, now = new Date()): string[] {
  const notices: string[] = [];
  if (credentials.expiresAt) notices.push(cliMessages.loginWindow(credentials.expiresAt, now));
  if (credentials.sessionsEndAt) notices.push(cliMessages.sessionsEnd(credentials.sessionsEndAt, now));
  return notices;
}

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/**
 * Runs `command` without a shell, with this process's stdio and `env`, and resolves with its exit
 * status: its code, or 128 + the signal's number when a signal ended it, as a shell reports it.
 * The signals this process receives are passed on, so `kill <exec's pid>` reaches the tool (a
 * terminal's Ctrl-C reaches both: the tool may see SIGINT twice, as under any wrapper that forwards).
 */
export function runTool(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    let settled = false;
    const settle = (status: number) => {
      if (settled) return;
      settled = true;
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
      resolve(status);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      console.error(cliMessages.spawnFailed(command, error.code ?? error.message));
      // A shell's statuses: 127 not found, 126 found but not runnable.
      settle(error.code === 'ENOENT' ? 127 : 126);
    });
    child.once('exit', (code, signal) => settle(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}
