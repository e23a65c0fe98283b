/**
 * The one call a component's `cmd/` file makes to get a Client: find the configuration
 * (kubeconfig.ts) and build an HttpClient over it.
 *
 * @example
 * const { client, config } = connect({ kubeconfig: flags.kubeconfig, userAgent: 'portico-proxy', logger });
 * logger.info('Using API server', { server: config.server, source: config.source });
 */
import { HttpClient, type HttpClientOptions } from './http.js';
import { loadRestConfig, type LoadConfigOptions, type RestConfig } from './kubeconfig.js';

export type ConnectOptions = LoadConfigOptions & Omit<HttpClientOptions, 'config'>;

/** @throws ClientError E_CLIENT_CONFIG when no usable configuration is found. */
export function connect(options: ConnectOptions = {}): { client: HttpClient; config: RestConfig } {
  const { kubeconfig, context, server, namespace, env, serviceAccountDir, ...http } = options;
  const config = loadRestConfig({
    kubeconfig,
    context,
    server,
    namespace,
    ...(env ? { env } : {}),
    ...(serviceAccountDir ? { serviceAccountDir } : {}),
  });
  return { client: new HttpClient({ ...http, config }), config };
}
