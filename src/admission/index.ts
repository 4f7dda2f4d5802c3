// The admission webhook: AdmissionReview v1 in, decision out; the pending batch shared between replicas.
export * from "./policy.js";
export * from "./review.js";
export * from "./decision.js";
export * from "./decide.js";
export * from "./render.js";
export * from "./messages.js";
export * from "./pending-batch.js";
export * from "./peer-auth.js";
export * from "./peer-source.js";
export * from "./pending-peers.js";
export * from "./admission-graphs.js";
export * from "./review-handler.js";
export * from "./validate-handler.js";
export * from "./app.js";
export * from "./server.js";
