// Each service's own config loader, by service folder: the deploy checks load a container's
// environment with it, so a manifest is held to what the service really reads.
import { loadHypervisorCoreConfig } from '@duet/hypervisor-core/dist/config';
import { loadPersonaRuntimeConfig } from '@duet/persona-runtime/dist/config';
import { loadPolicyAuthorityConfig } from '@duet/policy-authority/dist/config';
import { loadTelemetryConfig } from '@duet/telemetry/dist/config';
import { loadClientSecurityConfig } from '@duet/service-kit';

export const CONFIG_LOADERS: Record<string, (environment: NodeJS.ProcessEnv) => object> = {
  'hypervisor-core': loadHypervisorCoreConfig,
  'persona-runtime': loadPersonaRuntimeConfig,
  'policy-authority': loadPolicyAuthorityConfig,
  telemetry: loadTelemetryConfig,
};

/**
 * Loads a service's config from `environment` and reports which variables its schema read, and
 * those every service reads through service-kit (its Kafka and PostgreSQL clients' TLS and SASL).
 */
export function loadConfig(folder: string, environment: Record<string, string>): { config: Record<string, unknown>; read: Set<string> } {
  const read = new Set<string>();
  const recording = new Proxy(environment, {
    get(target, key) {
      if (typeof key === 'string') read.add(key);
      return Reflect.get(target, key);
    },
  });
  const config = CONFIG_LOADERS[folder](recording) as Record<string, unknown>;
  return { config: { ...config, ...loadClientSecurityConfig(recording) }, read };
}
