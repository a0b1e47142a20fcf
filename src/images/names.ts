// Image names: letters, digits, `.`, `-`, `_` (starting with a letter or digit), so they
// are safe in paths, DNS-ish labels and tables.
import { BangerError } from "../api/errors.ts";
import { IMAGE_NAME_RE } from "../api/images.ts";

export function isValidImageName(name: string): boolean {
  return IMAGE_NAME_RE.test(name);
}

export function validateImageName(name: string): string {
  if (!isValidImageName(name)) {
    throw new BangerError(
      "usage",
      `invalid image name "${name}": use 1-64 letters, digits, ".", "-" or "_", starting with a letter or digit`,
    );
  }
  return name;
}
