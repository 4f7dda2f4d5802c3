// Server-side printing: `kubectl get` asks for a meta.k8s.io/v1 Table (Accept: application/json;as=Table;
// v=v1;g=meta.k8s.io) and prints its columns. Custom resources use the CRD's additionalPrinterColumns
// (JSONPath subset below); built-in kinds get the columns kube-apiserver's printers show.
// See https://kubernetes.io/docs/reference/using-api/api-concepts/#receiving-resources-as-tables
import type { IncomingMessage } from "node:http";
import type { JsonObject } from "./json.js";
import type { PrinterColumn, ResourceDef } from "./resource-def.js";

export function wantsTable(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? "";
  return accept.split(",").some((part) => /;\s*as=Table/.test(part) && /g=meta\.k8s\.io/.test(part));
}

/** duration.HumanDuration: `45s`, `5m3s`, `3h`, `2d5h`, ... */
function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 192) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${years}y`;
}

function age(obj: JsonObject): string {
  const created = (obj.metadata as JsonObject | undefined)?.creationTimestamp;
  if (typeof created !== "string") return "<unknown>";
  return humanDuration(Date.now() - Date.parse(created));
}

/** Evaluates the JSONPath subset CRD printer columns use: `.a.b`, `[n]`, `[*]`, `[?(@.k=="v")]`. */
function jsonPath(obj: unknown, path: string): unknown[] {
  let current: unknown[] = [obj];
  const tokens = path.match(/\.[^.[\]]+|\[\?\(@\.[^)]*\)\]|\[\d+\]|\[\*\]/g) ?? [];
  for (const token of tokens) {
    const next: unknown[] = [];
    for (const value of current) {
      if (token.startsWith(".")) {
        if (value && typeof value === "object" && !Array.isArray(value)) {
          const v = (value as JsonObject)[token.slice(1)];
          if (v !== undefined) next.push(v);
        }
      } else if (token === "[*]") {
        if (Array.isArray(value)) next.push(...(value as unknown[]));
      } else if (token.startsWith("[?")) {
        const m = /^\[\?\(@\.([\w.]+)\s*==\s*["']([^"']*)["']\)\]$/.exec(token);
        if (m && Array.isArray(value)) {
          const [, field = "", expected] = m;
          for (const item of value as unknown[]) {
            const got = jsonPath(item, `.${field}`)[0];
            if (got === expected) next.push(item);
          }
        }
      } else {
        const index = Number(token.slice(1, -1));
        if (Array.isArray(value) && index < value.length) next.push(value[index]);
      }
    }
    current = next;
  }
  return current;
}

interface Column {
  definition: JsonObject;
  cell: (obj: JsonObject) => unknown;
}

function column(name: string, type: string, cell: (obj: JsonObject) => unknown, format = "", description = ""): Column {
  return { definition: { name, type, format, description, priority: 0 }, cell };
}

function printerColumn(c: PrinterColumn): Column {
  return {
    definition: { name: c.name, type: c.type, format: c.format ?? "", description: c.description ?? "", priority: c.priority ?? 0 },
    cell: (obj) => {
      const value = jsonPath(obj, c.jsonPath)[0];
      if (value === undefined || value === null) return null;
      // Dates are printed as ages, as kube-apiserver's CRD table convertor does.
      if (c.type === "date" && typeof value === "string") return humanDuration(Date.now() - Date.parse(value));
      return typeof value === "object" ? JSON.stringify(value) : value;
    },
  };
}

const count = (v: unknown): number => (v && typeof v === "object" ? Object.keys(v).length : 0);
const at = (o: JsonObject, ...path: string[]): unknown => jsonPath(o, path.map((p) => `.${p}`).join(""))[0];

const NAME = column("Name", "string", (o) => (o.metadata as JsonObject | undefined)?.name ?? "", "name", "Name must be unique within a namespace.");
const AGE = column("Age", "string", age, "", "CreationTimestamp is a timestamp representing the server time when this object was created.");

function builtinColumns(def: ResourceDef): Column[] {
  switch (def.storage) {
    case "namespaces":
      return [NAME, column("Status", "string", (o) => at(o, "status", "phase") ?? ""), AGE];
    case "configmaps":
      return [NAME, column("Data", "integer", (o) => count(o.data) + count(o.binaryData)), AGE];
    case "secrets":
      return [NAME, column("Type", "string", (o) => o.type ?? ""), column("Data", "integer", (o) => count(o.data)), AGE];
    case "leases.coordination.k8s.io":
      return [NAME, column("Holder", "string", (o) => at(o, "spec", "holderIdentity") ?? ""), AGE];
    case "validatingwebhookconfigurations.admissionregistration.k8s.io":
      return [NAME, column("Webhooks", "integer", (o) => (Array.isArray(o.webhooks) ? o.webhooks.length : 0)), AGE];
    case "services":
      return [
        NAME,
        column("Type", "string", (o) => at(o, "spec", "type") ?? ""),
        column("Cluster-IP", "string", (o) => at(o, "spec", "clusterIP") ?? ""),
        column("External-IP", "string", () => "<none>"),
        column("Port(s)", "string", (o) => {
          const ports = at(o, "spec", "ports");
          return Array.isArray(ports) && ports.length > 0 ? ports.map((p) => `${String((p as JsonObject).port)}/${String((p as JsonObject).protocol ?? "TCP")}`).join(",") : "<none>";
        }),
        AGE,
      ];
    case "events":
      if (def.group === "events.k8s.io") {
        return [
          column("Last Seen", "string", (o) => {
            const t = at(o, "series", "lastObservedTime") ?? o.deprecatedLastTimestamp ?? o.eventTime ?? at(o, "metadata", "creationTimestamp");
            return typeof t === "string" ? humanDuration(Date.now() - Date.parse(t)) : "<unknown>";
          }),
          column("Type", "string", (o) => o.type ?? ""),
          column("Reason", "string", (o) => o.reason ?? ""),
          column("Object", "string", (o) => `${String(at(o, "regarding", "kind") ?? "").toLowerCase()}/${String(at(o, "regarding", "name") ?? "")}`),
          column("Message", "string", (o) => o.note ?? ""),
        ];
      }
      return [
        column("Last Seen", "string", (o) => {
          const t = o.lastTimestamp ?? o.eventTime ?? at(o, "metadata", "creationTimestamp");
          return typeof t === "string" ? humanDuration(Date.now() - Date.parse(t)) : "<unknown>";
        }),
        column("Type", "string", (o) => o.type ?? ""),
        column("Reason", "string", (o) => o.reason ?? ""),
        column("Object", "string", (o) => `${String(at(o, "involvedObject", "kind") ?? "").toLowerCase()}/${String(at(o, "involvedObject", "name") ?? "")}`),
        column("Message", "string", (o) => o.message ?? ""),
      ];
    default:
      return [NAME, AGE];
  }
}

function partialMetadata(obj: JsonObject): JsonObject {
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: obj.metadata ?? {} };
}

/** A Table of a list (or of one object, as a list of one). includeObject: None | Metadata (default) | Object. */
export function tableFor(def: ResourceDef, list: JsonObject, q: URLSearchParams): JsonObject {
  const columns = def.printerColumns ? [NAME, ...def.printerColumns.map(printerColumn)] : builtinColumns(def);
  const include = q.get("includeObject") ?? "Metadata";
  const items = (list.items as JsonObject[] | undefined) ?? [];
  const listMeta = (list.metadata as JsonObject | undefined) ?? {};
  const metadata: JsonObject = {};
  if (listMeta.resourceVersion !== undefined) metadata.resourceVersion = listMeta.resourceVersion;
  if (listMeta.continue !== undefined) metadata.continue = listMeta.continue;
  if (listMeta.remainingItemCount !== undefined) metadata.remainingItemCount = listMeta.remainingItemCount;
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata,
    columnDefinitions: columns.map((c) => c.definition),
    rows: items.map((item) => {
      const row: JsonObject = { cells: columns.map((c) => c.cell(item)) };
      if (include === "Object") row.object = { apiVersion: list.apiVersion, kind: def.kind, ...item };
      else if (include !== "None") row.object = partialMetadata(item);
      return row;
    }),
  };
}
