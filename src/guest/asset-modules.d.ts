// Guest asset files are imported as text (`with { type: "text" }`) so that
// `bun build --compile` embeds them in the executable.
declare module "*.sh" {
  const text: string;
  export default text;
}
declare module "*.conf" {
  const text: string;
  export default text;
}
declare module "*/banger-agent" {
  const path: string;
  export default path;
}
