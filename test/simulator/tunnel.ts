// What a forwarding proxy does once it lets a CONNECT through: answer 200 and splice the client to a local port,
// both ways. Shared by the proxies the tests and benchmarks put in front of the simulator.
import * as net from 'node:net';

export function spliceTunnel(client: net.Socket, head: Buffer, port: number): void {
  const upstream = net.connect(port, '127.0.0.1', () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
}
