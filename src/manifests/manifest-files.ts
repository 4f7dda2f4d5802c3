// File access for the manifest reader: walking a folder the way `releasegate check` reads it, and
// reading each file once (cached) into documents.
//
// A GitOps repo holds much YAML that is neither Flux nor kustomize (CRDs, Helm values, CI config). A
// file can only hold a HelmRelease or Flux Kustomization if its text holds their apiVersion
// (`helm.toolkit.fluxcd.io/v…`, `kustomize.toolkit.fluxcd.io/v…`), so other files are not parsed at all unless they are kustomize files or might hold a ConfigMap/Secret with Flux
// substitution variables (those are parsed leniently: a broken one is just not a variable source).

import { readFileSync, readdirSync, realpathSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { forEachManifestDocument, parseManifestText } from "./manifest-document.js";
import type { ManifestDocument } from "./manifest-document.js";
import { ManifestError } from "./manifest-error.js";

/** The file names kustomize recognises as a kustomization (konfig.RecognizedKustomizationFileNames). */
export const KUSTOMIZATION_FILE_NAMES: readonly string[] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

const MANIFEST_EXTENSIONS = new Set([".yaml", ".yml", ".json"]);
const FLUX_API_VERSION = /(?:(?:helm|kustomize|source)\.toolkit\.fluxcd|fluxcd\.controlplane)\.io\\?\/v/;
/**
 * Kinds read beside Flux objects: substitution variables (ConfigMap, Secret), replacement sources
 * (Namespace), and CustomResourceDefinitions (a ResourceSet may depend on one).
 */
const VARIABLE_SOURCE = /^\s*kind:\s*["']?(ConfigMap|Secret|Namespace|CustomResourceDefinition)["']?\s*$/m;

export function isManifestFileName(name: string): boolean {
  return MANIFEST_EXTENSIONS.has(extname(name).toLowerCase()) || KUSTOMIZATION_FILE_NAMES.includes(name);
}

/** Folders `check` never descends into: hidden ones, node_modules, and Helm charts (templates, not manifests). */
function isSkippedFolder(name: string, path: string): boolean {
  if (name.startsWith(".") || name === "node_modules") return true;
  return statOrUndefined(join(path, "Chart.yaml"))?.isFile() ?? false;
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function errorCode(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException).code;
  return code === "ENOENT" ? "no such file or directory" : code === "EACCES" ? "permission denied" : String((cause as Error).message ?? cause);
}

export interface FolderTree {
  /** Manifest files below the folder, in sorted path order. */
  files: string[];
  /** Every folder below it, the folder itself included. */
  folders: string[];
  /** `.sourceignore` files below it (source-controller's ignore rules). */
  sourceIgnoreFiles: string[];
}

export class ManifestFiles {
  private readonly parsed = new Map<string, ManifestDocument[] | ManifestError>();
  private readonly stats = new Map<string, ReturnType<typeof statOrUndefined>>();

  /** `display` turns an absolute path into the name reported to the user. */
  constructor(readonly display: (path: string) => string) {}

  private stat(path: string) {
    if (!this.stats.has(path)) this.stats.set(path, statOrUndefined(path));
    return this.stats.get(path);
  }

  isDirectory(path: string): boolean {
    return this.stat(path)?.isDirectory() ?? false;
  }

  isFile(path: string): boolean {
    return this.stat(path)?.isFile() ?? false;
  }

  /** Names in a folder, sorted; empty when it cannot be read. */
  list(folder: string): string[] {
    try {
      return readdirSync(folder).sort();
    } catch {
      return [];
    }
  }

  /** Walks `root` recursively (sorted, symlink loops cut), skipping hidden folders, node_modules and Helm charts. */
  tree(root: string): FolderTree {
    const files: string[] = [];
    const folders: string[] = [];
    const sourceIgnoreFiles: string[] = [];
    const seen = new Set<string>();
    const visit = (folder: string) => {
      let real: string;
      try {
        real = realpathSync(folder);
      } catch (cause) {
        throw new ManifestError(this.display(folder), undefined, `cannot read folder: ${errorCode(cause)}`);
      }
      if (seen.has(real)) return;
      seen.add(real);
      folders.push(folder);
      let entries: string[];
      try {
        entries = readdirSync(folder).sort();
      } catch (cause) {
        throw new ManifestError(this.display(folder), undefined, `cannot read folder: ${errorCode(cause)}`);
      }
      for (const name of entries) {
        const path = join(folder, name);
        const stat = this.stat(path);
        if (stat?.isDirectory()) {
          if (!isSkippedFolder(name, path)) visit(path);
        } else if (stat?.isFile() && isManifestFileName(name)) {
          files.push(path);
        } else if (stat?.isFile() && name === ".sourceignore") {
          sourceIgnoreFiles.push(path);
        }
      }
    };
    visit(root);
    return { files, folders, sourceIgnoreFiles };
  }

  /**
   * The documents of a file met while walking a folder or following a kustomization. Files that
   * cannot hold a Flux object, a kustomization or a variable source are not parsed.
   */
  documents(path: string): ManifestDocument[] {
    let documents = this.parsed.get(path);
    if (documents === undefined) {
      try {
        documents = this.parse(path, false);
      } catch (cause) {
        if (!(cause instanceof ManifestError)) throw cause;
        documents = cause;
      }
      this.parsed.set(path, documents);
    }
    if (documents instanceof ManifestError) throw documents;
    return documents;
  }

  /**
   * The documents of a file, or none when it cannot be read as YAML: what a walk of the repo sees. A
   * build that includes the file gets its error from `documents` (Flux fails that build alone).
   */
  documentsIfReadable(path: string): ManifestDocument[] {
    try {
      return this.documents(path);
    } catch (cause) {
      if (cause instanceof ManifestError) return [];
      throw cause;
    }
  }

  /**
   * The documents of a file named on the command line, one at a time as they are parsed (never
   * cached: such a file may be large); always parsed, every error reported.
   */
  eachDocumentOfNamedFile(path: string, visit: (doc: ManifestDocument) => void): void {
    forEachManifestDocument(this.read(path), this.display(path), path, visit);
  }

  private read(path: string): string {
    try {
      return readFileSync(path, "utf8");
    } catch (cause) {
      throw new ManifestError(this.display(path), undefined, `cannot read file: ${errorCode(cause)}`);
    }
  }

  private parse(path: string, always: boolean): ManifestDocument[] {
    const file = this.display(path);
    const text = this.read(path);
    if (always || KUSTOMIZATION_FILE_NAMES.includes(basename(path)) || FLUX_API_VERSION.test(text)) {
      return parseManifestText(text, file, path);
    }
    if (VARIABLE_SOURCE.test(text)) {
      try {
        return parseManifestText(text, file, path);
      } catch (cause) {
        if (cause instanceof ManifestError) return [];
        throw cause;
      }
    }
    return [];
  }
}
