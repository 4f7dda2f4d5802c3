// What hostile bodies cost the webhook (docs/behaviour.md, "Bounded work"): `serve` as its own process in
// the image's environment (bench/serve-process.ts), sent review bodies just under the 6 MiB limit, one and
// eight at once, of shapes whose parsed size is many times their bytes: nested arrays, a flat list of empty
// arrays, and the worst shape the structure limits still let through (just under 150,000 containers and
// 750,000 values). Prints serve's resident set before, and its peak (VmHWM) after each step, with the
// answers it gave. Measures; asserts nothing. Run: npm run build && node dist/bench/admission-body.js
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import net from "node:net";
import { generateCertificateAuthority, generateServingCertificate } from "../src/certs/generate.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import { imageEnvironment, mib, procStatus, startServe, waitReady } from "./serve-process.js";

const SIZE = 6_000_000;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Peak resident set of a process so far (VmHWM). */
function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
}

function post(port: number, body: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const req = https.request(
      { host: "127.0.0.1", port, path: "/validate", method: "POST", rejectUnauthorized: false, agent: false, headers: { "content-type": "application/json", "content-length": body.length } },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve(`${res.statusCode} ${text.trim().slice(0, 90)}`));
      },
    );
    req.on("error", (error) => resolve(`error ${error.message}`));
    req.end(body);
  });
}

const shapes: Record<string, () => Buffer> = {
  "nested arrays [[[…]]]": () => Buffer.from("[".repeat(SIZE / 2) + "]".repeat(SIZE / 2)),
  "flat empty arrays [[],[],…]": () => Buffer.from(`[${"[],".repeat(SIZE / 3 - 1)}[]]`),
  "just inside the limits": () => {
    // 149,000 objects of 4 one-digit values each, padded to the size with a long string: the most heap
    // a body the limits accept can ask for.
    const items = Array.from({ length: 149_000 }, () => '{"a":1,"b":2,"c":3,"d":4}').join(",");
    const json = `{"request":{"object":{"spec":{"values":[${items}]}}},"pad":"`;
    return Buffer.from(json + "x".repeat(Math.max(0, SIZE - json.length - 3)) + '"}');
  },
};

async function main(): Promise<void> {
  const sandbox = await startSandbox({});
  const dir = await mkdtemp(join(tmpdir(), "releasegate-bench-body-"));
  const kubeconfig = join(dir, "kubeconfig");
  await sandbox.writeKubeconfig(kubeconfig);
  const ca = generateCertificateAuthority("bench-ca");
  const serving = generateServingCertificate(ca, { commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
  await writeFile(join(dir, "tls.crt"), serving.certPem);
  await writeFile(join(dir, "tls.key"), serving.keyPem);
  const [webhookPort, metricsPort] = [await freePort(), await freePort()];
  const serve = startServe({ kubeconfig, webhookPort, metricsPort, flags: ["--cert-mode", "files", "--tls-cert-file", join(dir, "tls.crt"), "--tls-key-file", join(dir, "tls.key")] });
  try {
    await waitReady(serve, webhookPort);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    console.log(`bench/admission-body: serve in the image's environment (${JSON.stringify(imageEnvironment())}), bodies of ${SIZE} bytes`);
    console.log(`  serve ready: RSS ${mib(procStatus(serve.pid).rss)} MiB, peak so far ${mib(peakRss(serve.pid))} MiB`);
    for (const [name, make] of Object.entries(shapes)) {
      const body = make();
      const one = await post(webhookPort, body);
      console.log(`  one ${name} (${body.length} bytes): ${one}; peak RSS ${mib(peakRss(serve.pid))} MiB`);
      const eight = await Promise.all(Array.from({ length: 8 }, () => post(webhookPort, body)));
      const counts = new Map<string, number>();
      for (const answer of eight) counts.set(answer.slice(0, 3), (counts.get(answer.slice(0, 3)) ?? 0) + 1);
      console.log(`  eight at once: ${[...counts].map(([status, n]) => `${n}× ${status}`).join(", ")}; peak RSS ${mib(peakRss(serve.pid))} MiB, RSS now ${mib(procStatus(serve.pid).rss)} MiB`);
    }
  } finally {
    await serve.stop();
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
