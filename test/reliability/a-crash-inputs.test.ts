/**
 * Part a: issue 11's crash inputs and their neighbours against a live control plane (a real
 * `zonectl control-plane run`, SQLite store): nesting depth, body size, content types, request
 * smuggling headers, HTTP/0.9, a header timeout. Each hostile request gets its 4xx (HTTP/0.9 its
 * 505), nothing is stored, the process stays up, and a good client is served after every one.
 */
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { describe, test } from 'node:test';
import { request } from '../helpers/cp.js';
import { goodApiClient, mintToken, record, rememberGlobalSecrets, startCp, tempDir, type Cp } from './harness.js';
import { raw } from './raw.js';

const PART = 'a. Crash inputs and neighbours (API and dp-server)';

const ze = (name: string, extra: string) => `{"type":"ZoneEgress","name":"${name}","networking":{"address":"127.0.0.1","port":10002,"admin":{"port":9901}},"extra":${extra}}`;
const arrays = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const objects = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

interface Case {
  name: string;
  chunks: (string | Buffer | number)[];
  /** Allowed answers (default: any 4xx). */
  expect?: RegExp;
  waitMs?: number;
}

function http(method: string, path: string, headers: Record<string, string | number>, body = ''): string {
  return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`;
}
const putJson = (name: string, body: string, type = 'application/json') => http('PUT', `/zoneegresses/${name}`, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), Connection: 'close' }, body);

function cases(): Case[] {
  const list: Case[] = [];
  // Nesting depth: the limit is 64 levels; the crash was ~3,500.
  for (const d of [65, 100, 1_000, 3_500, 20_000, 100_000]) {
    list.push({ name: `JSON arrays nested ${d} deep`, chunks: [putJson(`deep-a-${d}`, ze(`deep-a-${d}`, arrays(d)))] });
    list.push({ name: `JSON objects nested ${d} deep`, chunks: [putJson(`deep-o-${d}`, ze(`deep-o-${d}`, objects(d)))] });
  }
  for (const d of [65, 3_500, 50_000]) list.push({ name: `YAML flow sequences nested ${d} deep`, chunks: [putJson(`yd-${d}`, `type: ZoneEgress\nname: yd-${d}\nextra: ${arrays(d)}\n`, 'application/yaml')] });
  list.push({ name: 'YAML block mappings nested 300 deep', chunks: [putJson('yb', `type: ZoneEgress\nname: yb\nextra:\n${Array.from({ length: 300 }, (_, i) => `${' '.repeat(2 * (i + 1))}k${i}:`).join('\n')} 1\n`, 'application/yaml')] });
  const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
  list.push({ name: 'YAML alias bomb (billion laughs)', chunks: [putJson('laughs', `type: ZoneEgress\nname: laughs\nextra:\n  ${laughs.replace(/\n/g, '\n  ')}\n`, 'application/yaml')] });
  // Size: the API's limit is 2 MiB.
  list.push({ name: 'declared 100 MiB body (headers only)', chunks: [http('PUT', '/zoneegresses/big', { 'Content-Type': 'application/json', 'Content-Length': 100 * 1024 * 1024 })] });
  list.push({ name: '3 MiB JSON body sent whole', chunks: [putJson('big3', ze('big3', JSON.stringify('x'.repeat(3 * 1024 * 1024))))] });
  const chunk = 'x'.repeat(64 * 1024);
  // No length to refuse early: the 413 goes out at 2 MiB while the client still sends; the
  // connection lingers (reads and drops the rest) so the answer is not lost to a reset.
  list.push({ name: '3 MiB chunked body', chunks: [http('PUT', '/zoneegresses/bigc', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }), ...Array.from({ length: 48 }, () => `${(64 * 1024).toString(16)}\r\n${chunk}\r\n`), '0\r\n\r\n'], expect: /^413$/ });
  list.push({ name: '64 KiB of headers', chunks: [http('GET', '/meshes', { 'X-Pad': 'p'.repeat(64 * 1024) })] });
  list.push({ name: '10,000 headers', chunks: [`GET /meshes HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 10_000 }, (_, i) => `x-h${i}: v\r\n`).join('')}\r\n`] });
  list.push({ name: '100 KiB URL', chunks: [`GET /meshes/${'m'.repeat(100 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`] });
  // Content types.
  list.push({ name: 'invalid JSON', chunks: [putJson('bad', '{"type":"ZoneEgress",')] });
  list.push({ name: 'JSON array body', chunks: [putJson('arr', '[1,2,3]')] });
  list.push({ name: 'JSON scalar body', chunks: [putJson('scalar', '"ZoneEgress"')] });
  list.push({ name: 'form-urlencoded body', chunks: [putJson('form', 'type=ZoneEgress&name=form', 'application/x-www-form-urlencoded')] });
  list.push({ name: 'multipart body', chunks: [putJson('mp', '--b\r\nContent-Disposition: form-data; name="f"\r\n\r\n{}\r\n--b--\r\n', 'multipart/form-data; boundary=b')] });
  list.push({ name: 'gzip content-encoding of garbage', chunks: [http('PUT', '/zoneegresses/gz', { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': 4 }, '\x1f\x8b\x08\x00')] });
  list.push({ name: 'binary body (NUL and invalid UTF-8)', chunks: [http('PUT', '/zoneegresses/bin', { 'Content-Type': 'application/json', 'Content-Length': 6 }), Buffer.from([0, 0xff, 0xfe, 0xc3, 0x28, 0])] });
  list.push({ name: 'empty body with content-length 0', chunks: [putJson('empty', '')] });
  list.push({ name: 'JSON with 100,000 keys', chunks: [putJson('keys', `{"type":"ZoneEgress","name":"keys",${Array.from({ length: 100_000 }, (_, i) => `"k${i}":1`).join(',')}}`)] });
  list.push({ name: 'unknown field of 1 MiB string', chunks: [putJson('str', ze('str', JSON.stringify('s'.repeat(1024 * 1024 - 200))))], expect: /^[24]/ });
  // Request smuggling.
  list.push({ name: 'Content-Length and Transfer-Encoding (CL.TE)', chunks: [http('POST', '/meshes', { 'Content-Length': 6, 'Transfer-Encoding': 'chunked' }, '0\r\n\r\nG')] });
  list.push({ name: 'Transfer-Encoding and Content-Length (TE.CL)', chunks: [http('PUT', '/meshes/m1', { 'Transfer-Encoding': 'chunked', 'Content-Length': 3 }, '8\r\nSMUGGLED\r\n0\r\n\r\n')] });
  list.push({ name: 'duplicate Content-Length, different values', chunks: [`PUT /meshes/m2 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 20\r\n\r\n{}`] });
  list.push({ name: 'Content-Length with a comma list', chunks: [`PUT /meshes/m3 HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 20\r\n\r\n{}`] });
  list.push({ name: 'obs-fold header continuation', chunks: [`GET /meshes HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`] });
  list.push({ name: 'obs-fold in Transfer-Encoding', chunks: [`POST /meshes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`] });
  list.push({ name: 'Transfer-Encoding: chunked, identity', chunks: [http('POST', '/meshes', { 'Transfer-Encoding': 'chunked, identity' }, '0\r\n\r\n')] });
  list.push({ name: 'Transfer-Encoding: xchunked', chunks: [http('POST', '/meshes', { 'Transfer-Encoding': 'xchunked' }, '0\r\n\r\n')] });
  list.push({ name: 'space before the header colon', chunks: [`POST /meshes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n`] });
  list.push({ name: 'bad chunk size', chunks: [http('PUT', '/meshes/m4', { 'Transfer-Encoding': 'chunked' }, 'zz\r\n{}\r\n0\r\n\r\n')] });
  list.push({ name: 'chunk size overflow', chunks: [http('PUT', '/meshes/m5', { 'Transfer-Encoding': 'chunked' }, 'ffffffffffffffffff\r\n{}\r\n0\r\n\r\n')] });
  list.push({ name: 'bare LF line endings with CR inside a header', chunks: ['GET /meshes HTTP/1.1\nHost: x\nX-A: a\rb\n\n'] });
  list.push({ name: 'NUL in a header value', chunks: ['GET /meshes HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n'] });
  list.push({ name: 'invalid method', chunks: ['G\x01T /meshes HTTP/1.1\r\nHost: x\r\n\r\n'] });
  list.push({ name: 'invalid HTTP version', chunks: ['GET /meshes HTTP/7.3\r\nHost: x\r\n\r\n'], expect: /^[45]05$|^4/ });
  list.push({ name: 'percent-encoding garbage in the path', chunks: ['GET /meshes/%ff%00%zz HTTP/1.1\r\nHost: x\r\n\r\n'] });
  // HTTP/0.9: refused with 505 (no HTTP/0.9 response could carry a status).
  list.push({ name: 'HTTP/0.9 request line', chunks: ['GET /meshes\r\n\r\n'], expect: /^(505|400)$/ });
  list.push({ name: 'HTTP/0.9 request line, nothing after it', chunks: ['GET /meshes\r\n'], expect: /^(505|400|408)$/ });
  list.push({ name: 'pipelined hostile request after a good one', chunks: [`GET /meshes HTTP/1.1\r\nHost: x\r\n\r\nPUT /zoneegresses/p HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(ze('p', arrays(5000)))}\r\n\r\n${ze('p', arrays(5000))}`], expect: /^2/ });
  return list;
}

async function bootstrap(cp: Cp, token: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${cp.dpUrl}/bootstrap`, { method: 'POST', ca: cp.ca, agent: false, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe(PART, { concurrency: false }, () => {
  test('every hostile request is answered 4xx, nothing is stored, the control plane stays up and serves good clients', async (t) => {
    const dir = tempDir(t);
    const cp = await startCp(t, { dataDir: `${dir}/cp` });
    const port = Number(new URL(cp.url).port);
    await rememberGlobalSecrets(cp);
    const t0 = Date.now();

    // The header timeout runs beside the rest: headers never finished are a 408 after ~10 s.
    const headerTimeout = raw(port, ['GET /meshes HTTP/1.1\r\nHost: x\r\nX-Slow: '], 20_000);

    const statuses = new Map<number, number>();
    let good = 0;
    const list = cases();
    for (const c of list) {
      const r = await raw(port, c.chunks, c.waitMs ?? 15_000);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (process.env.ZONECTL_RELIABILITY_VERBOSE) console.log(`${c.name}: ${r.status} ${r.ended} after ${r.ms} ms`);
      assert.match(String(r.status), c.expect ?? /^4\d\d$/, `${c.name}: answered ${r.status} (${r.ended} after ${r.ms} ms): ${r.text.slice(0, 300)}`);
      assert.ok(cp.proc.running(), `the control plane died on: ${c.name}\n${cp.proc.stderr().slice(-2000)}`);
      await goodApiClient(cp);
      good++;
    }
    // The dp-server: the same depths in a bootstrap by a holder of a valid egress token.
    const token = await mintToken(cp);
    let dpCases = 0;
    for (const d of [65, 3_500, 100_000]) {
      for (const extra of [arrays(d), objects(d)]) {
        const status = await bootstrap(cp, token, `{"proxyType":"egress","dataplaneResource":${ze(`ze-deep-${d}`, extra)},"version":{}}`);
        assert.match(String(status), d * 5 > 65_536 ? /^413$/ : /^400$/, `bootstrap nested ${d} deep: ${status}`);
        const asString = await bootstrap(cp, token, JSON.stringify({ proxyType: 'egress', dataplaneResource: ze(`ze-deep-s-${d}`, extra), version: {} }));
        assert.match(String(asString), /^4(00|13)$/, `bootstrap with the resource as a string nested ${d} deep: ${asString}`);
        dpCases += 2;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }
    assert.equal(await bootstrap(cp, token, `{"proxyType":"egress","dataplaneResource":${ze('ze-big', JSON.stringify('b'.repeat(70_000)))}}`), 413);
    dpCases++;

    const slow = await headerTimeout;
    assert.equal(slow.status, 408, `unfinished headers: ${slow.status} after ${slow.ms} ms`);
    assert.ok(slow.ms >= 9_000 && slow.ms < 20_000, `header timeout after ${slow.ms} ms`);

    // Nothing hostile was stored: the only ZoneEgress is the 1 MiB-string neighbour (a valid resource).
    const stored = (await request(`${cp.url}/zoneegresses`)).json as { total: number; items: { name: string }[] };
    assert.deepEqual(stored.items.map((i) => i.name).sort(), ['str'].filter(() => statuses.has(201) || statuses.has(200)));
    const meshes = (await request(`${cp.url}/meshes`)).json as { total: number };
    assert.equal(meshes.total, 0, 'no smuggled Mesh was created');
    assert.ok(cp.proc.running());
    record(PART, 'hostile requests to the API', list.length);
    record(PART, 'hostile bootstraps to the dp-server', dpCases);
    record(PART, 'answers', [...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s === 0 ? 'closed' : s} x${n}`).join(', '));
    record(PART, 'header timeout answered 408 after (ms)', slow.ms);
    record(PART, 'good clients served between them (failed: 0)', good);
    record(PART, 'control plane crashes', 0);
    record(PART, 'duration (s)', Math.round((Date.now() - t0) / 1000));
  });
});
