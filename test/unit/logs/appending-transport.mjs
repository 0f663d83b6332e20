/**
 * A pino transport target that appends each chunk to a file as it arrives, so what the file holds
 * is what the transport's worker has been given, without a writer of its own in between.
 */
import { appendFileSync } from 'node:fs';
import { Writable } from 'node:stream';

export default function appendingTransport({ destination }) {
  return new Writable({
    write(chunk, _encoding, done) {
      appendFileSync(destination, chunk);
      done();
    },
  });
}
