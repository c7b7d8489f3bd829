// Benchmark backends (one process, pinned by the parent): each port plays one kind of upstream.
//   bulk:  streams data as fast as the reader takes it      hold: keeps the connection, says 1 byte
//   echo1: answers the first read with 1 byte and closes   echo: echoes everything
import net from 'node:net';

const CHUNK = Buffer.alloc(256 * 1024, 0x61);
const kinds = {
  bulk(s) {
    s.resume();
    const pump = () => {
      while (!s.destroyed && s.write(CHUNK));
    };
    s.on('drain', pump);
    pump();
  },
  echo1(s) {
    s.once('data', () => s.end('x'));
  },
  echo(s) {
    s.setNoDelay(true);
    s.pipe(s);
  },
  hold(s) {
    s.resume();
    s.write('x');
  },
};

const ports = {};
for (const [kind, handler] of Object.entries(kinds)) {
  const server = net.createServer({ noDelay: true }, (s) => {
    s.on('error', () => {});
    handler(s);
  });
  await new Promise((r) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, r));
  ports[kind] = server.address().port;
}
process.stdout.write(JSON.stringify(ports) + '\n');
