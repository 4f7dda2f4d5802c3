// The last line of a missing-dependency denial: how to apply a batch whose objects depend on each other.
// `kubectl apply -f DIR/` sends the files in name order, each as soon as the previous one is stored, so
// a dependent whose file sorts first is denied before its dependency exists. Two ways through, both
// documented in the README (Applying several files at once): order the files so dependencies come first, or dry-run the
// batch on the server first, which records every object as pending for the dependents that follow.
export function batchApplyHint(pendingTtlSeconds: number): string {
  return (
    "applying several files at once? kubectl applies them in name order: put the dependency first (e.g. 1-redis.yaml, 2-backend.yaml), " +
    `or run the same 'kubectl apply --dry-run=server' first, then apply within ${pendingTtlSeconds} s`
  );
}
