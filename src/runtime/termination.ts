// The one termination-signal handler (docs/architecture.md, "Runtime"): Kubernetes stops a pod with
// SIGTERM, a person with Ctrl-C (SIGINT). The first signal starts a graceful stop; a second one while
// it runs means "now", as most servers treat it.

type TerminationSignal = "SIGTERM" | "SIGINT";

interface TerminationOptions {
  /** Called on a second signal while the first is being handled (default: exit at once, code 130). */
  onSecondSignal?: (signal: TerminationSignal) => void;
  /** The process to listen on (tests pass an EventEmitter). */
  process?: Pick<NodeJS.Process, "on" | "off">;
}

interface TerminationHandler {
  /** Resolves with the first SIGTERM or SIGINT. */
  readonly signal: Promise<TerminationSignal>;
  /** Stops listening (after the graceful stop is done). */
  dispose(): void;
}

export function onTermination(options: TerminationOptions = {}): TerminationHandler {
  const proc = options.process ?? process;
  const second = options.onSecondSignal ?? (() => process.exit(130));
  let received = false;
  let resolveSignal!: (signal: TerminationSignal) => void;
  const signal = new Promise<TerminationSignal>((resolve) => (resolveSignal = resolve));
  const listener = (name: TerminationSignal): void => {
    if (received) {
      second(name);
      return;
    }
    received = true;
    resolveSignal(name);
  };
  const onTerm = (): void => listener("SIGTERM");
  const onInt = (): void => listener("SIGINT");
  proc.on("SIGTERM", onTerm);
  proc.on("SIGINT", onInt);
  return {
    signal,
    dispose() {
      proc.off("SIGTERM", onTerm);
      proc.off("SIGINT", onInt);
    },
  };
}
