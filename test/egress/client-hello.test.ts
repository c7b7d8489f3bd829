import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MAX_CLIENT_HELLO_BYTES, parseClientHello } from '../../src/egress/client-hello.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/egress/${name}.bin`, import.meta.url));

describe('parseClientHello over captured ClientHellos', () => {
  const cases: Array<[string, string | undefined, string[]?]> = [
    ['node-sni', 'backend{mesh=mesh-1}'],
    ['node-nosni', undefined],
    ['node-alpn', 'web{mesh=default,version=v2}', ['h2', 'http/1.1']],
    ['node-dns-name', 'api.example.com'],
    ['openssl-sni', 'httpbin{mesh=mesh-1}'],
    ['openssl-nosni', undefined],
    ['openssl-tls12', 'legacy.example.com'],
    ['split-records', 'backend{mesh=mesh-1}'],
  ];
  for (const [name, sni, alpn] of cases) {
    test(`${name}: SNI ${sni ?? '(none)'}`, () => {
      const bytes = fixture(name);
      const res = parseClientHello(bytes);
      assert.ok(res.ok, `expected a ClientHello, got ${JSON.stringify(res)}`);
      assert.equal(res.sni, sni);
      assert.equal(res.end, bytes.length);
      if (alpn) assert.deepEqual(res.alpn, alpn);
    });
  }

  test('every strict prefix of every fixture asks for more bytes, never guesses', () => {
    for (const [name] of cases) {
      const bytes = fixture(name);
      for (let n = 0; n < bytes.length; n++) {
        const res = parseClientHello(bytes.subarray(0, n));
        assert.deepEqual(res, { ok: false, reason: 'need-more' }, `${name} prefix ${n}`);
      }
    }
  });

  test('bytes after the hello (early data, a second record) do not change the result', () => {
    const bytes = Buffer.concat([fixture('node-sni'), Buffer.from([23, 3, 3, 0, 2, 1, 2])]);
    const res = parseClientHello(bytes);
    assert.ok(res.ok);
    assert.equal(res.sni, 'backend{mesh=mesh-1}');
    assert.equal(res.end, fixture('node-sni').length);
  });
});

describe('parseClientHello failure reasons', () => {
  test('plain text is not TLS', () => {
    assert.deepEqual(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n')), { ok: false, reason: 'not-tls' });
    assert.deepEqual(parseClientHello(Buffer.from([22, 2])), { ok: false, reason: 'not-tls' });
  });

  test('a handshake that is not a ClientHello is malformed', () => {
    const b = Buffer.from(fixture('node-sni'));
    b[5] = 2; // ServerHello
    assert.deepEqual(parseClientHello(b), { ok: false, reason: 'malformed' });
  });

  test('a zero-length record is malformed (RFC 8446 §5.1)', () => {
    assert.deepEqual(parseClientHello(Buffer.from([22, 3, 1, 0, 0])), { ok: false, reason: 'malformed' });
  });

  test('an alert interleaved before the hello is complete is malformed', () => {
    const split = fixture('split-records');
    const firstRecord = 5 + split.readUInt16BE(3);
    const b = Buffer.concat([split.subarray(0, firstRecord), Buffer.from([21, 3, 3, 0, 2, 2, 40])]);
    assert.deepEqual(parseClientHello(b), { ok: false, reason: 'malformed' });
  });

  test('a truncated extension length is malformed', () => {
    const b = Buffer.from(fixture('node-sni'));
    // Claim one byte less for the whole extensions block: the last extension overruns.
    const hsLen = b.readUIntBE(6, 3);
    const body = b.subarray(9, 9 + hsLen);
    let p = 2 + 32;
    p += 1 + body[p];
    p += 2 + body.readUInt16BE(p);
    p += 1 + body[p];
    body.writeUInt16BE(body.readUInt16BE(p) - 1, p);
    assert.deepEqual(parseClientHello(b), { ok: false, reason: 'malformed' });
  });

  test('a ClientHello declaring more than 16 KiB is too large', () => {
    const b = Buffer.from([22, 3, 1, 0x40, 0x00, 1, 0x00, 0x50, 0x00]);
    assert.deepEqual(parseClientHello(b), { ok: false, reason: 'too-large' });
  });

  test('a hello trickled in tiny records past the cap is too large', () => {
    const recs: Buffer[] = [Buffer.from([22, 3, 1, 0, 4, 1, 0, 0x3f, 0xf0])];
    while (Buffer.concat(recs).length < MAX_CLIENT_HELLO_BYTES) recs.push(Buffer.from([22, 3, 1, 0, 1, 0]));
    assert.deepEqual(parseClientHello(Buffer.concat(recs)), { ok: false, reason: 'too-large' });
  });
});

describe('parseClientHello never throws', () => {
  const reasons = new Set(['not-tls', 'need-more', 'malformed', 'too-large']);
  const check = (b: Uint8Array) => {
    const res = parseClientHello(b);
    if (res.ok) assert.ok(res.end <= b.length);
    else assert.ok(reasons.has(res.reason));
  };

  test('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => check(b)), { numRuns: 2000 });
  });

  test('random bytes behind a handshake record header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => check(Buffer.concat([Buffer.from([22, 3, 1, b.length >> 8, b.length & 0xff, 1]), b]))),
      { numRuns: 2000 },
    );
  });

  test('mutated real ClientHellos (flipped, inserted and deleted bytes, truncation)', () => {
    const seeds = ['node-sni', 'node-alpn', 'openssl-sni', 'openssl-tls12', 'split-records'].map(fixture);
    const mutation = fc.record({
      seed: fc.nat(seeds.length - 1),
      edits: fc.array(fc.record({ kind: fc.constantFrom('flip', 'insert', 'delete', 'truncate'), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }),
    });
    fc.assert(
      fc.property(mutation, ({ seed, edits }) => {
        let b = Buffer.from(seeds[seed]);
        for (const e of edits) {
          const at = e.at % (b.length + 1);
          if (e.kind === 'flip' && at < b.length) b[at] = e.byte;
          else if (e.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([e.byte]), b.subarray(at)]);
          else if (e.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
          else if (e.kind === 'truncate') b = b.subarray(0, at);
        }
        check(b);
      }),
      { numRuns: 3000 },
    );
  });
});
