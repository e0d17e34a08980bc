import { Client, type ClientConfig } from 'pg';

/**
 * The app pool's connections, each known from its creation until it has really closed.
 *
 * pg-pool's end() (what closing the app's DataSource calls) resolves once every connection has been
 * told to close, not once they have: the server may still be ending their sessions. A process that
 * says it has closed must have let go of the database, or whatever comes next (stopping the embedded
 * server, dropping the database, a check that nothing leaked) finds sessions still there.
 */
export class DatabaseConnections {
  private readonly open = new Set<Client>();
  /** callers of allClosed still waiting, each woken once the last connection has closed */
  private readonly waiting = new Set<() => void>();

  /** the pg client class the pool builds its connections with (pg-pool's `Client` option) */
  readonly Client: typeof Client;

  constructor() {
    const tracker = this;
    this.Client = class TrackedClient extends Client {
      constructor(config?: string | ClientConfig) {
        super(config);
        tracker.open.add(this);
        // 'end' comes when the socket has closed, after a clean close, a failed connect or a cut connection
        this.once('end', () => tracker.closed(this));
      }
    };
  }

  /** Resolves once every connection the pool made has closed, or after `timeoutMs` whatever is left. */
  async allClosed(timeoutMs = 10_000): Promise<void> {
    if (!this.open.size) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs).unref();
      this.waiting.add(done);
    });
  }

  private closed(client: Client): void {
    this.open.delete(client);
    if (!this.open.size) this.waiting.forEach((wake) => wake());
  }
}
