/** Raw HTTP over a socket, for requests node:http would refuse to send. */
import net from 'node:net';

export interface RawResult {
  /** Status code of the first response, or 0 when the server closed without answering. */
  status: number;
  /** The whole response text (up to 64 KiB). */
  text: string;
  /** How the exchange ended: the server closed, or we stopped waiting. */
  ended: 'closed' | 'answered' | 'waited';
  ms: number;
}

/**
 * Sends `chunks` (strings or Buffers; a number is a pause in ms) and reads until the server
 * closes or `waitMs` passes after the last chunk.
 */
export function raw(port: number, chunks: (string | Buffer | number)[], waitMs = 5_000): Promise<RawResult> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = net.connect({ host: '127.0.0.1', port });
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = (ended: RawResult['ended']) => {
      if (timer) clearTimeout(timer);
      s.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, text, ended, ms: Date.now() - t0 });
    };
    s.on('data', (d: Buffer) => {
      if (text.length < 65536) text += d.toString('latin1');
      // A whole answer with a length: done (keep-alive answers would otherwise wait).
      const head = text.indexOf('\r\n\r\n');
      const len = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, head));
      if (head > 0 && len && text.length >= head + 4 + Number(len[1])) finish('answered');
    });
    s.on('error', () => {});
    s.on('close', () => finish('closed'));
    s.on('connect', async () => {
      for (const c of chunks) {
        if (typeof c === 'number') await new Promise((r) => setTimeout(r, c));
        else if (!s.destroyed) s.write(c);
      }
      timer = setTimeout(() => finish('waited'), waitMs);
    });
  });
}
