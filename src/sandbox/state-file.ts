// Keeping a sandbox's state across processes: its objects, resourceVersion counter and TLS material in
// one JSON file, so a sandbox restarted as a new process (same port, same CA, same objects) looks to its
// clients like a restarted API server. Written atomically (temp file + rename) shortly after changes.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import type { PemPair } from "./tls-identity.js";
import type { StoreSnapshot } from "./store.js";

export interface SandboxState {
  version: 1;
  ca: PemPair;
  serving: PemPair;
  store: StoreSnapshot;
}

function isState(v: unknown): v is SandboxState {
  const s = v as Partial<SandboxState> | null;
  return !!s && s.version === 1 && !!s.ca?.certPem && !!s.serving?.keyPem && Array.isArray(s.store?.objects) && typeof s.store?.rv === "number";
}

/** The saved state, undefined when the file does not exist; throws a one-line error when it is unreadable. */
export function readState(file: string): SandboxState | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return undefined;
    throw new Error(`cannot read sandbox state file ${file}: ${(err as Error).message}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`sandbox state file ${file} is not JSON; delete it to start with a fresh sandbox`);
  }
  if (!isState(parsed)) throw new Error(`sandbox state file ${file} is not a sandbox state (version 1); delete it to start fresh`);
  return parsed;
}

export function writeStateSync(file: string, state: SandboxState): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state), { mode: 0o600 });
  renameSync(temp, file);
}

export async function writeState(file: string, state: SandboxState): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(state), { mode: 0o600 });
  await rename(temp, file);
}
