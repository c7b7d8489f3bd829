/**
 * Part g: the control plane is frozen (SIGSTOP) for 60 s while traffic flows through an egress.
 * New connections on established routes and connections already open must all be served
 * (failed connections = 0); after SIGCONT the egress reconnects and picks up a change made then.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import tls from 'node:tls';
import { applyIngresses, applyMesh, budget, eventually, mintToken, record, sleep, startCp, startEgress, tempDir, throughEgress, tlsEcho, MESH } from './harness.js';

const PART = 'g. Control plane stopped while traffic flows through an egress';

/** A connection kept open through the egress, pinging every 500 ms; an echo later than 5 s is a failure. */
function longLived(port: number, id: number) {
  const s = tls.connect({ host: '127.0.0.1', port, servername: `backend{mesh=${MESH}}`, rejectUnauthorized: false });
  const state = { pings: 0, failed: 0, closed: false };
  let buffer = '';
  let outstanding: { text: string; at: number } | undefined;
  let n = 0;
  s.setEncoding('utf8').on('data', (d: string) => (buffer += d));
  s.on('error', () => {});
  s.on('close', () => (state.closed = true));
  const timer = setInterval(() => {
    if (state.closed) return;
    if (outstanding && buffer.includes(outstanding.text)) {
      state.pings++;
      buffer = '';
      outstanding = undefined;
    } else if (outstanding && Date.now() - outstanding.at > 5_000) {
      state.failed++;
      outstanding = undefined;
    }
    if (!outstanding) {
      outstanding = { text: `ping-${id}-${n++}|`, at: Date.now() };
      s.write(outstanding.text);
    }
  }, 500);
  return {
    state,
    stop: () => {
      clearInterval(timer);
      s.destroy();
    },
  };
}

describe(PART, { concurrency: false }, () => {
  test('established routes keep working with the control plane stopped; the egress reconnects after', async (t) => {
    const dir = tempDir(t);
    const cp = await startCp(t, { dataDir: `${dir}/cp` });
    await applyMesh(cp);
    const backend = await tlsEcho(t, 'backend');
    await applyIngresses(cp, 'backend', [backend.port]);
    const egress = await startEgress(t, cp, dir, 'ze-stop', await mintToken(cp));
    await eventually('route to backend', () => throughEgress(egress.port, 'backend', 'hello'));

    const kept = Array.from({ length: 20 }, (_, i) => longLived(egress.port, i));
    t.after(() => kept.forEach((k) => k.stop()));
    let served = 0;
    const failures: string[] = [];
    let flowing = true;
    const loops = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; flowing; i++) {
        try {
          await throughEgress(egress.port, 'backend', `w${w}-${i}`);
          served++;
        } catch (err) {
          failures.push(String(err));
        }
      }
    });
    await sleep(2_000);
    const stopMs = budget(60_000, 5_000);
    const servedBefore = served;
    cp.proc.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    await sleep(stopMs);
    const servedWhileStopped = served - servedBefore;
    cp.proc.child.kill('SIGCONT');
    const resumedAt = Date.now();

    // A change made after the control plane is back reaches the egress: it reconnected.
    const backend2 = await tlsEcho(t, 'backend2');
    await applyIngresses(cp, 'backend2', [backend2.port]);
    await eventually('the egress routes a service added after SIGCONT', () => throughEgress(egress.port, 'backend2', 'after', 3_000), 60_000);
    const reconnectMs = Date.now() - resumedAt;
    flowing = false;
    await Promise.all(loops);

    const keptPings = kept.reduce((n, k) => n + k.state.pings, 0);
    const keptFailed = kept.reduce((n, k) => n + k.state.failed + (k.state.closed ? 1 : 0), 0);
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} connections failed`);
    assert.equal(keptFailed, 0, 'open connections kept working');
    assert.ok(servedWhileStopped > 0, 'traffic flowed while the control plane was stopped');
    assert.ok(egress.proc.running());
    record(PART, 'control plane stopped (SIGSTOP) for (s)', Math.round((resumedAt - stoppedAt) / 1000));
    record(PART, 'new connections served while it was stopped', servedWhileStopped);
    record(PART, 'new connections served in all', served);
    record(PART, 'connections held open across the stop (pings answered)', `20 (${keptPings})`);
    record(PART, 'failed connections', failures.length + keptFailed);
    record(PART, 'after SIGCONT, a new route served in (s)', Number((reconnectMs / 1000).toFixed(1)));
  });
});
