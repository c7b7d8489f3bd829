import assert from 'node:assert/strict';
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { describe, test } from 'node:test';
import type { EgressSnapshot, PassthroughRoute } from '../../src/resources/egress-config.js';
import { egress, listen, plainEcho, readN, serverPki, tlsEcho, until } from './helpers.js';

const SNI = 'backend{mesh=mesh-1}';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Hashes everything a socket delivers, pausing after every chunk so the sender sees backpressure. */
function slowHash(s: net.Socket): Promise<string> {
  const h = createHash('sha256');
  return new Promise((resolve, reject) => {
    s.on('data', (d: Buffer) => {
      h.update(d);
      s.pause();
      setImmediate(() => s.resume());
    });
    s.on('end', () => resolve(h.digest('hex')));
    s.on('error', reject);
  });
}

function snapshot(endpoints: PassthroughRoute['endpoints'], version = 'v1'): EgressSnapshot {
  return { version, identities: [], routes: [{ kind: 'passthrough', sni: SNI, mesh: 'mesh-1', service: 'backend', endpoints }] };
}

describe('passthrough', () => {
  test("the client's TLS goes end to end to the remote zone ingress", async (t) => {
    const pki = await serverPki('ingress.zone-2');
    const ingress = await tlsEcho(t, 'zone-2', { cert: pki.server.certPem, key: pki.server.keyPem });
    let sniSeen: string | undefined;
    ingress.server.on('secureConnection', (s: tls.TLSSocket) => (sniSeen = s.servername as string));
    const e = await egress(t, snapshot([{ address: '127.0.0.1', port: ingress.port, weight: 1, zone: 'zone-2' }]));

    const c = tls.connect({ host: '127.0.0.1', port: e.port, servername: SNI, ca: pki.ca.certPem, checkServerIdentity: () => undefined });
    t.after(() => c.destroy());
    await once(c, 'secureConnect');
    // The certificate the client verified is the ingress's, not the egress's: nothing terminated.
    assert.equal(c.getPeerCertificate().subject.CN, 'ingress.zone-2');
    assert.equal(c.getPeerCertificate().fingerprint256, new X509Certificate(pki.server.certPem).fingerprint256);
    assert.equal(c.authorized, true);
    c.write('hello');
    assert.equal(await readN(c, 'zone-2:hello'.length), 'zone-2:hello');
    assert.equal(sniSeen, SNI);
    c.end();
    await once(c, 'close');
    await until(() => e.stats().routes[SNI]?.active === 0, 'the route to go idle');
    const r = e.stats().routes[SNI];
    assert.equal(r.total, 1);
    assert.equal(r.outcomes.closed, 1);
    assert.ok(r.bytesIn > 'hello'.length && r.bytesOut > 'zone-2:hello'.length, 'TLS bytes counted both ways');
  });

  test('bytes the client sends right behind its ClientHello reach the upstream unchanged', async (t) => {
    const received: Buffer[] = [];
    const port = await listen(
      t,
      net.createServer((s) => {
        s.on('data', (d: Buffer) => received.push(d));
        s.on('end', () => s.end());
      }),
    );
    const e = await egress(t, snapshot([{ address: '127.0.0.1', port, weight: 1 }]));
    const hello = readFileSync(new URL('../fixtures/egress/split-records.bin', import.meta.url));
    const tail = Buffer.from([23, 3, 3, 0, 3, 0xaa, 0xbb, 0xcc]);
    const c = net.connect({ host: '127.0.0.1', port: e.port });
    t.after(() => c.destroy());
    // The hello arrives in three reads, split inside a record header and inside a record.
    c.write(hello.subarray(0, 3));
    await new Promise((r) => setImmediate(r));
    c.write(hello.subarray(3, 100));
    await new Promise((r) => setImmediate(r));
    c.end(Buffer.concat([hello.subarray(100), tail]));
    await once(c, 'close');
    assert.deepEqual(Buffer.concat(received), Buffer.concat([hello, tail]));
  });

  test('8 MiB each way survive backpressure byte for byte (slow reader on both ends)', async (t) => {
    const down = randomBytes(8 * 1024 * 1024);
    const up = randomBytes(8 * 1024 * 1024);
    let upstreamGot: Promise<string> | undefined;
    const port = await listen(
      t,
      net.createServer({ allowHalfOpen: true }, (s) => {
        upstreamGot = slowHash(s);
        s.end(down);
      }),
    );
    const e = await egress(t, snapshot([{ address: '127.0.0.1', port, weight: 1 }]));
    const c = net.connect({ host: '127.0.0.1', port: e.port, allowHalfOpen: true });
    t.after(() => c.destroy());
    const h = readFileSync(new URL('../fixtures/egress/node-sni.bin', import.meta.url));
    const clientGot = slowHash(c);
    c.end(Buffer.concat([h, up]));
    assert.equal(await clientGot, sha(down));
    assert.equal(await upstreamGot, sha(Buffer.concat([h, up])));
  });

  test('endpoints are chosen by weight (instances)', async (t) => {
    const heavy = await plainEcho(t, 'heavy');
    const light = await plainEcho(t, 'light');
    let seq = 0;
    // A deterministic uniform sequence over [0,1): counts must match the weights exactly.
    const e = await egress(t, snapshot([{ address: '127.0.0.1', port: heavy, weight: 3 }, { address: '127.0.0.1', port: light, weight: 1 }]), {
      random: () => ((seq++ * 7) % 40) / 40,
    });
    const counts: Record<string, number> = { heavy: 0, light: 0 };
    for (let i = 0; i < 40; i++) {
      const raw = net.connect({ host: '127.0.0.1', port: e.port });
        raw.write(readFileSync(new URL('../fixtures/egress/node-sni.bin', import.meta.url)));
      const tag = (await readN(raw, 5)).split(':')[0];
      counts[tag]++;
      raw.destroy();
    }
    assert.deepEqual(counts, { heavy: 30, light: 10 });
  });

  test('with Math.random the split follows the weights (statistical, 400 connections)', async (t) => {
    const a = await plainEcho(t, 'aaaaa');
    const b = await plainEcho(t, 'bbbbb');
    const e = await egress(t, snapshot([{ address: '127.0.0.1', port: a, weight: 4 }, { address: '127.0.0.1', port: b, weight: 1 }]));
    const hello = readFileSync(new URL('../fixtures/egress/node-sni.bin', import.meta.url));
    let countA = 0;
    const N = 400;
    for (let batch = 0; batch < N / 50; batch++) {
      const tags = await Promise.all(
        Array.from({ length: 50 }, async () => {
          const raw = net.connect({ host: '127.0.0.1', port: e.port });
          raw.write(hello);
          const tag = (await readN(raw, 5)).slice(0, 5);
          raw.destroy();
          return tag;
        }),
      );
      countA += tags.filter((x) => x === 'aaaaa').length;
    }
    // Expected 320 of 400; binomial sd = 8, so +-40 is five sigma.
    assert.ok(countA > 280 && countA < 360, `weight 4:1 gave ${countA}/${N} to the heavy endpoint`);
  });

  test('a failed connect is retried once on the next endpoint', async (t) => {
    const dead = net.createServer();
    const deadPort = await listen(t, dead);
    dead.close();
    const alive = await plainEcho(t, 'alive');
    const e = await egress(t, snapshot([{ address: '127.0.0.1', port: deadPort, weight: 1 }, { address: '127.0.0.1', port: alive, weight: 1 }]), { random: () => 0 });
    const raw = net.connect({ host: '127.0.0.1', port: e.port });
    t.after(() => raw.destroy());
    raw.write(readFileSync(new URL('../fixtures/egress/node-sni.bin', import.meta.url)));
    assert.equal((await readN(raw, 6)).slice(0, 6), 'alive:');
    assert.equal(e.stats().upstreamConnectFailures, 1);
    const clusters = JSON.parse((await (await fetch(`http://127.0.0.1:${e.adminPort}/clusters?format=json`)).text()));
    const eps = clusters.clusters[0].endpoints;
    assert.equal(eps[0].healthy, false);
    assert.equal(eps[0].connectFailures, 1);
    assert.equal(eps[1].healthy, true);
  });

  test('when every endpoint fails the client is closed and the outcome counted', async (t) => {
    const dead = net.createServer();
    const deadPort = await listen(t, dead);
    dead.close();
    const e = await egress(t, snapshot([{ address: '127.0.0.1', port: deadPort, weight: 1 }]));
    const raw = net.connect({ host: '127.0.0.1', port: e.port });
    raw.on('error', () => {});
    raw.write(readFileSync(new URL('../fixtures/egress/node-sni.bin', import.meta.url)));
    raw.resume();
    await once(raw, 'close');
    await until(() => e.stats().routes[SNI]?.outcomes['upstream-connect-failed'] === 1, 'the failure to be counted');
    assert.equal(e.stats().routes[SNI].active, 0);
  });
});
