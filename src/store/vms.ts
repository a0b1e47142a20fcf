// VM rows. insertVm hands out the identity (id, MAC, vsock CID) inside one IMMEDIATE
// transaction, so concurrent creates never pick the same CID.
import { asc, eq } from "drizzle-orm";
import { BangerError } from "../api/errors.ts";
import type { Db } from "./db.ts";
import { constraintMessage, isConstraint, isForeignKeyViolation } from "./errors.ts";
import { macForVmId, newVmId, nowIso } from "./ids.ts";
import { resolveRef, type RefResult } from "./refs.ts";
import { vms, type NewVmRow, type VmRow } from "./schema.ts";

/** vsock CIDs 0-2 are reserved (hypervisor, local, host). */
export const FIRST_GUEST_CID = 3;

export type NewVm = Omit<NewVmRow, "id" | "mac" | "guestCid" | "createdAt" | "updatedAt" | "desiredState"> &
  Partial<Pick<NewVmRow, "desiredState">>;
export type VmPatch = Partial<Omit<VmRow, "id" | "mac" | "guestCid" | "createdAt" | "updatedAt">>;

export function insertVm(db: Db, input: NewVm): VmRow {
  const id = newVmId();
  const now = nowIso();
  try {
    return db.transaction(
      (tx) => {
        const guestCid = lowestFreeCid(tx.select({ cid: vms.guestCid }).from(vms).all().map((r) => r.cid));
        const row: NewVmRow = { desiredState: "stopped", ...input, id, mac: macForVmId(id), guestCid, createdAt: now, updatedAt: now };
        return tx.insert(vms).values(row).returning().get();
      },
      { behavior: "immediate" },
    );
  } catch (err) {
    throw vmWriteError(err, input.name, input.imageId);
  }
}

/** Pure: the smallest CID >= FIRST_GUEST_CID not in `used`. */
export function lowestFreeCid(used: readonly number[]): number {
  const taken = new Set(used);
  let cid = FIRST_GUEST_CID;
  while (taken.has(cid)) cid++;
  return cid;
}

export function getVm(db: Db, id: string): VmRow | undefined {
  return db.select().from(vms).where(eq(vms.id, id)).get();
}

export function getVmByName(db: Db, name: string): VmRow | undefined {
  return db.select().from(vms).where(eq(vms.name, name)).get();
}

export function listVms(db: Db): VmRow[] {
  return db.select().from(vms).orderBy(asc(vms.createdAt), asc(vms.name)).all();
}

/** Name, exact id or unique id prefix. */
export function findVm(db: Db, ref: string): RefResult<VmRow> {
  return resolveRef(listVms(db), ref);
}

/** Several refs against ONE snapshot, in the order given (F61). */
export function findVms(db: Db, refs: readonly string[]): RefResult<VmRow>[] {
  const snapshot = listVms(db);
  return refs.map((ref) => resolveRef(snapshot, ref));
}

export function updateVm(db: Db, id: string, patch: VmPatch): VmRow {
  let row: VmRow | undefined;
  try {
    row = db.update(vms).set({ ...patch, updatedAt: nowIso() }).where(eq(vms.id, id)).returning().get();
  } catch (err) {
    throw vmWriteError(err, patch.name ?? id, patch.imageId ?? "");
  }
  if (!row) throw new BangerError("not_found", `VM ${id} not found`, { id });
  return row;
}

/** True when a row was deleted. Its IP allocation goes with it (ON DELETE CASCADE). */
export function deleteVm(db: Db, id: string): boolean {
  return db.delete(vms).where(eq(vms.id, id)).returning({ id: vms.id }).all().length > 0;
}

function vmWriteError(err: unknown, name: string, imageId: string): unknown {
  if (isConstraint(err, "UNIQUE") && constraintMessage(err).includes("vms.name")) {
    return new BangerError("conflict", `a VM named "${name}" already exists`, { name });
  }
  if (isForeignKeyViolation(err)) {
    return new BangerError("not_found", `image ${imageId} not found`, { image_id: imageId });
  }
  if (isConstraint(err, "CHECK")) {
    return new BangerError("usage", `invalid VM values: ${constraintMessage(err)}`);
  }
  return err;
}
