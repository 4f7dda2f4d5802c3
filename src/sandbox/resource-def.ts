// What the sandbox knows about one served resource: the row type of the resource table (resources.ts).
import type { JsonObject } from "./json.js";

/** One resource, served under one group in one or more versions, kept in one storage. */
export interface ResourceDef {
  /** Storage key; two resources share one when they are the same objects (core and events.k8s.io Events). */
  storage: string;
  group: string;
  /** Served versions, preferred first. */
  versions: readonly string[];
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: readonly string[];
  categories: readonly string[];
  /**
   * A custom resource (CustomResourceDefinition semantics): an update needs metadata.resourceVersion,
   * strategic merge patch is refused, and with the status subresource `status` is dropped on create and
   * ignored on main-resource writes. See "Custom Resources > Subresources" in the Kubernetes docs.
   */
  custom: boolean;
  statusSubresource: boolean;
  /** metadata.generation is set to 1 on create and bumped when anything but metadata/status changes. */
  generation: boolean;
  /** `deprecationWarning` per deprecated version; kube-apiserver sends it as a Warning header on each request. */
  deprecated?: Readonly<Record<string, string>>;
  /** Fields a fieldSelector may name besides metadata.name and metadata.namespace. */
  selectableFields?: Readonly<Record<string, (obj: JsonObject) => string | undefined>>;
  /** Converts a stored object (storage form) to `version` of this resource; defaults to rewriting apiVersion. */
  fromStorage?: (obj: JsonObject, version: string) => JsonObject;
  /** Converts an object of `version` of this resource to storage form; defaults to rewriting apiVersion. */
  toStorage?: (obj: JsonObject, version: string) => JsonObject;
  /** The apiVersion objects are stored as. */
  storageApiVersion: string;
  /** The CRD's additionalPrinterColumns (for Table output), when the resource has some. */
  printerColumns?: readonly PrinterColumn[];
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  format?: string;
  description?: string;
  priority?: number;
}
