// The floor of any Node relay, for bench/egress.mjs: the first chunk (the ClientHello) is read,
// the one upstream is connected, and both directions are pipe()d, with no parsing, routing,
// metrics or timers. What zonectl costs per connection beyond this is zonectl's; the rest is
// Node's own per-socket cost (two net.Sockets with their stream state, libuv's epoll calls).
// Usage: node naive-relay.mjs LISTEN_PORT UPSTREAM_PORT
import net from 'node:net';

const [port, upstreamPort] = process.argv.slice(2).map(Number);
const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
  client.on('error', () => {});
  client.once('data', (hello) => {
    client.pause();
    const up = net.connect({ host: '127.0.0.1', port: upstreamPort, allowHalfOpen: true, noDelay: true }, () => {
      up.write(hello);
      client.pipe(up);
      up.pipe(client);
      client.resume();
    });
    up.on('error', () => client.destroy());
    client.on('close', () => up.destroy());
  });
});
server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'));
