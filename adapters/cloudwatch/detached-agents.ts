import { type ClientRequest, type ClientRequestArgs, Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * The AWS SDK's default agents (keep-alive, 50 sockets) with sockets that never keep the process
 * alive, in flight or idle, as the export core's own requests: a process ending on its own shuts
 * sightline down, whose deadline bounds a call to an endpoint that hangs, instead of that call
 * holding the process for its whole timeout first.
 */
function detached<A extends typeof HttpAgent>(Base: A): A {
  return class extends (Base as typeof HttpAgent) {
    override createConnection(
      options: ClientRequestArgs,
      callback?: (err: Error | null, stream: Duplex) => void,
    ): Duplex | null | undefined {
      const socket = super.createConnection(options, callback);
      (socket as Socket | null | undefined)?.unref?.();
      return socket;
    }

    // Node's own refs a kept-alive socket again for its next request.
    override reuseSocket(socket: Duplex, request: ClientRequest): void {
      super.reuseSocket(socket, request);
      (socket as Socket).unref?.();
    }
  } as A;
}

const DetachedHttpAgent = detached(HttpAgent);
const DetachedHttpsAgent = detached(
  HttpsAgent as unknown as typeof HttpAgent,
) as unknown as typeof HttpsAgent;

/** The SDK client's `requestHandler` options: its handler, over agents that do not hold the process. */
export function detachedRequestHandler(): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
  const options = { keepAlive: true, maxSockets: 50 };
  return { httpAgent: new DetachedHttpAgent(options), httpsAgent: new DetachedHttpsAgent(options) };
}
