// Process-wide undo list for a bench: every host resource a bench makes (temp dirs,
// bridges, QEMU processes, daemons) registers its removal here. Runs newest first on
// normal exit and on SIGINT/SIGTERM, so an interrupted bench leaves nothing behind.
type Undo = { what: string; fn: () => Promise<void> | void };

const undo: Undo[] = [];
let installed = false;

export function onCleanup(what: string, fn: () => Promise<void> | void): () => void {
  installSignalHandlers();
  const entry = { what, fn };
  undo.push(entry);
  return () => {
    const i = undo.indexOf(entry);
    if (i >= 0) undo.splice(i, 1);
  };
}

/** Run (and forget) every registered step, newest first; failures are printed, not thrown. */
export async function cleanupAll(): Promise<void> {
  while (undo.length > 0) {
    const step = undo.pop()!;
    try {
      await step.fn();
    } catch (err) {
      console.error(`cleanup: ${step.what} failed: ${(err as Error).message}`);
    }
  }
}

function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      console.error(`\n${sig}: cleaning up`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}
