import { DatabaseConnectionTimeoutError } from '../../src/errors/errors.js';
import { classifyLoginError, hintFor } from '../../src/errors/login-errors.js';
import { hints } from '../../src/errors/messages.js';

describe('login refusals', () => {
  it.each([
    [{ code: '28000', routine: 'auth_failed', message: 'PAM authentication failed for user "app"' }, 'refused'],
    [{ code: '28P01', routine: 'auth_failed', message: 'password authentication failed for user "app"' }, 'refused'],
    // pg_hba.conf refusals come from ClientAuthentication: no credentials cure them.
    [
      {
        code: '28000',
        routine: 'ClientAuthentication',
        message: 'no pg_hba.conf entry for host "10.0.0.1", user "app", database "app", no encryption',
      },
      'not-permitted',
    ],
    [
      { code: '28000', routine: 'ClientAuthentication', message: 'pg_hba.conf rejects connection for host "10.0.0.1"' },
      'not-permitted',
    ],
    [{ code: '3D000', message: 'database "x" does not exist' }, undefined],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }, undefined],
    // A SQLSTATE without a routine (a proxy that drops fields): the message tells pg_hba apart.
    [{ code: '28000', message: 'PAM authentication failed for user "app"' }, 'refused'],
    [{ code: '28000', message: 'no pg_hba.conf entry for host "10.0.0.1"' }, 'not-permitted'],
    // Neither: the routine, then the message.
    [{ routine: 'auth_failed', message: 'whatever' }, 'refused'],
    [{ message: 'PAM authentication failed for user "app"' }, 'refused'],
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }, undefined],
    [{ message: 'password authentication failed, as text only' }, 'refused'],
    // Aurora DSQL's refusal of a token, with or without a SQLSTATE.
    [{ code: '28000', message: 'IAM authentication failed for user "app"' }, 'refused'],
    [{ message: 'IAM authentication failed for user "app"' }, 'refused'],
    // PgBouncer's own refusals carry 08P01 (its default code), scram-sha-256 and plain/md5 clients.
    [{ code: '08P01', message: 'SASL authentication failed' }, 'refused'],
    [{ code: '08P01', message: 'password authentication failed' }, 'refused'],
    [{ code: '08P01', message: 'invalid startup packet layout' }, undefined],
    [{ code: '08P01', message: 'no such user' }, undefined],
    // sessionRole refused at login: configuration, not credentials, so no refetch.
    [{ code: '42501', routine: 'call_string_check_hook', message: 'permission denied to set role "owner"' }, undefined],
    [{ code: '22023', routine: 'call_string_check_hook', message: 'role "owner" does not exist' }, undefined],
  ])('%j is %p', (error, expected) => {
    expect(classifyLoginError(error)).toBe(expected);
  });
});

describe('the troubleshooting table', () => {
  it.each([
    [{ code: '28000', routine: 'auth_failed', message: 'PAM authentication failed for user "app"' }, hints.pam],
    [{ code: '28000', routine: 'auth_failed', message: 'IAM authentication failed for user "app"' }, hints.iam],
    [{ code: '28000', message: 'IAM authentication failed for user "app"' }, hints.iam],
    [
      { code: '28P01', routine: 'auth_failed', message: 'password authentication failed for user "app"' },
      hints.password,
    ],
    [
      { code: '28000', routine: 'ClientAuthentication', message: 'no pg_hba.conf entry for host "10.0.0.1"' },
      hints.pgHba,
    ],
    [{ code: '08P01', message: 'SASL authentication failed' }, hints.password],
    [{ code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' }, hints.tls],
    [{ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' }, hints.tls],
    [{ code: 'ETIMEDOUT', message: 'connect ETIMEDOUT 10.0.0.1:5432' }, hints.timeout],
    [new DatabaseConnectionTimeoutError('no connection', hints.timeout), hints.timeout],
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }, hints.unreachable],
    [{ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND db.internal' }, hints.unreachable],
    [new Error('Connection terminated unexpectedly'), hints.unreachable],
    [{ code: '3D000', severity: 'FATAL', message: 'database "x" does not exist' }, hints.serverRefused],
    [{ code: '53300', severity: 'FATAL', message: 'sorry, too many clients already' }, hints.serverRefused],
    // Text only, as the table is worded.
    [new Error('context deadline exceeded'), hints.timeout],
    [new Error('Connection terminated due to connection timeout'), hints.timeout],
    [new Error('unable to verify the first certificate'), hints.tls],
    [new Error('something else entirely'), hints.generic],
  ])('%p -> its fix', (error, hint) => {
    expect(hintFor(error)).toBe(hint);
  });
});

describe('the fix for a sessionRole the server refused at login', () => {
  it('names sessionRole and the GRANT, with the login user when it is known, quoted as SQL', () => {
    // PostgreSQL quotes the name in its message without doubling inner quotes.
    const error = { code: '42501', severity: 'FATAL', message: 'permission denied to set role "Owner "x""' };
    expect(hintFor(error, 'app_clone')).toBe(hints.sessionRoleNotGranted('Owner "x"', 'app_clone'));
    expect(hintFor(error, 'app_clone')).toContain('check sessionRole');
    expect(hintFor(error, 'app_clone')).toContain('GRANT "Owner ""x""" TO "app_clone"');
    expect(hintFor(error)).toContain('GRANT "Owner ""x""" TO <login user>');
  });

  it('names a role that does not exist', () => {
    const error = { code: '22023', severity: 'FATAL', message: 'role "App_Owner" does not exist' };
    expect(hintFor(error)).toBe(hints.sessionRoleMissing('App_Owner'));
  });

  it('leaves other permission errors to the server-refused fix', () => {
    const error = { code: '42501', severity: 'FATAL', message: 'permission denied for database app' };
    expect(hintFor(error)).toBe(hints.serverRefused);
  });
});
