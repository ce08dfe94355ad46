/**
 * Everything wrong with a configuration, found in one pass. The CLI prints `message` and exits
 * with CONFIG_EXIT_CODE (78, EX_CONFIG in sysexits.h), which systemd can treat as "do not restart":
 * `RestartPreventExitStatus=78`.
 */
export interface ConfigProblem {
  /** Where: `sensors[0].measurements.altitude.unit`, or the file itself for file-level problems. */
  path: string;
  /** What is wrong, quoting what was given. */
  message: string;
  /** What to do about it: allowed values, a suggestion. */
  hint: string;
}

export const CONFIG_EXIT_CODE = 78;

export function formatProblem(problem: ConfigProblem): string {
  return `${problem.path}: ${problem.message} (${problem.hint})`;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly exitCode = CONFIG_EXIT_CODE;

  /**
   * @param problems every problem found, in the order found (at least one)
   * @param source the file (or "<text>") the configuration came from, for the first line
   */
  constructor(
    readonly problems: ConfigProblem[],
    readonly source?: string,
  ) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super([`invalid configuration${source ? ` in ${source}` : ''} (${count}):`, ...problems.map(formatProblem)].join('\n'));
  }
}
