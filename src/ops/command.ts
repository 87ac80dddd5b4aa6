// Runs a short-lived helper program (systemd-notify, timedatectl). Injected so tests can substitute answers.
import { execFile } from 'node:child_process';

export interface CommandResult {
  /** Exit code, or null when the program could not be started or was killed (see `error`). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why the program did not run to an exit code: ENOENT, a timeout, a signal. */
  error?: string;
}

export type CommandRunner = (
  file: string,
  args: readonly string[],
  opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number },
) => Promise<CommandResult>;

/** Never rejects: a missing program or a timeout is reported in the result, so callers decide what it means. */
export const runCommand: CommandRunner = (file, args, opts = {}) =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 10_000, encoding: 'utf8', maxBuffer: 64 * 1024 },
      (err, stdout, stderr) => {
        if (!err) return resolve({ code: 0, stdout, stderr });
        const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: string };
        if (typeof e.code === 'number') return resolve({ code: e.code, stdout, stderr });
        const why = e.killed ? `killed by ${e.signal ?? 'signal'} (timeout?)` : (e.code ?? e.message);
        resolve({ code: null, stdout, stderr, error: String(why) });
      },
    );
  });
