CREATE TABLE `images` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`source` text NOT NULL,
	`ref` text,
	`manifest_digest` text,
	`config_digest` text,
	`rootfs_path` text NOT NULL,
	`rootfs_size_bytes` integer NOT NULL,
	`work_seed_path` text,
	`kernel_name` text,
	`kernel_path` text,
	`initrd_path` text,
	`modules_path` text,
	`os_id` text,
	`os_like` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `images_name_unique` ON `images` (`name`);--> statement-breakpoint
CREATE TABLE `ip_allocations` (
	`ip` text PRIMARY KEY NOT NULL,
	`vm_id` text NOT NULL,
	`allocated_at` text NOT NULL,
	FOREIGN KEY (`vm_id`) REFERENCES `vms`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ip_allocations_vm_id_unique` ON `ip_allocations` (`vm_id`);--> statement-breakpoint
CREATE TABLE `vms` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`image_id` text NOT NULL,
	`vmm` text NOT NULL,
	`vcpu` integer NOT NULL,
	`memory_mib` integer NOT NULL,
	`disk_size_bytes` integer NOT NULL,
	`nat` integer NOT NULL,
	`desired_state` text NOT NULL,
	`mac` text NOT NULL,
	`guest_cid` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`last_started_at` text,
	`last_error` text,
	FOREIGN KEY (`image_id`) REFERENCES `images`(`id`) ON UPDATE no action ON DELETE restrict,
	CONSTRAINT "vms_vcpu_positive" CHECK("vms"."vcpu" > 0),
	CONSTRAINT "vms_memory_positive" CHECK("vms"."memory_mib" > 0),
	CONSTRAINT "vms_disk_positive" CHECK("vms"."disk_size_bytes" > 0),
	CONSTRAINT "vms_guest_cid_min" CHECK("vms"."guest_cid" >= 3)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `vms_name_unique` ON `vms` (`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `vms_mac_unique` ON `vms` (`mac`);--> statement-breakpoint
CREATE UNIQUE INDEX `vms_guest_cid_unique` ON `vms` (`guest_cid`);