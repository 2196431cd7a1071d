import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../run/audit.js';
import type { CliIo } from '../run/io.js';
import type { ApiStats } from '../util/api-stats.js';

/**
 * The terminal side of a run: one progress bar per phase (cli-progress), and the log lines written
 * above it instead of across it. Off a terminal there is no bar and logs go straight to stderr as JSON
 * lines.
 */
export class Terminal {
  private bars: cliProgress.MultiBar | undefined;
  private bar: cliProgress.SingleBar | undefined;
  private deleteBar: cliProgress.SingleBar | undefined;
  private emptyBar: cliProgress.SingleBar | undefined;

  constructor(private readonly io: CliIo) {}

  /** Where log lines go: above the bar while it is drawn, else straight to stderr. */
  readonly write = (text: string): void => {
    if (this.bars) this.bars.log(text.endsWith('\n') ? text : `${text}\n`);
    else this.io.stderr(text);
  };

  /**
   * Progress of the phase under way (`aws`: regions listed, `gitlab`: projects read, `delete`: deletions
   * ended, with how many were deleted and failed): one bar per phase.
   */
  progress({ phase, done, total, deleted, failed }: ProgressEvent): void {
    this.bars ??= new cliProgress.MultiBar(
      {
        format: '{phase} [{bar}] {value}/{total}{results}',
        barsize: 30,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    if (phase === 'empty') {
      // A bucket's size is not known before it is listed: the bar counts objects removed so far.
      this.emptyBar ??= this.bars.create(0, 0, { phase: 'objects ', results: ' removed' });
      this.emptyBar.setTotal(total);
      this.emptyBar.update(done, { phase: 'objects ', results: ' removed' });
      return;
    }
    const label = phase === 'aws' ? 'regions ' : phase === 'gitlab' ? 'projects' : 'deletions';
    const results = phase === 'delete' ? ` · ${deleted ?? 0} deleted, ${failed ?? 0} failed` : '';
    // The deletions get their own bar under the reads': the longest phase of a reap.
    if (phase === 'delete') {
      this.deleteBar ??= this.bars.create(total, 0, { phase: label, results });
      this.deleteBar.setTotal(total);
      this.deleteBar.update(done, { phase: label, results });
      return;
    }
    this.bar ??= this.bars.create(total, 0, { phase: label, results });
    this.bar.setTotal(total);
    this.bar.update(done, { phase: label, results });
  }

  /** Ends the bars, then one line per host that had to retry (instead of one log line per attempt). */
  finish(stats: ApiStats): void {
    this.bars?.stop();
    this.bars = undefined;
    this.bar = undefined;
    this.deleteBar = undefined;
    this.emptyBar = undefined;
    for (const [host, r] of Object.entries(stats.retries())) {
      this.io.stderr(
        `${host}: ${r.retries} ${r.retries === 1 ? 'retry' : 'retries'}, waited ${(r.waitedMs / 1000).toFixed(1)} s, last status ${r.lastStatus}\n`,
      );
    }
  }
}
