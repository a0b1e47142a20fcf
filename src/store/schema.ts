// The durable-intent schema (F20): what an image or VM *is*, never its transient handles
// (pid, tap, sockets live in memory + handles.json, F21). Later issues evolve it by adding
// nullable columns in new migrations, so every column here is either required from the
// start or NULL-able. Enum-like TEXT columns are typed in TypeScript but not CHECKed in SQL:
// SQLite cannot alter a CHECK without rebuilding the table, and new values (a third VMM, a
// new image source) must stay an additive change. Numeric invariants are CHECKed.
//
// Keep src/store/migrations/*.sql in step with this file: tests/unit/store compares the
// two column by column.
import { sql } from "drizzle-orm";
import { check, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const IMAGE_SOURCES = ["pull", "import", "register"] as const;
export type ImageSource = (typeof IMAGE_SOURCES)[number];

export const VMM_KINDS = ["firecracker", "qemu"] as const;
export type VmmKind = (typeof VMM_KINDS)[number];

export const DESIRED_STATES = ["stopped", "running"] as const;
export type DesiredState = (typeof DESIRED_STATES)[number];

export const images = sqliteTable("images", {
  /** 16 random hex digits. */
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  source: text("source", { enum: IMAGE_SOURCES }).notNull(),
  /** The pulled reference or the imported path; NULL for `image register`. */
  ref: text("ref"),
  manifestDigest: text("manifest_digest"),
  configDigest: text("config_digest"),
  rootfsPath: text("rootfs_path").notNull(),
  rootfsSizeBytes: integer("rootfs_size_bytes").notNull(),
  workSeedPath: text("work_seed_path"),
  /** A kernel from the local catalog (F50) ... */
  kernelName: text("kernel_name"),
  /** ... or explicit files given to `image register --kernel/--initrd/--modules`. */
  kernelPath: text("kernel_path"),
  initrdPath: text("initrd_path"),
  modulesPath: text("modules_path"),
  /** ID / ID_LIKE from the image's /etc/os-release (F44). */
  osId: text("os_id"),
  osLike: text("os_like"),
  /** ISO 8601. */
  createdAt: text("created_at").notNull(),
});

export const vms = sqliteTable(
  "vms",
  {
    /** 32 random hex digits; users may type any unique prefix. */
    id: text("id").primaryKey(),
    name: text("name").notNull().unique(),
    imageId: text("image_id")
      .notNull()
      .references(() => images.id, { onDelete: "restrict" }),
    vmm: text("vmm", { enum: VMM_KINDS }).notNull(),
    vcpu: integer("vcpu").notNull(),
    memoryMib: integer("memory_mib").notNull(),
    diskSizeBytes: integer("disk_size_bytes").notNull(),
    nat: integer("nat", { mode: "boolean" }).notNull(),
    desiredState: text("desired_state", { enum: DESIRED_STATES }).notNull(),
    mac: text("mac").notNull().unique(),
    /** vsock context id; 0-2 are reserved by the vsock spec. */
    guestCid: integer("guest_cid").notNull().unique(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    lastStartedAt: text("last_started_at"),
    lastError: text("last_error"),
  },
  (t) => [
    check("vms_vcpu_positive", sql`${t.vcpu} > 0`),
    check("vms_memory_positive", sql`${t.memoryMib} > 0`),
    check("vms_disk_positive", sql`${t.diskSizeBytes} > 0`),
    check("vms_guest_cid_min", sql`${t.guestCid} >= 3`),
  ],
);

export const ipAllocations = sqliteTable("ip_allocations", {
  ip: text("ip").primaryKey(),
  vmId: text("vm_id")
    .notNull()
    .unique()
    .references(() => vms.id, { onDelete: "cascade" }),
  allocatedAt: text("allocated_at").notNull(),
});

export type ImageRow = typeof images.$inferSelect;
export type NewImageRow = typeof images.$inferInsert;
export type VmRow = typeof vms.$inferSelect;
export type NewVmRow = typeof vms.$inferInsert;
export type IpAllocationRow = typeof ipAllocations.$inferSelect;
