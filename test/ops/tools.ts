// Tests that need a system program (systemd-analyze, systemd-notify, python3) fail under CI when it is
// missing (.ci/run installs it) and skip elsewhere, saying why.
import { execFileSync } from 'node:child_process';

export function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Returns the names of missing tools; throws under CI so a missing tool can never pass as a skip. */
export function missingTools(names: string[]): string[] {
  const missing = names.filter((n) => !hasTool(n));
  if (missing.length > 0) {
    if (process.env.CI) throw new Error(`required tools missing under CI: ${missing.join(', ')}`);
    console.warn(`skipping: ${missing.join(', ')} not installed`);
  }
  return missing;
}
