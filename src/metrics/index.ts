// Re-exports of the metrics layer.
export * from "./metrics.js";
export * from "./metrics-server.js";
