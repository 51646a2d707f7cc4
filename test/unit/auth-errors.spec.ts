import { hints } from '../../src/errors/messages.js';
import { hintFor, isAuthFailure, isHbaRefusal } from '../../src/pool/auth-errors.js';

describe('auth failure detection', () => {
  it.each([
    [{ code: '28000', message: 'PAM authentication failed for user "app"' }, true],
    [{ code: '28P01', message: 'password authentication failed for user "app"' }, true],
    [{ code: '3D000', message: 'database "x" does not exist' }, false],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }, false],
    // Without a SQLSTATE (a proxy that drops fields), the routine and then the message decide.
    [{ routine: 'auth_failed', message: 'whatever' }, true],
    [{ message: 'PAM authentication failed for user "app"' }, true],
    [{ message: 'connect ECONNREFUSED 127.0.0.1:5432' }, false],
  ])('%j is an auth failure: %p', (error, expected) => {
    expect(isAuthFailure(error)).toBe(expected);
  });

  it('tells pg_hba refusals apart: no credentials cure them', () => {
    expect(isHbaRefusal({ code: '28000', message: 'no pg_hba.conf entry for host "10.0.0.1", user "app", database "app", no encryption' })).toBe(true);
    expect(isHbaRefusal({ code: '28000', message: 'PAM authentication failed for user "app"' })).toBe(false);
  });
});

describe("seed 000's error table", () => {
  it.each([
    ['PAM authentication failed for user "app"', hints.pam],
    ['password authentication failed for user "app"', hints.password],
    ['no pg_hba.conf entry for host "10.0.0.1"', hints.pgHba],
    ['timeout exceeded when trying to connect', hints.timeout],
    ['context deadline exceeded', hints.timeout],
    ['self-signed certificate in certificate chain', hints.tls],
    ['something else entirely', hints.generic],
  ])('%p -> its fix', (message, hint) => {
    expect(hintFor(new Error(message))).toBe(hint);
  });
});
