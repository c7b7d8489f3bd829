import type { Readable } from 'node:stream';

/** The whole of a stream (an HTTP response body) as UTF-8 text. */
export function readText(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (text += d));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}
