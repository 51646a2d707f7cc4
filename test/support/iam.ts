import { RdsIamProxy, type RdsIamProxyOptions } from '../../src/testing/index.js';
import type { TestRole } from './roles.js';

/**
 * The RDS IAM emulator in front of `server`, letting `role` in (with its database password behind
 * the proxy) for tokens signed with `options.credentials` for us-east-1.
 */
export function iamProxyFor(
  server: { host: string; port: number },
  role: Pick<TestRole, 'username' | 'password'>,
  options: Omit<RdsIamProxyOptions, 'backend' | 'backendPassword' | 'region'>,
): RdsIamProxy {
  return new RdsIamProxy({
    backend: { host: server.host, port: server.port },
    backendPassword: (user) => (user === role.username ? role.password : undefined),
    region: 'us-east-1',
    ...options,
  });
}
