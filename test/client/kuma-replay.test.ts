/**
 * Wire compatibility with a real kuma-cp: a small server answers with the bodies kuma-cp 2.14
 * returned in kumactl's own tests (test/fixtures/kuma-replay), and zonectl must print what
 * kumactl printed from them, byte for byte where the output shape is the same.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { renderTable } from '../../src/cli/printers.js';
import { cliContext, type CliContext } from '../cli/context.js';
import { runCli } from '../helpers/cli.js';
import { assertGolden } from '../helpers/golden.js';

const fixture = (p: string): string => readFileSync(new URL(`../fixtures/kuma-replay/${p}`, import.meta.url), 'utf8');

/** Kuma's `next` link for page size 1: an absolute URL on the host kuma-cp saw. */
function firstPage(listJson: string): string {
  const list = JSON.parse(listJson) as { total: number; items: unknown[] };
  return JSON.stringify({ total: list.total, items: list.items.slice(0, 1), next: 'http://localhost:5681/x?offset=1&size=1' });
}

function kumaCp(): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: string): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    const key = `${req.method} ${url.pathname}`;
    const paged = url.searchParams.get('size') === '1';
    req.resume();
    switch (key) {
      case 'GET /':
        return send(200, JSON.stringify({ hostname: 'kuma-cp', tagline: 'Kuma', version: '2.14.3' }));
      case 'GET /meshes':
        return send(200, paged ? firstPage(fixture('get/get-meshes.golden.json')) : fixture('get/get-meshes.golden.json'));
      case 'GET /meshes/mesh-1':
        return send(200, fixture('get/get-mesh.golden.json'));
      case 'GET /zoneegresses':
        return send(200, paged ? firstPage(fixture('get/get-zoneegresses.golden.json')) : fixture('get/get-zoneegresses.golden.json'));
      case 'GET /zoneegresses/_overview':
        return send(200, fixture('inspect/inspect-zoneegresses.golden.json'));
      case 'DELETE /zoneegresses/missing':
        return send(404, fixture('errors/resource-delete_not-found.golden.json'));
      case 'PUT /zoneegresses/zoneegress-1':
        return send(400, fixture('errors/resource_name-mesh.golden.json'));
      case 'PUT /zoneegressinsights/x':
        return send(405, fixture('errors/resource-read-only_put.golden.json'));
      default:
        return send(403, fixture('errors/auth-admin-non-localhost.golden.json'));
    }
  });
}

describe('zonectl against recorded kuma-cp answers', () => {
  let ctx: CliContext;
  const server = kumaCp();
  const cleanups: (() => void)[] = [];
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    ctx = cliContext({ after: (fn: () => void) => cleanups.push(fn) }, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  after(() => {
    server.closeAllConnections();
    server.close();
    for (const fn of cleanups) fn();
  });

  const zonectl = (...args: string[]) => runCli(args, { env: ctx.env });

  test('get meshes: table, json and yaml are kumactl\'s', async () => {
    const [table, json, yaml] = await Promise.all([zonectl('get', 'meshes'), zonectl('get', 'meshes', '-o', 'json'), zonectl('get', 'meshes', '-o', 'yaml')]);
    assert.equal(table.stdout, fixture('get/get-meshes.golden.txt'));
    assert.equal(json.stdout, fixture('get/get-meshes.golden.json'));
    assert.equal(yaml.stdout, fixture('get/get-meshes.golden.yaml'));
  });

  test('get mesh NAME: table, json and yaml are kumactl\'s', async () => {
    const [table, json, yaml] = await Promise.all([zonectl('get', 'mesh', 'mesh-1'), zonectl('get', 'mesh', 'mesh-1', '-o', 'json'), zonectl('get', 'mesh', 'mesh-1', '-o', 'yaml')]);
    assert.equal(table.stdout, fixture('get/get-mesh.golden.txt'));
    assert.equal(json.stdout, fixture('get/get-mesh.golden.json'));
    assert.equal(yaml.stdout, fixture('get/get-mesh.golden.yaml'));
  });

  test('pagination footer as kumactl prints it', async () => {
    assert.equal((await zonectl('get', 'meshes', '--size', '1')).stdout, fixture('get/get-meshes.pagination.golden.txt'));
    const egresses = await zonectl('get', 'zoneegresses', '--size', '1');
    assert.ok(egresses.stdout.endsWith('\n\nRerun command with --offset=1 argument to retrieve more resources\n'));
  });

  test('get zoneegresses: json and yaml are kumactl\'s; the table adds ZONE, ADDRESS and PORT', async () => {
    const [table, json, yaml] = await Promise.all([zonectl('get', 'zoneegresses'), zonectl('get', 'zoneegresses', '-o', 'json'), zonectl('get', 'zoneegresses', '-o', 'yaml')]);
    assert.equal(json.stdout, fixture('get/get-zoneegresses.golden.json'));
    assert.equal(yaml.stdout, fixture('get/get-zoneegresses.golden.yaml'));
    assertGolden('get/kuma-replay-zoneegresses.txt', table.stdout);
    const kumactlNames = fixture('get/get-zoneegresses.golden.txt').split('\n').map((l) => l.split(/\s+/)[0]);
    assert.deepEqual(table.stdout.split('\n').map((l) => l.split(/\s+/)[0]), kumactlNames);
  });

  test('inspect zoneegresses: kumactl\'s rows, with one ZONECTL VERSION column for the proxy version', async () => {
    const [table, json] = await Promise.all([zonectl('inspect', 'zoneegresses'), zonectl('inspect', 'zoneegresses', '-o', 'json')]);
    assert.equal(json.stdout, fixture('inspect/inspect-zoneegresses.golden.json'));
    const [header, ...rows] = fixture('inspect/inspect-zoneegresses.golden.txt')
      .trimEnd()
      .split('\n')
      .map((l) => l.split(/ {3,}/).slice(0, 7));
    header[6] = 'ZONECTL VERSION';
    assert.equal(table.stdout, renderTable(header, rows));
  });

  test('problem details of kuma-cp: 404 on delete, 400 with every violation, 405, 403', async () => {
    const del = await zonectl('delete', 'zoneegress', 'missing');
    assert.equal(del.code, 1);
    assert.equal(del.stderr, 'Error: there is no ZoneEgress with name "missing"\n');

    const put = await runCli(['apply', '-f', '-'], { env: ctx.env, stdin: 'type: ZoneEgress\nname: zoneegress-1\nnetworking:\n  address: 10.0.0.1\n  port: 10002\n' });
    assert.equal(put.code, 3);
    assert.equal(
      put.stderr,
      [
        'Error: failed to apply ZoneEgress "zoneegress-1": Resource is not valid',
        '  * mesh: mesh from the URL has to be the same as in body',
        "  * name: invalid characters. A lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        "  * mesh: invalid characters. Valid characters are numbers, lowercase latin letters and '-', '_', '.' symbols.",
        '',
      ].join('\n'),
    );

    const denied = await zonectl('get', 'external-services');
    assert.equal(denied.code, 3);
    assert.match(denied.stderr, /^Error: control plane at http:\/\/127\.0\.0\.1:\d+ denied access: user "mesh-system:anonymous\/mesh-system:unauthenticated" cannot access the resource of type "Secret" \(this needs an admin token/);
  });
});
