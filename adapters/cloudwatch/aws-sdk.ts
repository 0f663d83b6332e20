// Not `import { createRequire }`: webpack turns calls of that binding into its own require, which
// knows no package named at run time, so a webpack bundle would never find the SDK.
import * as nodeModule from 'node:module';
import { type ChannelSpec, ClientUnavailableError, type ExportResponse } from '../../src/export/index.js';
import { ErrorCodes, SightlineConfigError } from '../../src/diag/errors.js';
import { peerLocation } from '../../src/internal/peer-location.js';

/** The optional peer dependencies api mode loads. */
export const CLOUDWATCH_SDK = '@aws-sdk/client-cloudwatch';
export const LOGS_SDK = '@aws-sdk/client-cloudwatch-logs';

/**
 * Fails setup when an SDK package cannot be resolved, so a missing optional dependency shows at
 * `init()` rather than as silently failing exports. The package itself is loaded only on first send.
 * Every missing package is named, so that the install the message gives is the one that is needed.
 *
 * @throws SightlineConfigError `SL_ERR_CONFIG_MISSING_DEPENDENCY` naming the packages and the fix.
 * @example
 * assertInstalled('@aws-sdk/client-cloudwatch', '@aws-sdk/client-cloudwatch-logs');
 */
export function assertInstalled(...pkgs: string[]): void {
  const require = peerRequire();
  const missing = pkgs.filter((pkg) => {
    try {
      require.resolve(pkg);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return;
  const named = missing.length === 1 ? `the package ${missing[0]}` : `the packages ${missing.join(' and ')}`;
  throw new SightlineConfigError(
    ErrorCodes.CONFIG_MISSING_DEPENDENCY,
    'cloudwatch.mode',
    `cloudwatch mode 'api' needs ${named}, ${missing.length === 1 ? 'which is' : 'which are'} not installed; ` +
      `run npm install ${missing.join(' ')}, or use mode 'emf' (no AWS SDK needed)`,
  );
}

/** A require that finds the peer dependencies as the application would. */
function peerRequire(): NodeJS.Require {
  return nodeModule.createRequire(peerLocation(moduleLocation()));
}

/**
 * Where this module lives, so the peer dependency resolves as the application would import it:
 * `import.meta.url` in the ES module build; the CommonJS build has no `import.meta` but has `__filename`.
 */
function moduleLocation(): string {
  const url = (import.meta as { url?: string } | undefined)?.url;
  if (url) return url;
  return typeof __filename === 'string' ? __filename : `${process.cwd()}/index.js`;
}

/**
 * Loads an SDK package on first use. The specifier is a variable on purpose: bundlers must leave
 * the optional peer dependency out of sightline's own build, and the application's bundle loads it
 * from `node_modules` at run time (webpack too, told so by the comment, where it would otherwise
 * put in a stand-in that always fails).
 */
export async function loadSdk<T>(pkg: string): Promise<T> {
  try {
    // An import that failed in a module of the SDK's has that failure kept for the module and given
    // to every later import of it; require keeps none, so the next attempt loads it (once handles
    // are back, or, under Node 22, the missing dependency installed).
    if (importFailed.has(pkg)) return peerRequire()(pkg) as T;
    return (await import(/* webpackIgnore: true */ /* @vite-ignore */ pkg)) as T;
  } catch (error) {
    importFailed.add(pkg);
    const code = loadErrorCode(error);
    // Out of file handles for a moment: the next attempt may load it.
    if (isTransientLoadError(code, error)) throw error;
    throw new ClientUnavailableError(
      `the package ${pkg} is installed but failed to load (${code}); ` +
        // Node 24 keeps a dependency it did not find as missing until the process restarts.
        `reinstall it with its dependencies (npm install ${pkg}) and restart the process`,
    );
  }
}

const TRANSIENT_LOAD_ERRORS = new Set(['EMFILE', 'ENFILE', 'EAGAIN']);
/** SDK packages whose import failed: loaded with require from then on. */
const importFailed = new Set<string>();
/**
 * The system's words for those codes, at the end of the message Node 24 gives a package.json it
 * could not read (`ERR_INVALID_PACKAGE_CONFIG`, with no code of the cause): init() read that
 * file already, so it failing now is the moment's shortage, not the install.
 */
const TRANSIENT_PACKAGE_READ =
  /: (?:too many open files|file table overflow|resource temporarily unavailable)\.?$/;

function isTransientLoadError(code: string, error: unknown): boolean {
  if (TRANSIENT_LOAD_ERRORS.has(code)) return true;
  if (code !== 'ERR_INVALID_PACKAGE_CONFIG') return false;
  // The message of the error the code was read from (see loadErrorCode).
  const e = error as { code?: unknown; message?: unknown; cause?: { message?: unknown } };
  const message = e.code !== undefined ? e.message : e.cause?.message;
  return typeof message === 'string' && TRANSIENT_PACKAGE_READ.test(message);
}

/** The error's code (`ERR_MODULE_NOT_FOUND`) or name (`SyntaxError`), never its message, which holds paths. */
function loadErrorCode(error: unknown): string {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    name?: unknown;
    cause?: { code?: unknown };
  };
  const code = e.code ?? e.cause?.code ?? e.name;
  return typeof code === 'string' && /^\w{1,40}$/.test(code) ? code : 'Error';
}

// Error codes AWS uses for throttling across services (the SDK's own list, plus CloudWatch's `Throttling`).
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
]);

interface SdkError {
  readonly name?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly $retryable?: { readonly throttling?: unknown };
}

/**
 * The HTTP status the export core should see for an AWS SDK error: throttling → 429 (retried), a
 * server fault → its 5xx (retried), a client fault such as a validation error → its 4xx (dropped as
 * rejected). `undefined` when no answer came back (refused connection, reset, timeout): the caller
 * rethrows and the core retries it as a network failure.
 *
 * @example
 * sdkErrorStatus({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }); // 429
 */
export function sdkErrorStatus(error: unknown): number | undefined {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkError;
  const raw = e.$metadata?.httpStatusCode;
  const status = typeof raw === 'number' && Number.isInteger(raw) ? raw : undefined;
  const name = typeof e.name === 'string' ? e.name : '';
  if (THROTTLING.has(name) || e.$retryable?.throttling === true || status === 429) return 429;
  if (status === undefined) return undefined;
  if (status >= 500) return status;
  if (e.$fault === 'server') return 503;
  // An error on a 2xx/3xx answer means the reply could not be read: worth another try.
  if (status < 400) return 502;
  return status;
}

/**
 * Wraps an SDK call as the export core's `send`: a resolved call is a 200 whose body is the call's
 * summary (read by `onResponse`); an SDK error becomes its status per {@link sdkErrorStatus}; a
 * failure without an answer is rethrown so the core retries it. Error messages are never copied
 * anywhere, so nothing an SDK puts in them can leak.
 *
 * @example
 * const send = sdkSend(async (body, signal) => { await client.send(command(body), { abortSignal: signal }); return ''; });
 */
export function sdkSend(
  call: (body: Uint8Array, signal: AbortSignal) => Promise<string>,
): NonNullable<ChannelSpec<unknown>['send']> {
  return async (request, signal): Promise<ExportResponse> => {
    try {
      const body = await call(request.body, signal);
      return { status: 200, headers: new Headers(), body, truncated: false };
    } catch (error) {
      const status = sdkErrorStatus(error);
      if (status === undefined) throw error;
      return { status, headers: new Headers(), body: '', truncated: false };
    }
  };
}
