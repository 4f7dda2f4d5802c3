// The sandbox Kubernetes API: see sandbox.ts.
export { startSandbox } from "./sandbox.js";
export type { Sandbox, SandboxFaults, SandboxOptions } from "./sandbox.js";
export { RESOURCES, findResource, findResourceByKind } from "./resources.js";
export type { ResourceDef } from "./resources.js";
export { kubeconfigYaml } from "./kubeconfig.js";
export type { Status } from "./status.js";
