/** What a command may touch of the process: passed in, so commands run in tests without a child. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  /** Human messages that are not logs (usage and config errors). */
  stderr: (text: string) => void;
  /** Whether stdout/stderr are terminals (colour, progress line). */
  isTTY?: { stdout: boolean; stderr: boolean };
}
