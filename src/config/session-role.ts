/**
 * `sessionRole` as a startup parameter: `-c role=<owner>` in pg's `options`. Set at login, the role
 * is the session's default, so `RESET ROLE` and `DISCARD ALL` (what poolers and ORMs run between
 * uses) return to it, `RESET ALL` leaves it, and no query is spent on it per connection.
 */

/**
 * A `-c role=…` already in `options` (`-c role=x`, `-crole=x`, `--role=x`): the two would fight over
 * the session's role, so sessionRole refuses to be combined with it.
 */
const ROLE_SETTING = /(?:^|\s)(?:-c\s*|--)role=/;

/**
 * PostgreSQL splits `options` at whitespace and reads a backslash as "the next character is
 * literal" (pg_split_opts): a role name with a space or a backslash must escape it, or the server
 * reads another argument. The name itself is taken verbatim: no case folding, no quotes.
 */
export function roleStartupOption(role: string): string {
  return `-c role=${role.replace(/[\\\s]/g, (character) => `\\${character}`)}`;
}

/** `options` (from the option or the dsn) with the role's setting appended. */
export function withSessionRole(options: string | undefined, role: string): string {
  const given = options?.trim();
  return given ? `${given} ${roleStartupOption(role)}` : roleStartupOption(role);
}

export function setsRole(options: string | undefined): boolean {
  return options !== undefined && ROLE_SETTING.test(options);
}
