// The sandbox Kubernetes API: see sandbox.ts.
export { startSandbox } from "./sandbox.js";
export type { Sandbox } from "./sandbox.js";
