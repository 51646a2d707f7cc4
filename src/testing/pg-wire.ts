/** Just enough of the PostgreSQL wire protocol (v3) for a login-checking proxy. */

export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;

export interface BackendMessage {
  type: string;
  body: Buffer;
  /** The whole message, type byte and length included. */
  raw: Buffer;
}

/** Splits a byte stream into `type + int32 length + body` messages. */
export class MessageReader {
  private buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
  }

  /** The next typed message, if complete. */
  next(): BackendMessage | undefined {
    if (this.buffer.length < 5) return undefined;
    const length = this.buffer.readInt32BE(1);
    if (this.buffer.length < 1 + length) return undefined;
    const raw = this.buffer.subarray(0, 1 + length);
    this.buffer = this.buffer.subarray(1 + length);
    return { type: String.fromCharCode(raw[0]!), body: raw.subarray(5), raw };
  }

  /** The next untyped message (startup, SSLRequest): `int32 length + body`. */
  nextUntyped(): Buffer | undefined {
    if (this.buffer.length < 4) return undefined;
    const length = this.buffer.readInt32BE(0);
    if (this.buffer.length < length) return undefined;
    const message = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return message;
  }

  /** Bytes received past the last message taken. */
  rest(): Buffer {
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }
}

/** Key/value pairs of a StartupMessage (after its length and protocol version). */
export function readStartupParameters(message: Buffer): Record<string, string> {
  const parts = message.subarray(8).toString('utf8').split('\0');
  const parameters: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i]) parameters[parts[i]!] = parts[i + 1]!;
  return parameters;
}

export function typed(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

export function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

/** ErrorResponse with severity, SQLSTATE, message and routine, as PostgreSQL sends a login failure. */
export function errorResponse(code: string, message: string, routine: string): Buffer {
  return typed(
    'E',
    Buffer.concat([
      Buffer.from('SFATAL\0VFATAL\0', 'utf8'),
      Buffer.from(`C${code}\0M${message}\0R${routine}\0`, 'utf8'),
      Buffer.from([0]),
    ]),
  );
}
