// Flux's feature gates that change how a dependency is judged (docs/behaviour.md, "Gate states"). Only
// `AdditiveCELDependencyCheck` does (helm-controller and kustomize-controller, off by default): with it a
// dependsOn entry's readyExpr is checked in addition to the built-in check instead of replacing it.
// releasegate takes the controllers' own `--feature-gates` text (`serve --flux-feature-gates`), so a user
// sets it as they set it on helm-controller and kustomize-controller; gates releasegate has no use for
// (DetectDrift, OOMWatch...) are accepted and ignored. One setting a process, as a controller's flag is.

export interface FluxFeatureGates {
  additiveCelDependencyCheck: boolean;
}

export const DEFAULT_FLUX_FEATURE_GATES: FluxFeatureGates = Object.freeze({ additiveCelDependencyCheck: false });

let current: FluxFeatureGates = DEFAULT_FLUX_FEATURE_GATES;

/** The gates in force in this process. */
export function fluxFeatureGates(): FluxFeatureGates {
  return current;
}

/** Sets the gates for this process (serve and why at start; tests, then back to the defaults). */
export function setFluxFeatureGates(gates: FluxFeatureGates): void {
  current = Object.freeze({ ...gates });
}

/**
 * Parses Flux's `--feature-gates` syntax, `Name=true,Other=false` (component-base's map of name to bool:
 * true/false in any case, 1/0, t/f), into the gates releasegate reads. Throws one line on bad syntax.
 */
export function parseFluxFeatureGates(text: string): FluxFeatureGates {
  const gates = { ...DEFAULT_FLUX_FEATURE_GATES };
  for (const part of text.split(",")) {
    const item = part.trim();
    if (item === "") continue;
    const eq = item.indexOf("=");
    if (eq <= 0) throw new Error(`--flux-feature-gates: "${item}" is not Name=true or Name=false (the syntax of Flux's --feature-gates)`);
    const name = item.slice(0, eq).trim();
    const value = parseBool(item.slice(eq + 1).trim());
    if (value === undefined) throw new Error(`--flux-feature-gates: ${name} must be true or false, not "${item.slice(eq + 1).trim()}"`);
    if (name === "AdditiveCELDependencyCheck") gates.additiveCelDependencyCheck = value;
  }
  return gates;
}

/** Go's strconv.ParseBool, which the controllers' flag parsing uses. */
function parseBool(text: string): boolean | undefined {
  if (["1", "t", "T", "true", "TRUE", "True"].includes(text)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(text)) return false;
  return undefined;
}
