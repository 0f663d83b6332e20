import type { Attributes } from '@opentelemetry/api';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';

/** The service, environment and version a signal is sent under. */
export interface Identity {
  readonly service: string;
  readonly environment: string;
  readonly version: string | undefined;
}

/**
 * The resource attributes naming `identity`, to be laid over `resource`: the older
 * `deployment.environment` too where `resource` holds one, which backends read before the new key,
 * so both name the same environment.
 */
export function identityAttributes(identity: Identity, resource: Attributes): Attributes {
  return {
    ...('deployment.environment' in resource ? { 'deployment.environment': identity.environment } : {}),
    'service.name': identity.service,
    'deployment.environment.name': identity.environment,
    ...(identity.version ? { 'service.version': identity.version } : {}),
  };
}

/**
 * `resource` under `identity`, or undefined when it already names it: an adapter whose own service,
 * environment or version differs from sightline's sends its spans under its own, as its metrics and
 * logs are, and one that keeps sightline's sends them as they are, at no cost.
 */
export function resourceUnder(resource: Resource, identity: Identity): Resource | undefined {
  const own = identityAttributes(identity, resource.attributes);
  const same = Object.entries(own).every(([key, value]) => resource.attributes[key] === value);
  return same ? undefined : resource.merge(resourceFromAttributes(own));
}
