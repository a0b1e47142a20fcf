// Image rows: insert, look up, list, update, delete. Deleting an image a VM still uses is
// refused by the foreign key (ON DELETE RESTRICT) and reported with the VMs' names.
import { asc, eq } from "drizzle-orm";
import { BangerError } from "../api/errors.ts";
import type { Db } from "./db.ts";
import { constraintMessage, isConstraint, isForeignKeyViolation } from "./errors.ts";
import { newImageId, nowIso } from "./ids.ts";
import { resolveRef, type RefResult } from "./refs.ts";
import { images, vms, type ImageRow, type NewImageRow } from "./schema.ts";

export type NewImage = Omit<NewImageRow, "id" | "createdAt">;
/** Everything but identity may change (e.g. the kernel after `kernel pull`). */
export type ImagePatch = Partial<Omit<ImageRow, "id" | "createdAt">>;

/** `id` may be chosen by the caller (the image service names its files after it before inserting). */
export function insertImage(db: Db, input: NewImage, id: string = newImageId()): ImageRow {
  const row: NewImageRow = { ...input, id, createdAt: nowIso() };
  try {
    return db.insert(images).values(row).returning().get();
  } catch (err) {
    throw imageWriteError(err, input.name);
  }
}

export function getImage(db: Db, id: string): ImageRow | undefined {
  return db.select().from(images).where(eq(images.id, id)).get();
}

export function getImageByName(db: Db, name: string): ImageRow | undefined {
  return db.select().from(images).where(eq(images.name, name)).get();
}

export function listImages(db: Db): ImageRow[] {
  return db.select().from(images).orderBy(asc(images.createdAt), asc(images.name)).all();
}

/** Name, full id or unique id prefix. */
export function findImage(db: Db, ref: string): RefResult<ImageRow> {
  return resolveRef(listImages(db), ref);
}

export function updateImage(db: Db, id: string, patch: ImagePatch): ImageRow {
  let row: ImageRow | undefined;
  try {
    row = db.update(images).set(patch).where(eq(images.id, id)).returning().get();
  } catch (err) {
    throw imageWriteError(err, patch.name ?? id);
  }
  if (!row) throw new BangerError("not_found", `image ${id} not found`, { id });
  return row;
}

/** Names of the VMs built from this image, for "in use" messages. */
export function vmsUsingImage(db: Db, imageId: string): string[] {
  return db.select({ name: vms.name }).from(vms).where(eq(vms.imageId, imageId)).orderBy(asc(vms.name)).all().map((r) => r.name);
}

/** True when a row was deleted; a `conflict` error while VMs still use the image. */
export function deleteImage(db: Db, id: string): boolean {
  try {
    return db.delete(images).where(eq(images.id, id)).returning({ id: images.id }).all().length > 0;
  } catch (err) {
    if (!isForeignKeyViolation(err)) throw err;
    const users = vmsUsingImage(db, id);
    throw new BangerError("conflict", `image ${id} is used by VM(s): ${users.join(", ")}; delete them first`, {
      id,
      vms: users,
    });
  }
}

function imageWriteError(err: unknown, name: string): unknown {
  if (isConstraint(err, "UNIQUE") && constraintMessage(err).includes("images.name")) {
    return new BangerError("conflict", `an image named "${name}" already exists`, { name });
  }
  return err;
}
