import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HungBackend {
  /** The server's origin, `http://127.0.0.1:<port>`. */
  readonly url: string;
  close(): Promise<void>;
}

/** A backend that takes every request and never answers, as an intake stuck behind a dead proxy. */
export async function startHungBackend(): Promise<HungBackend> {
  const server = createServer(() => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
