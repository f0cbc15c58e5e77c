import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number | undefined): void;
  stop(): void;
}

const NO_PROGRESS: Progress = { update() {}, stop() {} };

/** A progress bar (drawn on stderr) when stdout is a terminal and output is for people; otherwise nothing. */
export function progressBar(label: string, json: boolean): Progress {
  if (json || !process.stdout.isTTY || !process.stderr.isTTY) return NO_PROGRESS;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(9)} [{bar}] {percentage}% {done}/{size} MiB`,
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      const size = total ?? done;
      if (!started) {
        bar.start(size, 0, { done: '0.0', size: mib(size) });
        started = true;
      }
      bar.setTotal(size);
      bar.update(done, { done: mib(done), size: mib(size) });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

function mib(bytes: number): string {
  return (bytes / (1 << 20)).toFixed(1);
}
