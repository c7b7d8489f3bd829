import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { AccessRecord } from '../../src/egress/access-log-format.js';
import { TcpLogSender } from '../../src/egress/tcp-log.js';
import type { EgressSnapshot } from '../../src/resources/egress-config.js';
import { tmpDir } from '../helpers/tmp.js';
import { egress, listen, until } from './helpers.js';

const SNI = 'backend{mesh=mesh-1}';
const hello = readFileSync(new URL('../fixtures/egress/node-sni.bin', import.meta.url));

const pass = (port: number, extra: Partial<EgressSnapshot> = {}): EgressSnapshot => ({
  version: 'v1',
  identities: [],
  routes: [{ kind: 'passthrough', sni: SNI, mesh: 'mesh-1', service: 'backend', endpoints: [{ address: '127.0.0.1', port, weight: 1 }] }],
  ...extra,
});

/** An upstream that answers the hello and closes. */
async function answering(t: TestContext): Promise<number> {
  return listen(
    t,
    net.createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => s.end('ok'));
    }),
  );
}

async function through(port: number): Promise<void> {
  const c = net.connect({ host: '127.0.0.1', port });
  c.on('error', () => {});
  c.write(hello);
  c.resume();
  await once(c, 'close');
}

/** A TCP collector: newline-delimited lines, and its accepted sockets (to cut them). */
async function collector(t: TestContext): Promise<{ port: number; lines: string[]; sockets: Set<net.Socket> }> {
  const lines: string[] = [];
  const sockets = new Set<net.Socket>();
  const port = await listen(
    t,
    net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
      let buf = '';
      s.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          lines.push(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    }),
  );
  return { port, lines, sockets };
}

describe('access log backends', () => {
  test('file: appended with mode 0640, reopened after logrotate renamed it', async (t) => {
    const dir = tmpDir(t);
    const path = join(dir, 'access.log');
    const up = await answering(t);
    // As `dp run --access-log PATH`: a backend for every route, written by the egress's own line writers.
    const e = await egress(t, pass(up), { name: 'egress-1', accessLog: [{ name: path, type: 'file', path }] });
    await through(e.port);
    await until(() => existsSync(path) && readFileSync(path, 'utf8').endsWith('\n'), 'the first line');
    assert.equal(statSync(path).mode & 0o777, 0o640);
    const first = JSON.parse(readFileSync(path, 'utf8')) as AccessRecord;
    assert.deepEqual([first.egress, first.sni, first.route, first.close], ['egress-1', SNI, 'passthrough', 'closed']);
    renameSync(path, `${path}.1`);
    e.reopenLogs();
    await through(e.port);
    await until(() => existsSync(path) && readFileSync(path, 'utf8').endsWith('\n'), 'a line in the new file');
    assert.equal(readFileSync(`${path}.1`, 'utf8').trim().split('\n').length, 1, 'the rotated file keeps its line');
    assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 1);
  });

  test('tcp: newline-delimited lines to a collector, reconnecting after the collector cut the connection', async (t) => {
    const col = await collector(t);
    const up = await answering(t);
    const e = await egress(t, pass(up, { accessLog: { backends: [{ name: 'collector', type: 'tcp', address: `127.0.0.1:${col.port}` }], routes: [{ sni: SNI, backends: ['collector'] }], unrouted: [] } }), { name: 'egress-1' });
    await through(e.port);
    await until(() => col.lines.length === 1, 'the line at the collector');
    assert.equal((JSON.parse(col.lines[0]) as AccessRecord).sni, SNI);
    for (const s of col.sockets) s.destroy();
    await until(() => col.sockets.size === 0, 'the cut');
    await through(e.port);
    await through(e.port);
    await until(() => col.lines.length === 3, 'the lines after the reconnect');
    assert.ok(col.lines.every((l) => (JSON.parse(l) as AccessRecord).close === 'closed'));
  });

  test('tcp: a collector that is down gets a bounded buffer; what does not fit is dropped and counted', async (t) => {
    const s = net.createServer();
    const port = await listen(t, s);
    s.close();
    let dropped = 0;
    const sender = new TcpLogSender(`127.0.0.1:${port}`, () => dropped++, 100);
    t.after(() => sender.close());
    for (let i = 0; i < 10; i++) sender.send('x'.repeat(29)); // 30 bytes with the newline
    assert.equal(dropped, 7, 'three lines fit in 100 bytes');
    // Through the egress: drops are counted per backend in the metrics.
    const up = await answering(t);
    const e = await egress(t, pass(up, { accessLog: { backends: [{ name: 'down', type: 'tcp', address: `127.0.0.1:${port}` }], routes: [{ sni: SNI, backends: ['down'] }], unrouted: [] } }));
    await through(e.port);
    await until(() => e.stats().routes[SNI]?.outcomes.closed === 1, 'the connection');
    await e.close();
    assert.match(await e.metrics.registry.metrics(), /zonectl_egress_access_log_dropped_total\{backend="down",reason="buffer-full"\} 1\n/, 'the queued line of a collector that never came up is dropped at close');
  });
});
