// drizzle-kit configuration, used only at development time to generate the next
// migration from schema.ts (run from the repository root):
//   node_modules/.bin/drizzle-kit generate --config src/store/drizzle.config.ts --name <what>
// then add the new file to src/store/migrations/index.ts. The runtime never reads this,
// nor meta/: migrations are embedded as text imports (see migrations/index.ts).
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/store/schema.ts",
  out: "./src/store/migrations",
});
