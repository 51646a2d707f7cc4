/**
 * Typed errors users can `instanceof`; every one of them is a `RotatingPgError`. None carries a
 * secret: messages come from messages.ts, and a `cause` is the driver's error, which quotes none.
 */
export class RotatingPgError extends Error {
  override readonly name: string = 'RotatingPgError';
}

export class DatabaseConfigError extends RotatingPgError {
  override readonly name = 'DatabaseConfigError';
  constructor(
    message: string,
    /** One line per problem, each starting with the key it is about. */
    readonly problems: readonly string[],
  ) {
    super(message);
  }
}

/** An error in pg's vocabulary: `code` as on pg's own errors, `cause` the original, `hint` the fix. */
abstract class CodedDatabaseError extends RotatingPgError {
  readonly code: string | undefined;
  constructor(
    message: string,
    code: string | undefined,
    /** What to do, from the troubleshooting table. */
    readonly hint: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = code;
  }
}

/**
 * The database refused to log in and refreshing the credentials did not help. `code` is the
 * SQLSTATE of the last refusal: 28000 (RDS IAM "PAM authentication failed", pg_hba) or 28P01.
 */
export class DatabaseAuthError extends CodedDatabaseError {
  override readonly name = 'DatabaseAuthError';
}

/**
 * A connection could not be opened for a reason other than the credentials: the server is down
 * or restarting, unreachable, refused TLS, or refused the session (no such database, too many
 * connections). `code` is pg's or Node's (`'ECONNREFUSED'`, `'3D000'`…).
 */
export class DatabaseConnectionError extends CodedDatabaseError {
  override readonly name = 'DatabaseConnectionError';
}

/** No usable connection within `connectionTimeout`. `cause` holds the last connect error, if any. */
export class DatabaseConnectionTimeoutError extends RotatingPgError {
  override readonly name = 'DatabaseConnectionTimeoutError';
  constructor(
    message: string,
    readonly hint: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The connection was shut down (application shutdown, or an ORM ended its pool); no new queries. */
export class DatabasePoolClosedError extends RotatingPgError {
  override readonly name = 'DatabasePoolClosedError';
  constructor(
    message: string,
    /** The connection name. */
    readonly connection: string,
  ) {
    super(message);
  }
}

export interface CredentialSourceErrorOptions extends ErrorOptions {
  code?: string;
  httpStatus?: number;
}

/**
 * A credential source failed (Secrets Manager down, malformed secret, signing failed). `code` and
 * `httpStatus` tell access denied from throttling without parsing text; the `cause` the cache
 * throws is a redacted copy of the source's error (its name and message, no secret, no deeper cause).
 */
export class CredentialSourceError extends RotatingPgError {
  override readonly name = 'CredentialSourceError';
  /**
   * The source's error name or code: the AWS error name (`'AccessDeniedException'`, `'ThrottlingException'`), or Node's
   * (`'ECONNREFUSED'`).
   */
  readonly code: string | undefined;
  /** The HTTP status the source answered with, when it is an HTTP service. */
  readonly httpStatus: number | undefined;
  constructor(
    message: string,
    readonly source: string,
    options: CredentialSourceErrorOptions = {},
  ) {
    const { code, httpStatus, ...errorOptions } = options;
    super(message, errorOptions);
    this.code = code;
    this.httpStatus = httpStatus;
  }
}
