/**
 * Localhost is admin only for a direct local call (Kuma's isDirectLoopbackRequest). Each case is a
 * raw HTTP/1.1 request written on a node:net socket from 127.0.0.1, so the hostile headers reach
 * the server exactly as a browser or proxy would send them (no client library rewrites Host).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { beforeEach, describe, test, type TestContext } from 'node:test';
import { startTestControlPlane, type TestControlPlane } from '../../helpers/cp.js';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `head` (request line + headers, no trailing blank line) and `body`; reads until close. */
function raw(port: number, head: string, body = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [headText, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = headText.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    const len = body ? `\r\nContent-Length: ${Buffer.byteLength(body)}` : '';
    // write, not end: a half-closed client aborts its pending request in node:http; Connection: close ends it.
    sock.write(`${head}\r\nConnection: close${len}\r\n\r\n${body}`);
  });
}

const SECRET = '/global-secrets/zone-token-signing-key-1';
const DENIED = {
  type: '/std-errors',
  status: 403,
  title: 'Access Denied',
  detail: 'user "mesh-system:anonymous/mesh-system:unauthenticated" cannot access the resource of type "GlobalSecret"',
  details: 'user "mesh-system:anonymous/mesh-system:unauthenticated" cannot access the resource of type "GlobalSecret"',
};

describe('localhost is admin only for direct local calls', () => {
  let cp: TestControlPlane;
  let port: number;
  beforeEach(async (t) => {
    cp = await startTestControlPlane(t as TestContext);
    port = Number(new URL(cp.url).port);
  });

  const get = (headers: string[]) =>
    headers[0] === 'HTTP/1.0' ? raw(port, `GET ${SECRET} HTTP/1.0`) : raw(port, [`GET ${SECRET} HTTP/1.1`, ...headers].join('\r\n'));

  test('a direct call (loopback Host, no proxy or browser headers) is admin', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST.:${port}`, '127.0.0.1', `[::1]:${port}`, '127.0.0.5']) {
      const res = await get([`Host: ${host}`]);
      assert.equal(res.status, 200, `Host: ${host}`);
      assert.equal((JSON.parse(res.body) as { name: string }).name, 'zone-token-signing-key-1');
    }
    for (const extra of ['Sec-Fetch-Site: same-origin', 'Sec-Fetch-Site: none', `Origin: http://127.0.0.1:${port}`, `Origin: http://LOCALHOST:${port}`.replace('LOCALHOST', '127.0.0.1')]) {
      assert.equal((await get([`Host: 127.0.0.1:${port}`, extra])).status, 200, extra);
    }
  });

  test('DNS rebinding, proxies and cross-site browser requests are anonymous: 403 with Kuma body', async () => {
    const hostile: [string, string[]][] = [
      ['rebinding Host', ['Host: evil.example:5681']],
      ['Host naming another machine by IP', [`Host: 10.0.0.1:${port}`]],
      ['no Host (HTTP/1.0)', ['HTTP/1.0']],
      ['Host with user info', [`Host: a@127.0.0.1:${port}`]],
      ['Host with a bad port', ['Host: 127.0.0.1:99999']],
      ['X-Forwarded-For', [`Host: 127.0.0.1:${port}`, 'X-Forwarded-For: 203.0.113.9']],
      ['Forwarded', [`Host: 127.0.0.1:${port}`, 'Forwarded: for=203.0.113.9']],
      ['X-Real-IP', [`Host: 127.0.0.1:${port}`, 'X-Real-IP: 203.0.113.9']],
      ['cross-site Origin', [`Host: 127.0.0.1:${port}`, 'Origin: http://evil.example']],
      ['Origin on another loopback port', [`Host: 127.0.0.1:${port}`, `Origin: http://127.0.0.1:${port === 1 ? 2 : port - 1}`]],
      ['Origin null (sandboxed page)', [`Host: 127.0.0.1:${port}`, 'Origin: null']],
      ['Origin with a path', [`Host: 127.0.0.1:${port}`, `Origin: http://127.0.0.1:${port}/x`]],
      ['Origin of another scheme', [`Host: 127.0.0.1:${port}`, `Origin: ftp://127.0.0.1:${port}`]],
      ['Sec-Fetch-Site: cross-site', [`Host: 127.0.0.1:${port}`, 'Sec-Fetch-Site: cross-site']],
      ['Sec-Fetch-Site: same-site', [`Host: 127.0.0.1:${port}`, 'Sec-Fetch-Site: same-site']],
    ];
    for (const [what, headers] of hostile) {
      const res = await get(headers);
      assert.equal(res.status, 403, what);
      assert.deepEqual(JSON.parse(res.body), DENIED, what);
    }
  });

  test('a cross-site text/plain POST /tokens/zone mints nothing; a direct one needs a JSON Content-Type', async () => {
    const body = JSON.stringify({ zone: 'zone-1', scope: ['egress'], validFor: '1h' });
    const crossSite = await raw(port, ['POST /tokens/zone HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Origin: http://evil.example', 'Sec-Fetch-Site: cross-site', 'Content-Type: text/plain'].join('\r\n'), body);
    assert.equal(crossSite.status, 403);
    assert.equal((JSON.parse(crossSite.body) as { detail: string }).detail.startsWith('user "mesh-system:anonymous/mesh-system:unauthenticated" cannot access POST /tokens/zone'), true);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
      const head = ['POST /tokens/zone HTTP/1.1', `Host: 127.0.0.1:${port}`, ...(type ? [`Content-Type: ${type}`] : [])].join('\r\n');
      const res = await raw(port, head, body);
      assert.equal(res.status, 415, String(type));
      const p = JSON.parse(res.body) as { title: string; detail: string };
      assert.equal(p.title, 'Unsupported Media Type');
      assert.equal(p.detail, `the request has ${type ? `Content-Type "${type}"` : 'no Content-Type'}; send the body as JSON with "Content-Type: application/json" (or YAML with "application/yaml")`);
    }
    const ok = await raw(port, ['POST /tokens/zone HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Content-Type: application/json; charset=utf-8'].join('\r\n'), body);
    assert.equal(ok.status, 200, ok.body);
    assert.match(ok.body, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  test('a PUT from a cross-site page writes nothing', async () => {
    const body = JSON.stringify({ type: 'Mesh', name: 'pwned' });
    const res = await raw(port, ['PUT /meshes/pwned HTTP/1.1', 'Host: evil.example', 'Content-Type: application/json'].join('\r\n'), body);
    assert.equal(res.status, 403);
    await assert.rejects(cp.store.get({ type: 'Mesh', name: 'pwned' }));
  });

  test('the admin token works whatever the headers (a browser cannot attach it)', async () => {
    const res = await get(['Host: evil.example', 'X-Forwarded-For: 203.0.113.9', `Authorization: Bearer ${cp.adminToken}`]);
    assert.equal(res.status, 200);
  });
});

