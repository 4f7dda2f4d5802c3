// Local development certificates on disk (certs/README.md): a CA and a serving certificate for localhost,
// 127.0.0.1 and, when given, a Service's DNS names, written as ca.crt, ca.key, tls.crt and tls.key so that
// files mode (`--cert-mode files --tls-cert-file certs/tls.crt --tls-key-file certs/tls.key`) and a client
// trusting certs/ca.crt work at once. The repository's .gitignore keeps these files out of git.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { generateCertificateAuthority, generateServingCertificate } from "./generate.js";
import { serviceDnsNames } from "./self-managed-tls-source.js";

interface DevelopmentCertificateOptions {
  /** Also name this Service's DNS names (needs `namespace`). */
  serviceName?: string;
  namespace?: string;
  /** Serving certificate validity in days (default 30; the CA lasts ten times longer). */
  validDays?: number;
}

/** Writes ca.crt, ca.key, tls.crt and tls.key into `dir` (created if needed); keys are readable by the owner only. */
export async function writeDevelopmentCertificates(dir: string, options: DevelopmentCertificateOptions = {}): Promise<{ files: string[] }> {
  const validDays = options.validDays ?? 30;
  const dnsNames =
    options.serviceName === undefined ? ["localhost"] : serviceDnsNames(options.serviceName, options.namespace ?? "default");
  const ca = generateCertificateAuthority("releasegate-development-ca", validDays * 10);
  const serving = generateServingCertificate(ca, { commonName: dnsNames[0] ?? "localhost", dnsNames, ipAddresses: ["127.0.0.1"], validDays });
  await mkdir(dir, { recursive: true });
  const files: [string, string, number][] = [
    ["ca.crt", ca.certPem, 0o644],
    ["ca.key", ca.keyPem, 0o600],
    ["tls.crt", serving.certPem, 0o644],
    ["tls.key", serving.keyPem, 0o600],
  ];
  for (const [name, content, mode] of files) await writeFile(path.join(dir, name), content, { mode });
  return { files: files.map(([name]) => path.join(dir, name)) };
}
