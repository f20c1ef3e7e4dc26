import net from "node:net";

/**
 * A TCP pass-through on 127.0.0.1 (TLS goes through untouched), used by the integration tests to take
 * the API server away from the informers and give it back: `stop()` closes the listener and cuts
 * every open connection, `start()` listens again on the same port.
 */
export class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private boundPort = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** The port it listens on (0 before the first start). */
  get port(): number {
    return this.boundPort;
  }

  /** Listens on `port` (default: the previous port, else a free one); resolves with the port. */
  start(port = this.boundPort): Promise<number> {
    if (this.server) return Promise.resolve(this.boundPort);
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      this.sockets.add(client);
      this.sockets.add(upstream);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on("error", close).on("close", close);
      upstream.on("error", close).on("close", close);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        this.boundPort = (server.address() as net.AddressInfo).port;
        resolve(this.boundPort);
      });
    });
  }

  /** Stops listening and cuts every connection (like the API server going away). */
  stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
