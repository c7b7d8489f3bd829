import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import { executeApply, planApply } from '../../src/cli/apply/run.js';
import { parseVars } from '../../src/cli/apply/vars.js';
import { progressBar } from '../../src/cli/progress.js';
import { ApiClient } from '../../src/client/api-client.js';
import { ValidationError } from '../../src/core/errors.js';
import type { Resource } from '../../src/resources/types.js';

describe('--var parsing (pflag StringToString)', () => {
  test('one pair keeps its commas; several pairs split on commas; quotes group', () => {
    assert.deepEqual(parseVars(['a=1']), { a: '1' });
    assert.deepEqual(parseVars(['list=x,y']), { list: 'x,y' });
    assert.deepEqual(parseVars(['a=1,b.c=2', 'd=']), { a: '1', 'b.c': '2', d: '' });
    assert.deepEqual(parseVars(['a=1,"b=x,y"']), { a: '1', b: 'x,y' });
    assert.throws(() => parseVars(['a']), /invalid --var "a": expected key=value/);
  });
});

describe('planApply', () => {
  test('Meshes go first; the rest keep input order', () => {
    const text = ['type: ZoneEgress\nname: e1\nnetworking:\n  address: 10.0.0.1\n  port: 10002', 'type: Mesh\nname: m1', 'type: ZoneEgress\nname: e2\nnetworking:\n  address: 10.0.0.2\n  port: 10002'].join('\n---\n');
    const plan = planApply([{ file: 'a.yaml', text }], undefined);
    assert.deepEqual(plan.problems, []);
    assert.deepEqual(
      plan.resources.map((r) => r.name),
      ['m1', 'e1', 'e2'],
    );
  });
  test('read-only kinds and empty input are problems', () => {
    assert.deepEqual(planApply([{ file: 'e.yaml', text: '' }], undefined).problems, ['no resources found in the input']);
    const ro = planApply([{ file: 'i.yaml', text: 'type: ZoneEgressInsight\nname: x\n' }], undefined);
    assert.deepEqual(ro.resources, []);
    assert.match(ro.problems[0], /^i\.yaml:1:1: ZoneEgressInsight "x": type: ZoneEgressInsight is read-only/);
  });
});

async function fakeCp(t: TestContext, failOn?: string): Promise<{ client: ApiClient; order: string[]; maxInFlight: () => number }> {
  const order: string[] = [];
  let inFlight = 0;
  let max = 0;
  const server = http.createServer((req, res) => {
    inFlight++;
    max = Math.max(max, inFlight);
    req.resume();
    // Answer on the next turn so concurrent requests overlap.
    setImmediate(() => {
      inFlight--;
      order.push(req.url ?? '');
      if (failOn && req.url?.endsWith(failOn)) res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 400, title: 'Could not process a resource', detail: 'Resource is not valid', invalid_parameters: [{ field: 'zone', reason: 'bad' }] }));
      else res.writeHead(201).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = new ApiClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, maxSockets: 4 });
  t.after(() => {
    client.close();
    server.close();
  });
  return { client, order, maxInFlight: () => max };
}

const egresses = (n: number): Resource[] => Array.from({ length: n }, (_, i) => ({ type: 'ZoneEgress', name: `e${i}` }));

describe('executeApply', () => {
  test('writes with bounded concurrency, all Meshes before anything else, reports in input order', async (t) => {
    const cp = await fakeCp(t);
    const lines: string[] = [];
    const progress: number[] = [];
    const items = await executeApply(cp.client, [{ type: 'Mesh', name: 'm1' }, { type: 'Mesh', name: 'm2' }, ...egresses(20)], {
      concurrency: 4,
      onApplied: (i) => lines.push(i.name),
      onProgress: (done) => progress.push(done),
    });
    assert.equal(items.length, 22);
    assert.deepEqual(lines, ['m1', 'm2', ...egresses(20).map((e) => e.name)]);
    assert.deepEqual(progress, Array.from({ length: 22 }, (_, i) => i + 1));
    assert.ok(cp.maxInFlight() <= 4 && cp.maxInFlight() > 1, `in flight: ${cp.maxInFlight()}`);
    assert.deepEqual(cp.order.slice(0, 2).sort(), ['/meshes/m1', '/meshes/m2']);
  });

  test('the first failure stops new writes and is rethrown with the resource named (same error class)', async (t) => {
    const cp = await fakeCp(t, '/e3');
    const err = await executeApply(cp.client, egresses(30), { concurrency: 2 }).catch((e: unknown) => e);
    assert.ok(err instanceof ValidationError);
    assert.equal(err.message, 'failed to apply ZoneEgress "e3": Resource is not valid\n  * zone: bad');
    assert.ok(cp.order.length < 30, `sent ${cp.order.length} of 30`);
  });
});

describe('progress bar', () => {
  test('draws on a TTY only and clears its line', () => {
    const out: string[] = [];
    const tty = { isTTY: true, write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream;
    const bar = progressBar(tty, 'applying');
    bar.update(1, 2);
    bar.done();
    assert.deepEqual(out, [`\rapplying [${'#'.repeat(15)}${'.'.repeat(15)}] 1/2`, '\r\x1b[K']);
    const piped: string[] = [];
    const p = progressBar({ isTTY: false, write: (s: string) => piped.push(s) } as unknown as NodeJS.WriteStream);
    p.update(1, 2);
    p.done();
    assert.deepEqual(piped, []);
  });
});
