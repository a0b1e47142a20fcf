// SQLite reports constraint failures as SQLiteError with a code such as
// SQLITE_CONSTRAINT_UNIQUE. Query modules turn those into BangerErrors users can act on.

export type ConstraintKind = "UNIQUE" | "FOREIGNKEY" | "CHECK" | "PRIMARYKEY" | "NOTNULL";

/** The SQLite error code of `err` or of its cause (drizzle may wrap driver errors). */
export function sqliteCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("SQLITE_")) return code;
  }
  return undefined;
}

export function isConstraint(err: unknown, kind: ConstraintKind): boolean {
  return sqliteCode(err) === `SQLITE_CONSTRAINT_${kind}`;
}

/**
 * A foreign-key violation. ON DELETE RESTRICT reports SQLITE_CONSTRAINT_TRIGGER rather
 * than _FOREIGNKEY (the restrict action runs as a trigger), so check both.
 */
export function isForeignKeyViolation(err: unknown): boolean {
  if (isConstraint(err, "FOREIGNKEY")) return true;
  return sqliteCode(err) === "SQLITE_CONSTRAINT_TRIGGER" && constraintMessage(err).includes("FOREIGN KEY");
}

/** The driver's message, e.g. "UNIQUE constraint failed: vms.name", for telling columns apart. */
export function constraintMessage(err: unknown): string {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("SQLITE_") && e instanceof Error) return e.message;
  }
  return err instanceof Error ? err.message : String(err);
}
