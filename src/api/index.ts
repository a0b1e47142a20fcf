export * from "./errors.ts";
export * from "./progress.ts";
export * from "./methods.ts";
export * from "./daemon.ts";
export * from "./guest.ts";
export * from "./vms.ts";
export * from "./kernels.ts";
export * from "./images.ts";
