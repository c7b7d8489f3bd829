/**
 * The conventions users bring from oclif, kubectl and gh: help, -h, "did you mean", `version`,
 * JSON errors under --json, and no silent success on empty input.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { cliContext } from './context.js';
import { runCli } from '../helpers/cli.js';
import { startTestControlPlane } from '../helpers/cp.js';
import { tmpDir } from '../helpers/tmp.js';
import { suggestCommand } from '../../src/cli/suggest.js';
import { wantsJson } from '../../src/cli/base.js';

describe('help and typos', () => {
  test('`zonectl help`, `help COMMAND` and -h on a command all print help (exit 0)', async () => {
    const [top, helpGet, dashH, fastDashH] = await Promise.all([
      runCli(['help']),
      runCli(['help', 'get']),
      runCli(['get', '-h']),
      runCli(['validate', '-h']),
    ]);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /COMMANDS\n[\s\S]*apply[\s\S]*validate/);
    for (const r of [helpGet, dashH]) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Show resources of one kind/);
      assert.match(r.stdout, /\$ zonectl get KIND \[NAME\]/);
    }
    assert.equal(fastDashH.code, 0, fastDashH.stderr);
    assert.match(fastDashH.stdout, /--allow-empty/);
  });

  test('a typo is a usage error that suggests the closest command (exit 2)', async () => {
    const r = await runCli(['aply', '-f', 'x.yaml']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'Error: unknown command "aply" for "zonectl"\n\nDid you mean this?\n  apply\n\nRun \'zonectl help\' for a list of commands.\n');
    const v = await runCli(['validte', 'examples/']);
    assert.equal(v.code, 2);
    assert.match(v.stderr, /^Error: unknown command "validte" for "zonectl"\n\nDid you mean this\?\n {2}validate\n/);
    assert.doesNotMatch(v.stderr, /validte:examples/);
  });

  test('suggestions: nested commands, nothing when nothing is close', () => {
    const ids = ['apply', 'validate', 'get', 'config:control-planes:list', 'config:view'];
    assert.deepEqual(suggestCommand('config:contrl-planes:list', ids), { typed: 'config contrl-planes list', command: 'config control-planes list' });
    assert.deepEqual(suggestCommand('validte:examples/', ids), { typed: 'validte', command: 'validate' });
    assert.deepEqual(suggestCommand('frobnicate', ids), { typed: 'frobnicate' });
  });
});

describe('zonectl version', () => {
  test('--client prints the client line only; --json is the typed value', async () => {
    const r = await runCli(['version', '--client']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Client: zonectl \d+\.\d+\.\d+ \(node v\d+/);
    assert.doesNotMatch(r.stdout, /Server/);
    const j = await runCli(['version', '--client', '--json']);
    const info = JSON.parse(j.stdout) as { client: { product: string; version: string }; server?: unknown };
    assert.equal(info.client.product, 'zonectl');
    assert.equal(info.server, undefined);
  });

  test('with a reachable context: the server line with product, version and basedOnKuma', async (t) => {
    const cp = await startTestControlPlane(t);
    const ctx = cliContext(t, cp.url);
    const r = await runCli(['version'], { env: ctx.env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`\\nServer: zonectl \\d+\\.\\d+\\.\\d+ \\(based on Kuma 2\\.14\\.\\d+\\) at ${cp.url.replace(/\./g, '\\.')}\\n$`));
    const j = await runCli(['version', '-o', 'json'], { env: ctx.env });
    const info = JSON.parse(j.stdout) as { server: { product: string; basedOnKuma: string; url: string } };
    assert.equal(info.server.product, 'zonectl');
    assert.match(info.server.basedOnKuma, /^2\.14\./);
  });

  test('an unreachable control plane: the server line says why, exit 0', async (t) => {
    const ctx = cliContext(t, 'http://127.0.0.1:1');
    const r = await runCli(['version'], { env: ctx.env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\nServer: unavailable: control plane at http:\/\/127\.0\.0\.1:1 refused the connection/);
  });
});

describe('errors under --json', () => {
  test('are one JSON object on stderr with code, message and exit code', async (t) => {
    const ctx = cliContext(t, 'http://127.0.0.1:1');
    const r = await runCli(['get', 'meshes', '--json'], { env: ctx.env });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.deepEqual(JSON.parse(r.stderr), {
      error: { code: 'unavailable', message: "control plane at http://127.0.0.1:1 refused the connection (is 'zonectl control-plane run' running?)", exitCode: 1 },
    });
    const usage = await runCli(['get', 'meshes', '-o', 'json', '--bogus'], { env: ctx.env });
    assert.equal(usage.code, 2);
    const body = JSON.parse(usage.stderr) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'usage');
    assert.match(body.error.message, /Nonexistent flag: --bogus/);
  });

  test('wantsJson reads every spelling', () => {
    for (const argv of [['--json'], ['-o', 'json'], ['--output', 'json'], ['--output=json'], ['-ojson']]) assert.equal(wantsJson(argv), true, argv.join(' '));
    for (const argv of [['-o', 'yaml'], ['--', '--json'], ['get', 'json']]) assert.equal(wantsJson(argv), false, argv.join(' '));
  });
});

describe('validate: no silent success', () => {
  test('zero documents fail with exit 3 and say so; --allow-empty accepts them', async (t) => {
    const dir = tmpDir(t);
    const empty = await runCli(['validate', dir]);
    assert.equal(empty.code, 3);
    assert.equal(empty.stdout, 'FAIL: no documents found in 0 files (an empty directory or empty input?); pass --allow-empty to accept that\n');
    const stdin = await runCli(['validate', '-'], { stdin: '' });
    assert.equal(stdin.code, 3);
    assert.match(stdin.stdout, /^FAIL: no documents found in 1 file /);
    const allowed = await runCli(['validate', '--allow-empty', dir]);
    assert.equal(allowed.code, 0, allowed.stdout);
    const json = await runCli(['validate', '--json', '-'], { stdin: '' });
    assert.equal(json.code, 3);
    assert.deepEqual(JSON.parse(json.stdout), { valid: false, summary: { files: 1, documents: 0, invalid: 0, warnings: 0, skipped: 0 }, results: [] });
  });
});

describe('no silent success: config files, wrong addresses, busy ports', () => {
  test('--config-file (or ZONECTL_CONFIG) naming a missing file is a usage error, except for `config control-planes add`', async (t) => {
    const dir = tmpDir(t);
    const missing = `${dir}/nope/config`;
    const r = await runCli(['get', 'meshes', '--config-file', missing]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `Error: the config file ${missing} (from --config-file) does not exist: check the path, or create it with 'zonectl config control-planes add --config-file ${missing} --name NAME --address URL'\n`,
    );
    const env = await runCli(['config', 'view'], { env: { ZONECTL_CONFIG: missing } });
    assert.equal(env.code, 2);
    assert.match(env.stderr, /\(from ZONECTL_CONFIG\) does not exist/);
    const add = await runCli(['config', 'control-planes', 'add', '--config-file', missing, '--name', 'x', '--address', 'http://127.0.0.1:1', '--skip-check']);
    assert.equal(add.code, 0, add.stderr);
    assert.equal((await runCli(['config', 'view', '--config-file', missing])).code, 0);
  });

  test('a context that points at a web page says so instead of printing the HTML', async (t) => {
    const server = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<!DOCTYPE HTML>\n<html><body>Not Found</body></html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const ctx = cliContext(t, url);
    const r = await runCli(['get', 'meshes'], { env: ctx.env });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `Error: ${url} answered GET /meshes with an HTML page (HTTP 404), not like a control plane's API: check the address and port with 'zonectl config view' (zonectl's and kuma-cp's API listen on 5681)\n`,
    );
    assert.doesNotMatch(r.stderr, /DOCTYPE/);
  });

  test('a busy port given by a flag is a usage error (exit 2) naming the flag; the dp-server binds loopback by default', async (t) => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    t.after(() => blocker.close());
    const port = String((blocker.address() as AddressInfo).port);
    const dir = tmpDir(t);
    const api = await runCli(['control-plane', 'run', '--store', 'memory', '--data-dir', dir, '--api-port', port, '--dp-port', '0']);
    assert.equal(api.code, 2, api.stderr);
    assert.match(api.stderr, new RegExp(`^Error: --api-port ${port}: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.* pick another port with --api-port, or 0 for a free one\\)$`, 'm'));
    const dp = await runCli(['control-plane', 'run', '--store', 'memory', '--data-dir', dir, '--api-port', '0', '--dp-port', port]);
    assert.equal(dp.code, 2, dp.stderr);
    assert.match(dp.stderr, new RegExp(`^Error: --dp-port ${port}: the dp-server cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`, 'm'));
  });
});
