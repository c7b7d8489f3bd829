/**
 * Upstream faults for egress tests and the reliability suite, all on 127.0.0.1 without root:
 * a port that drops SYNs, and one that accepts and then never reads.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';

type After = { after: (fn: () => unknown) => void };

/**
 * A port whose SYNs are dropped, like a firewalled host: a child process listens with a backlog
 * of 1 and is stopped (SIGSTOP), so it never accepts; once its accept queue is full the kernel
 * drops further SYNs and a connect hangs until the client gives up.
 */
export async function synDroppingPort(t: After): Promise<number> {
  const child = spawn(process.execPath, ['-e', "require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, function () { console.log(this.address().port) })"], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  child.kill('SIGSTOP');
  // Fill the accept queue: connects succeed (the kernel answers) until it is full.
  const fillers: net.Socket[] = [];
  t.after(() => fillers.forEach((s) => s.destroy()));
  for (let i = 0; i < 16; i++) {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('error', () => {});
    fillers.push(s);
    const connected = await Promise.race([once(s, 'connect').then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 150))]);
    if (!connected) return port;
  }
  throw new Error('could not fill the accept queue of the SYN-dropping listener');
}
