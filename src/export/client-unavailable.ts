/**
 * Thrown by a channel's custom `send` when the client it sends with cannot be had at all (an SDK
 * that is installed but fails to load): no request was made and waiting will not make one, so the
 * core drops the batch as `client_unavailable` and reports the message, instead of retrying it as a
 * network failure until `retries_exhausted`. The message goes to diagnostics: it must hold no secret.
 */
export class ClientUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientUnavailableError';
  }
}
