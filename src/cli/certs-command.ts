// `releasegate certs`: writes a development CA and serving certificate (the generator self-managed mode
// uses) for running the webhook locally with --cert-mode files. See certs/README.md.
import { writeDevelopmentCertificates } from "../certs/development-files.js";
import { parseCommandLine, UsageError } from "./args.js";
import type { CommandIo } from "./io.js";

export const certsUsage = `Usage: releasegate certs [options] [DIR]

Writes ca.crt, ca.key, tls.crt and tls.key into DIR (default certs/) for local development:
  releasegate serve --cert-mode files --tls-cert-file DIR/tls.crt --tls-key-file DIR/tls.key

Options:
  --service-name NAME   add the Service DNS names NAME, NAME.NS, NAME.NS.svc, NAME.NS.svc.cluster.local
  --namespace NS        namespace for those names (default releasegate)
  --days N              serving certificate validity in days (default 30)
  -h, --help            show this help`;

export async function runCerts(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandLine(
    argv,
    { "service-name": { type: "string" }, namespace: { type: "string" }, days: { type: "string" }, help: { type: "boolean", short: "h" } },
    "certs",
  );
  if (values.help === true) {
    io.stdout(`${certsUsage}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`give at most one DIR, got ${positionals.length}`);
  const days = values.days === undefined ? undefined : Number(values.days);
  if (days !== undefined && (!Number.isInteger(days) || days < 1)) throw new UsageError(`--days must be a whole number of days, not "${values.days}"`);
  const { files } = await writeDevelopmentCertificates(positionals[0] ?? "certs", {
    ...(values["service-name"] === undefined ? {} : { serviceName: values["service-name"], namespace: values.namespace ?? "releasegate" }),
    ...(days === undefined ? {} : { validDays: days }),
  });
  io.stdout(`${files.join("\n")}\n`);
  return 0;
}
