// Finds the folder a Flux Kustomization's `spec.path` names. The path is relative to the root of its
// source artifact; when the repo is also that artifact's root, it is simply ROOT/spec.path. But a
// Kustomization may build from another artifact (an ExternalArtifact or OCIRepository holding only
// `kubernetes/`, or apps/ of a monorepo), and the folder given to `check` may be above or below the
// artifact's root. Then the folder is found by suffix: the one whose path ends with spec.path.

import { isAbsolute, relative, resolve, sep } from "node:path";

/** The GitRepository/OCIRepository `flux bootstrap` creates for the repo it bootstraps. */
const BOOTSTRAP_SOURCE = "flux-system";

interface FluxPathHints {
  /** `spec.sourceRef.name`: an artifact is often named for the folder it packs (`apps`, `infrastructure`). */
  sourceName?: string;
  /** The file the Flux Kustomization is defined in. */
  definedIn: string;
}

function segmentsOf(path: string): string[] {
  return path.split(/[\\/]+/).filter((segment) => segment !== "" && segment !== ".");
}

/**
 * The folder under `root` that `specPath` names, or undefined when none does. `folders` are every
 * folder under root (absolute paths); `isDirectory` checks a path.
 */
export function resolveFluxPath(
  specPath: string,
  root: string,
  folders: readonly string[],
  hints: FluxPathHints,
  isDirectory: (path: string) => boolean,
): string | undefined {
  const wanted = segmentsOf(specPath);
  // An empty path is the whole artifact. That is this repo only for the bootstrap source (named
  // flux-system by `flux bootstrap`); taking the whole repo for another source's root would place
  // every object in the repo under that Kustomization.
  if (wanted.length === 0) return hints.sourceName === undefined || hints.sourceName === BOOTSTRAP_SOURCE ? root : undefined;
  const direct = resolve(root, ...wanted);
  if (isDirectory(direct)) return direct;
  if (wanted.includes("..")) return undefined;

  const candidates = folders.filter((folder) => {
    const have = segmentsOf(folder);
    if (have.length < wanted.length) return false;
    return wanted.every((segment, i) => have[have.length - wanted.length + i] === segment);
  });
  if (candidates.length <= 1) return candidates[0];

  // Several folders end the same way (apps/staging and clusters/staging): prefer the one inside a
  // folder named like the source artifact, then one that does not hold the Kustomization itself
  // (a Kustomization rarely applies its own folder from another artifact), then the shortest.
  const rank = (folder: string): [number, number, number] => {
    const inRoot = relative(root, folder);
    const prefix = isAbsolute(inRoot) || inRoot.startsWith("..") ? [] : segmentsOf(inRoot).slice(0, -wanted.length);
    const namedForSource = hints.sourceName !== undefined && prefix.includes(hints.sourceName) ? 0 : 1;
    const holdsItself = hints.definedIn.startsWith(folder + sep) ? 1 : 0;
    return [namedForSource, holdsItself, segmentsOf(folder).length];
  };
  const ranked = candidates.map((folder) => ({ folder, rank: rank(folder) }));
  ranked.sort((a, b) => {
    for (let i = 0; i < a.rank.length; i++) {
      const diff = (a.rank[i] ?? 0) - (b.rank[i] ?? 0);
      if (diff !== 0) return diff;
    }
    return a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0;
  });
  return ranked[0]?.folder;
}
