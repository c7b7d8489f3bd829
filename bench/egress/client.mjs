// Benchmark load generator. One mode per run; prints one JSON line. Raw sockets send a captured
// ClientHello (so passthrough targets route it) and then play the test; `tls` mode is a real TLS
// client with a mesh client certificate (termination).
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

const opts = JSON.parse(process.argv[2]);
// The captured Node ClientHello with its SNI swapped (lengths fixed up), so every target sees a real hello.
function helloFor(sni) {
  const base = readFileSync(new URL('../../test/fixtures/egress/node-sni.bin', import.meta.url));
  const old = Buffer.from('backend{mesh=mesh-1}');
  const at = base.indexOf(old);
  const delta = sni.length - old.length;
  const out = Buffer.concat([base.subarray(0, at), Buffer.from(sni), base.subarray(at + old.length)]);
  out.writeUInt16BE(out.readUInt16BE(3) + delta, 3); // TLSPlaintext.length
  out.writeUIntBE(out.readUIntBE(6, 3) + delta, 6, 3); // Handshake.length
  // server_name extension: type(2) len(2) listLen(2) nameType(1) nameLen(2) name
  out.writeUInt16BE(out.readUInt16BE(at - 2) + delta, at - 2); // HostName length
  out.writeUInt16BE(out.readUInt16BE(at - 5) + delta, at - 5); // ServerNameList length
  out.writeUInt16BE(out.readUInt16BE(at - 7) + delta, at - 7); // extension_data length
  // extensions block length: walk the fixed ClientHello fields
  let p = 9 + 2 + 32;
  p += 1 + out[p];
  p += 2 + out.readUInt16BE(p);
  p += 1 + out[p];
  out.writeUInt16BE(out.readUInt16BE(p) + delta, p);
  return out;
}

const connect = () => {
  const s = net.connect({ host: '127.0.0.1', port: opts.port, noDelay: true });
  s.on('error', () => {});
  return s;
};
const now = () => Number(process.hrtime.bigint()) / 1e9;

async function bulk() {
  const s = opts.tls
    ? tls.connect({ host: '127.0.0.1', port: opts.port, servername: opts.sni, ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key, checkServerIdentity: () => undefined, highWaterMark: 256 * 1024 })
    : connect();
  if (!opts.tls) s.write(helloFor(opts.sni));
  let bytes = 0;
  let start = 0;
  await new Promise((resolve) => {
    s.on('data', (d) => {
      if (!start) start = now();
      bytes += d.length;
    });
    setTimeout(resolve, opts.seconds * 1000);
  });
  const secs = now() - start;
  s.destroy();
  return { bytes, secs };
}

async function connrate() {
  const h = helloFor(opts.sni);
  let done = 0;
  let failed = 0;
  let stop = false;
  // Set-up latency of each connection: from connect() to the upstream's first byte (TCP
  // handshake, ClientHello, routing, upstream connect, answer), in ms.
  const lat = [];
  const one = () =>
    new Promise((resolve) => {
      const t0 = process.hrtime.bigint();
      const s = connect();
      let got = false;
      s.on('connect', () => s.write(h));
      s.once('data', () => {
        got = true;
        lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
      });
      s.on('close', () => {
        if (got) done++;
        else failed++;
        resolve();
      });
      s.on('end', () => s.end());
    });
  const start = now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (!stop) await one();
    }).concat(new Promise((r) => setTimeout(() => r((stop = true)), opts.seconds * 1000))),
  );
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  return { done, failed, secs: now() - start, p50: q(0.5), p99: q(0.99) };
}

async function latency() {
  const h = helloFor(opts.sni);
  const s = connect();
  s.write(h);
  const msg = Buffer.alloc(64, 0x62);
  const rtts = [];
  // The echo backend echoes the hello too: wait for it, then ping-pong 64 bytes.
  let pending = h.length;
  let t0 = 0n;
  let i = -1;
  await new Promise((resolve) => {
    s.on('data', (d) => {
      pending -= d.length;
      if (pending > 0) return;
      if (i >= opts.warmup) rtts.push(Number(process.hrtime.bigint() - t0) / 1000);
      if (++i >= opts.iterations + opts.warmup) return resolve();
      pending = 64;
      t0 = process.hrtime.bigint();
      s.write(msg);
    });
  });
  s.destroy();
  rtts.sort((a, b) => a - b);
  const q = (p) => rtts[Math.min(rtts.length - 1, Math.floor(p * rtts.length))];
  return { n: rtts.length, p50: q(0.5), p99: q(0.99), p999: q(0.999) };
}

async function idle() {
  const h = helloFor(opts.sni);
  const socks = [];
  let ready = 0;
  await new Promise((resolve) => {
    // Bounded: report how many got through rather than hang (e.g. the proxy ran out of fds).
    setTimeout(resolve, 60_000).unref();
    let next = 0;
    const open = () => {
      while (next < opts.n && next - ready < 200) {
        next++;
        const s = connect();
        s.write(h);
        s.once('close', () => open());
        s.once('data', () => {
          ready++;
          if (ready === opts.n) resolve();
          else open();
        });
        socks.push(s);
      }
    };
    open();
  });
  process.stdout.write(JSON.stringify({ ready }) + '\n');
  await new Promise((r) => process.stdin.once('data', r));
  for (const s of socks) s.destroy();
  return { closed: socks.length };
}

const modes = { bulk, connrate, latency, idle };
const cpu0 = process.cpuUsage();
const res = await modes[opts.mode]();
// This load generator's own CPU (s) during the run: tells whether it, not the proxy, is the limit.
const cpu = process.cpuUsage(cpu0);
res.clientCpu = (cpu.user + cpu.system) / 1e6;
process.stdout.write(JSON.stringify(res) + '\n');
process.exit(0);
