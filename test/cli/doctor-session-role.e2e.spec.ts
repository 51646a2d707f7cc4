import pg from 'pg';
import { runDoctor } from '../../src/cli/index.js';
import { createOwnerRole } from '../support/owner-role.js';
import { findPgBouncer, startPgBouncer } from '../support/pgbouncer.js';
import { createTestRole, useTestDatabase } from '../support/roles.js';

const database = useTestDatabase('doctor');

const binary = findPgBouncer();
const missing = 'pgbouncer is not installed (apt-get install pgbouncer; .ci/run installs it)';
if (!binary && !process.env.CI) process.stdout.write(`SKIP the PgBouncer case of doctor-session-role: ${missing}\n`);
const itWithPgBouncer = binary || process.env.CI ? it : it.skip;

describe('nestjs-rotating-pg doctor with sessionRole', () => {
  it('passes when sessions act as the role, and still finds the backends of the login user', async () => {
    const role = await createTestRole(database.server, 'doc');
    const owner = await createOwnerRole(database.server, role, [role]);
    // An old backend of the login user: pg_stat_activity lists it under the login user, not the role.
    const holder = new pg.Client({ connectionString: role.dsn, application_name: 'held-open' });
    await holder.connect();
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const report = await runDoctor({ dsn: role.dsn, sessionRole: owner, connectionMaxLifetime: '1s' });
      expect(report.checks.find((row) => row.check === 'session-role')).toEqual({
        check: 'session-role',
        verdict: 'pass',
        detail: `sessions act as role ${owner} (login user ${role.username}): what they create is owned by ${owner}`,
      });
      expect(report.backends).toEqual([expect.objectContaining({ applicationName: 'held-open', tooOld: true })]);
    } finally {
      await holder.end();
    }
  });

  it('fails the connect check of a login user that is not a member, with the GRANT as the fix', async () => {
    const role = await createTestRole(database.server, 'doc');
    const owner = await createOwnerRole(database.server, role, []);
    const report = await runDoctor({ dsn: role.dsn, sessionRole: owner });
    expect(report.ok).toBe(false);
    expect(report.checks.find((row) => row.check === 'connect')).toMatchObject({
      verdict: 'fail',
      detail: `permission denied to set role "${owner}"`,
      fix: expect.stringContaining(`GRANT "${owner}" TO "${role.username}"`),
    });
    expect(JSON.stringify(report)).not.toContain(role.password);
  });

  itWithPgBouncer(
    'behind PgBouncer that drops startup options: fails, and ALTER ROLE … SET role (the documented fix) makes it pass',
    async () => {
      const role = await createTestRole(database.server, 'doc');
      const owner = await createOwnerRole(database.server, role, [role]);
      const bouncer = await startPgBouncer(database.server, { databases: [role.username] });
      try {
        const options = {
          dsn: `postgresql://${role.username}:${role.password}@${bouncer.host}:${bouncer.port}/${role.username}`,
          sessionRole: owner,
        };
        const dropped = await runDoctor(options);
        expect(dropped.checks.find((row) => row.check === 'session-role')).toMatchObject({
          verdict: 'fail',
          detail: expect.stringContaining(`sessions act as ${role.username}, not as role ${owner}`),
          fix: expect.stringContaining(`ALTER ROLE "${role.username}" SET role = '${owner}'`),
        });

        await database.server.admin(`ALTER ROLE ${role.username} SET role = '${owner}'`);
        // PgBouncer's server connections logged in before the ALTER keep the old default: start afresh.
        await bouncer.console('RECONNECT');
        const fixed = await runDoctor(options);
        expect(fixed.checks.find((row) => row.check === 'session-role')).toMatchObject({ verdict: 'pass' });
      } finally {
        await bouncer.stop();
      }
    },
  );
});
