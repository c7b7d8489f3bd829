/**
 * A one-line progress bar on stderr, only when stderr is a terminal: piped output and CI logs stay
 * free of carriage returns.
 */
export interface Progress {
  update(done: number, total: number): void;
  done(): void;
}

const NOOP: Progress = { update: () => undefined, done: () => undefined };

export function progressBar(stream: NodeJS.WriteStream = process.stderr, label = 'applying'): Progress {
  if (!stream.isTTY) return NOOP;
  const width = 30;
  let shown = false;
  return {
    update(done, total) {
      const filled = total === 0 ? width : Math.round((done / total) * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
