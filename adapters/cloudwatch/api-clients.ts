import type * as CloudWatchSdk from '@aws-sdk/client-cloudwatch';
import type * as LogsSdk from '@aws-sdk/client-cloudwatch-logs';
import { CLOUDWATCH_SDK, LOGS_SDK, loadSdk } from './aws-sdk.js';
import { detachedRequestHandler } from './detached-agents.js';
import { decodeMetricData } from './encode-metric-data.js';
import { decodeLogEvents } from './encode-logs.js';
import type { AwsCredentials } from './options.js';

/** How the SDK clients are built. */
export interface ClientSettings {
  readonly region: string;
  /** Replaces the service endpoint (tests, VPC endpoints). */
  readonly endpoint?: URL;
  readonly credentials?: AwsCredentials;
}

function clientConfig(settings: ClientSettings, detached: boolean) {
  return {
    region: settings.region,
    ...(detached ? { requestHandler: detachedRequestHandler() } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint.href } : {}),
    ...(settings.credentials ? { credentials: { ...settings.credentials } } : {}),
    // The export core owns retries, back-off and accounting; a second retry loop would hide them.
    maxAttempts: 1,
  };
}

/**
 * A client whose requests do not keep the process alive; an SDK from before handler options (2023)
 * keeps them as a handler it cannot call, and gets its default one instead.
 */
function newClient<C extends { config: unknown }>(
  Client: new (config: ReturnType<typeof clientConfig>) => C,
  settings: ClientSettings,
): C {
  const client = new Client(clientConfig(settings, true));
  const handler = (client.config as { requestHandler?: { handle?: unknown } }).requestHandler;
  return typeof handler?.handle === 'function' ? client : new Client(clientConfig(settings, false));
}

/**
 * PutMetricData through `@aws-sdk/client-cloudwatch`, loaded and built on the first call.
 *
 * @example
 * const metrics = createMetricsClient({ region: 'eu-west-1' }, 'Shop');
 * await metrics.put(body, signal);
 */
export function createMetricsClient(settings: ClientSettings, namespace: string) {
  let loaded: Promise<{ sdk: typeof CloudWatchSdk; client: CloudWatchSdk.CloudWatchClient }> | undefined;
  const load = () => {
    loaded ??= loadSdk<typeof CloudWatchSdk>(CLOUDWATCH_SDK).then((sdk) => ({
      sdk,
      client: newClient(sdk.CloudWatchClient, settings),
    }));
    // A failed load is tried again next time rather than remembered.
    loaded.catch(() => {
      loaded = undefined;
    });
    return loaded;
  };
  return {
    async put(body: Uint8Array, signal: AbortSignal): Promise<string> {
      const { sdk, client } = await load();
      const MetricData = decodeMetricData(body) as unknown as CloudWatchSdk.MetricDatum[];
      await client.send(new sdk.PutMetricDataCommand({ Namespace: namespace, MetricData }), {
        abortSignal: signal,
      });
      return '';
    },
    async destroy(): Promise<void> {
      const current = loaded;
      loaded = undefined;
      if (current) (await current.catch(() => undefined))?.client.destroy();
    },
  };
}

/** Where log events go, and whether a missing group or stream is created. */
export interface LogTarget {
  readonly logGroup: string;
  readonly logStream: string;
  readonly create: boolean;
}

/**
 * PutLogEvents through `@aws-sdk/client-cloudwatch-logs`, loaded and built on the first call. On
 * `ResourceNotFoundException` it creates the stream, and the group first if that is missing too (when
 * allowed), and sends once more.
 * Resolves to the JSON of `rejectedLogEventsInfo` (or `''`).
 *
 * @example
 * const logs = createLogsClient({ region: 'eu-west-1' }, { logGroup: '/shop', logStream: 'web-1', create: true });
 * await logs.put(body, signal);
 */
export function createLogsClient(settings: ClientSettings, target: LogTarget) {
  let loaded: Promise<{ sdk: typeof LogsSdk; client: LogsSdk.CloudWatchLogsClient }> | undefined;
  let created: Promise<void> | undefined;
  const load = () => {
    loaded ??= loadSdk<typeof LogsSdk>(LOGS_SDK).then((sdk) => ({
      sdk,
      client: newClient(sdk.CloudWatchLogsClient, settings),
    }));
    loaded.catch(() => {
      loaded = undefined;
    });
    return loaded;
  };

  async function ensureTarget(
    sdk: typeof LogsSdk,
    client: LogsSdk.CloudWatchLogsClient,
    signal: AbortSignal,
  ): Promise<void> {
    const exists = (error: unknown) => {
      if (errorName(error) !== 'ResourceAlreadyExistsException') throw error;
    };
    const { logGroup: logGroupName, logStream: logStreamName } = target;
    const createStream = () =>
      client.send(new sdk.CreateLogStreamCommand({ logGroupName, logStreamName }), { abortSignal: signal });
    // The stream first: a group made beforehand is the common case, and a least-privilege role may
    // create streams in it but not groups. Only a missing group calls for CreateLogGroup.
    try {
      await createStream();
      return;
    } catch (error) {
      if (errorName(error) === 'ResourceAlreadyExistsException') return;
      if (errorName(error) !== 'ResourceNotFoundException') throw error;
    }
    await client.send(new sdk.CreateLogGroupCommand({ logGroupName }), { abortSignal: signal }).catch(exists);
    await createStream().catch(exists);
  }

  return {
    async put(body: Uint8Array, signal: AbortSignal): Promise<string> {
      const { sdk, client } = await load();
      const input = {
        logGroupName: target.logGroup,
        logStreamName: target.logStream,
        logEvents: decodeLogEvents(body),
      };
      let output: LogsSdk.PutLogEventsCommandOutput;
      try {
        output = await client.send(new sdk.PutLogEventsCommand(input), { abortSignal: signal });
      } catch (error) {
        if (!target.create || errorName(error) !== 'ResourceNotFoundException') {
          throw error;
        }
        // Logs and events share the group: one creation at a time, forgotten if it fails.
        created ??= ensureTarget(sdk, client, signal);
        created.catch(() => {
          created = undefined;
        });
        await created;
        created = undefined;
        output = await client.send(new sdk.PutLogEventsCommand(input), { abortSignal: signal });
      }
      const info = output.rejectedLogEventsInfo;
      return info ? JSON.stringify(info) : '';
    },
    async destroy(): Promise<void> {
      const current = loaded;
      loaded = undefined;
      if (current) (await current.catch(() => undefined))?.client.destroy();
    },
  };
}

function errorName(error: unknown): unknown {
  return (error as { name?: unknown } | null)?.name;
}
