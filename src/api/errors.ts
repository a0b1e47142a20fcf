// One error type crosses the RPC boundary. The daemon maps it to HTTP once (server.ts);
// the client turns the JSON body back into the same type; the CLI prints `message`.

export const ERROR_STATUS = {
  invalid_params: 400, // RPC payload failed validation
  usage: 400, // the request is well-formed but makes no sense (bad flag combination, bad name)
  not_found: 404,
  ambiguous: 409,
  conflict: 409, // already exists, in use, busy, wrong state
  unknown_method: 404,
  invalid_content: 422, // downloaded or archived data is corrupt or unsafe (digest mismatch, malicious tar member)
  precondition: 412, // a host prerequisite is missing (tool, privilege, kvm)
  exec_failed: 500, // a host command failed; details carry stderr
  internal: 500,
  unavailable: 503, // daemon not reachable / shutting down
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export class BangerError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "BangerError";
  }

  get status(): number {
    return ERROR_STATUS[this.code] ?? 500;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }

  static fromBody(body: unknown, fallback: string): BangerError {
    const e = (body as Partial<ErrorBody> | undefined)?.error;
    if (e && typeof e.message === "string") {
      const code = (e.code in ERROR_STATUS ? e.code : "internal") as ErrorCode;
      return new BangerError(code, e.message, e.details);
    }
    return new BangerError("internal", fallback);
  }
}

/** Any thrown value -> BangerError, keeping the message of ordinary errors. */
export function asBangerError(err: unknown): BangerError {
  if (err instanceof BangerError) return err;
  if (err instanceof Error) return new BangerError("internal", err.message);
  return new BangerError("internal", String(err));
}
