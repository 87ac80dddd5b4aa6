// A config that cannot run: every problem is listed, one `<key.path>: <problem>` per line.

/** sysexits.h EX_CONFIG: systemd shows it, and the unit does not restart-loop on a broken config. */
export const EX_CONFIG = 78;

export class ConfigError extends Error {
  readonly exitCode = EX_CONFIG;
  readonly file: string;
  readonly problems: readonly string[];

  constructor(file: string, problems: readonly string[]) {
    super(`config ${file}: ${problems.length === 1 ? '1 problem' : `${problems.length} problems`}\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.file = file;
    this.problems = problems;
  }
}
