// The admission benchmark's baseline: a bare node:https server doing the least any webhook must do
// (read the body, JSON.parse it, answer an AdmissionReview), in its own process as serve is, with the
// same certificate. Started by bench/admission.ts over fork(); it times each request inside its
// listener (arrival → response finished) while told to record, and hands the samples back on asking.
// Run alone: node dist/bench/bare-server.js CERT KEY
import https from "node:https";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";

type Command = { type: "record"; on: boolean } | { type: "samples" } | { type: "close" };

const [certFile, keyFile] = process.argv.slice(2);
if (certFile === undefined || keyFile === undefined) {
  console.error("usage: node dist/bench/bare-server.js CERT KEY");
  process.exit(2);
}

let recording = false;
let samples: number[] = [];

const server = https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: "TLSv1.2", keepAliveTimeout: 120_000 }, (req, res) => {
  const start = process.hrtime.bigint();
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    let uid: string;
    try {
      const review = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { request?: { uid?: unknown } };
      uid = typeof review.request?.uid === "string" ? review.request.uid : "";
    } catch {
      res.writeHead(400, { "content-type": "text/plain" });
      res.end("request body is not valid JSON\n");
      return;
    }
    // A fixed answer; only the uid is the request's, as kube-apiserver requires.
    const body = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":${JSON.stringify(uid)},"allowed":true}}`;
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
    if (recording) samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  });
});

server.listen(0, "127.0.0.1", () => {
  process.send?.({ type: "listening", port: (server.address() as AddressInfo).port });
});

process.on("message", (command: Command) => {
  if (command.type === "record") recording = command.on;
  else if (command.type === "samples") {
    process.send?.({ type: "samples", samples });
    samples = [];
  } else {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
process.on("disconnect", () => process.exit(0));
