import type { ProgressInfo } from '@huggingface/transformers';

/**
 * Shows the download of a hub model: a progress bar on stderr when it is a terminal, else one log line per 10%.
 * Local folders report no byte progress, so nothing is shown for them.
 */
export function downloadProgress(label: string, log: (line: string) => void): (info: ProgressInfo) => void {
  let lastDecile = -1;
  return (info) => {
    if (info.status !== 'progress_total' || !(info.total > 0)) return;
    const pct = Math.min(100, Math.max(0, info.progress));
    const mb = (n: number) => (n / 2 ** 20).toFixed(1);
    if (process.stderr.isTTY) {
      const width = 30;
      const filled = Math.round((pct / 100) * width);
      const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
      process.stderr.write(`\r${label} [${bar}] ${pct.toFixed(0)}% ${mb(info.loaded)}/${mb(info.total)} MiB`);
      if (pct >= 100) process.stderr.write('\n');
      return;
    }
    const decile = Math.floor(pct / 10);
    if (decile === lastDecile) return;
    lastDecile = decile;
    log(`${label}: ${pct.toFixed(0)}% of ${mb(info.total)} MiB`);
  };
}
