// A forward proxy on loopback that tunnels CONNECT requests, as a corporate HTTPS proxy does. It records each
// tunnel's target and refuses any target but 127.0.0.1, so a test can never send traffic elsewhere through it.
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';

export function connectProxy(tunnels: string[]): Server {
  const proxy = createServer();
  proxy.on('connect', (req, client, head) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    if (host !== '127.0.0.1') return client.destroy();
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  return proxy;
}
