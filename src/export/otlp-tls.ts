import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ErrorCodes, SightlineConfigError, describeValue } from '../diag/errors.js';
import type { EnvFile, TlsFiles } from './otlp-env.js';
import type { ClientTls } from './spec.js';

function fail(variable: string, message: string): never {
  throw new SightlineConfigError(ErrorCodes.CONFIG_INVALID_ENV, variable, message);
}

function read(file: EnvFile): Buffer {
  try {
    return readFileSync(file.path);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    return fail(
      file.variable,
      `${file.variable} names ${describeValue(file.path)}, which cannot be read (${typeof code === 'string' ? code : 'error'}); ` +
        'point it at a readable PEM file or unset it',
    );
  }
}

/** Whether the text holds a PEM certificate; OpenSSL would take anything else as no CA at all. */
function isPemCertificate(pem: Buffer): boolean {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) return false;
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads the certificate files of one signal, at setup: only an environment that uses the adapter
 * needs them. Messages name the variables and paths, never what the files hold (a private key).
 *
 * @throws SightlineConfigError `SL_ERR_CONFIG_INVALID_ENV` for a file that cannot be read, that is
 * not PEM, or a client certificate without its key (or the reverse).
 */
export function readTlsFiles(files: TlsFiles): ClientTls | undefined {
  const { ca, cert, key } = files;
  if (!ca && !cert && !key) return undefined;
  if (cert && !key) fail(cert.variable.replace(/CERTIFICATE$/, 'KEY'), `${cert.variable} needs its key`);
  if (key && !cert)
    fail(key.variable.replace(/KEY$/, 'CERTIFICATE'), `${key.variable} needs its certificate`);
  const tls = { ca: ca && read(ca), cert: cert && read(cert), key: key && read(key) };
  if (ca && tls.ca && !isPemCertificate(tls.ca))
    fail(ca.variable, `${ca.variable} names ${describeValue(ca.path)}, which holds no PEM certificate`);
  if (cert && key) {
    try {
      createSecureContext({ cert: tls.cert, key: tls.key });
    } catch {
      fail(
        key.variable,
        `${cert.variable} and ${key.variable} are not a PEM certificate and the private key that goes with it`,
      );
    }
  }
  return tls;
}
