// `import x from "./NNNN_name.sql" with { type: "text" }` yields the file's text; Bun
// embeds it in the compiled executable.
declare module "*.sql" {
  const text: string;
  export default text;
}
