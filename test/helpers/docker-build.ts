// Builds the Dockerfile's stages without a container engine, for test/container-image.test.ts: the build
// context is exactly what .dockerignore admits (moby/patternmatcher's rules: patterns in order, the last
// match wins, a pattern matching a parent directory matches what is under it, `!` re-admits), then each
// stage gets its own folder as its root filesystem, and its WORKDIR, COPY (from the context or an earlier
// stage), ENV and RUN instructions are carried out in order. RUN commands run with the host's tools in the
// stage's WORKDIR, so they must use paths relative to it (the Dockerfile says so); BuildKit's `--mount`
// flags only cache downloads and are dropped.
import { execFile, spawn } from "node:child_process";
import { chmod, cp, lstat, mkdir, readFile, stat } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The PATH of the node:*-slim images (Debian's default), which `ENV PATH=…:$PATH` extends. */
export const NODE_IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

interface IgnorePattern {
  exclusion: boolean;
  regexp: RegExp;
}

/** .dockerignore lines as moby's ignorefile.ReadAll reads them, compiled as patternmatcher does. */
export function parseDockerignore(text: string): IgnorePattern[] {
  const patterns: IgnorePattern[] = [];
  for (const raw of text.replace(/^\uFEFF/, "").split("\n")) {
    if (raw.startsWith("#")) continue;
    let line = raw.trim();
    if (line === "") continue;
    const exclusion = line.startsWith("!");
    if (exclusion) line = line.slice(1).trim();
    line = posix.normalize(line).replace(/\/$/, "");
    if (line.length > 1 && line.startsWith("/")) line = line.slice(1);
    patterns.push({ exclusion, regexp: compilePattern(line) });
  }
  return patterns;
}

function compilePattern(pattern: string): RegExp {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "*" && pattern[i + 1] === "*") {
      i++;
      if (pattern[i + 1] === "/") i++;
      re += i + 1 >= pattern.length ? ".*" : "(.*/)?";
    } else if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else if (ch === "\\" && i + 1 < pattern.length) re += `\\${pattern[++i]!}`;
    else if (ch === "[" || ch === "]") re += ch;
    else re += ch.replace(/[.+(){}|^$]/g, "\\$&");
  }
  return new RegExp(`${re}$`);
}

/** Whether a context-relative path (slashes) is excluded from the build context (MatchesOrParentMatches). */
export function isIgnored(patterns: readonly IgnorePattern[], file: string): boolean {
  const parents = posix.dirname(file) === "." ? [] : posix.dirname(file).split("/");
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.exclusion !== matched) continue;
    let match = pattern.regexp.test(file);
    for (let i = 0; !match && i < parents.length; i++) match = pattern.regexp.test(parents.slice(0, i + 1).join("/"));
    if (match) matched = !pattern.exclusion;
  }
  return matched;
}

/** The files of a checkout (tracked, plus new ones git does not ignore): what a fresh clone holds. */
export async function checkoutFiles(repo: string): Promise<string[]> {
  const { stdout } = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repo, maxBuffer: 64 * 1024 * 1024 });
  const files: string[] = [];
  for (const file of stdout.split("\0")) {
    if (file === "") continue;
    // A file deleted but not yet committed is not in the checkout.
    if (await lstat(join(repo, file)).then(() => true, () => false)) files.push(file);
  }
  return files;
}

/** Copies the files .dockerignore admits into `context`; returns them. */
export async function makeContext(repo: string, context: string): Promise<string[]> {
  const ignore = parseDockerignore(await readFile(join(repo, ".dockerignore"), "utf8").catch(() => ""));
  const admitted = (await checkoutFiles(repo)).filter((file) => !isIgnored(ignore, file));
  for (const file of admitted) {
    await mkdir(dirname(join(context, file)), { recursive: true });
    await cp(join(repo, file), join(context, file), { preserveTimestamps: true });
  }
  return admitted;
}

export type Instruction =
  | { op: "FROM"; image: string; name: string | undefined }
  | { op: "WORKDIR"; path: string }
  | { op: "COPY"; from: string | undefined; sources: string[]; dest: string }
  | { op: "RUN"; command: string }
  | { op: "ENV"; name: string; value: string }
  | { op: "ENTRYPOINT" | "CMD"; argv: string[] }
  | { op: "OTHER"; keyword: string; text: string };

export interface Stage {
  name: string;
  image: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages (line continuations joined, comments dropped, ARG defaults substituted). */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = "";
  for (const line of text.split("\n")) {
    if (/^\s*#/.test(line) && pending === "") continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = (pending + line).trim();
    pending = "";
    if (whole !== "") logical.push(whole);
  }
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = "", rest = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const op = keyword.toUpperCase();
    if (op === "ARG") {
      const [name = "", value = ""] = rest.split("=");
      args.set(name, value);
      continue;
    }
    if (op === "FROM") {
      const [image = "", , name] = rest.replace(/\$\{(\w+)\}/g, (_, n: string) => args.get(n) ?? "").split(/\s+/);
      stages.push({ name: name ?? String(stages.length), image, instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (stage === undefined) throw new Error(`Dockerfile: ${op} before FROM`);
    stage.instructions.push(instruction(op, rest));
  }
  return stages;
}

function instruction(op: string, rest: string): Instruction {
  switch (op) {
    case "WORKDIR":
      return { op, path: rest };
    case "COPY": {
      const words = rest.split(/\s+/);
      let from: string | undefined;
      while (words[0]?.startsWith("--")) {
        const flag = words.shift()!;
        if (flag.startsWith("--from=")) from = flag.slice("--from=".length);
        else throw new Error(`Dockerfile: COPY ${flag} is not simulated`);
      }
      const dest = words.pop() ?? "";
      return { op, from, sources: words, dest };
    }
    case "RUN":
      return { op, command: rest.replace(/^(--\S+\s+)+/, "") };
    case "ENV": {
      const eq = rest.indexOf("=");
      return { op, name: rest.slice(0, eq), value: rest.slice(eq + 1) };
    }
    case "ENTRYPOINT":
    case "CMD":
      return { op, argv: JSON.parse(rest) as string[] };
    default:
      return { op: "OTHER", keyword: op, text: rest };
  }
}

export interface BuiltStage {
  stage: Stage;
  /** The folder standing for the stage's root filesystem. */
  root: string;
  workdir: string;
  env: Record<string, string>;
}

export interface BuildOptions {
  context: string;
  /** Where the stages' root folders go. */
  into: string;
  /** Carries out a RUN command instead of the shell (return true), e.g. to stand in for a download. */
  replaceRun?: (command: string, at: BuiltStage) => Promise<boolean>;
  /** Extra environment for RUN commands (e.g. npm_config_prefer_offline). */
  runEnv?: Record<string, string>;
  log?: (line: string) => void;
}

/** Builds every stage in order; returns them by name. */
export async function buildStages(stages: readonly Stage[], options: BuildOptions): Promise<Map<string, BuiltStage>> {
  const built = new Map<string, BuiltStage>();
  for (const stage of stages) {
    const at: BuiltStage = { stage, root: join(options.into, stage.name), workdir: "/", env: { PATH: NODE_IMAGE_PATH } };
    await mkdir(at.root, { recursive: true });
    for (const step of stage.instructions) {
      options.log?.(`[${stage.name}] ${step.op}`);
      switch (step.op) {
        case "WORKDIR":
          at.workdir = posix.resolve(at.workdir, step.path);
          await mkdir(join(at.root, at.workdir), { recursive: true });
          break;
        case "ENV":
          at.env[step.name] = step.value.replace(/\$\{?(\w+)\}?/g, (_, n: string) => at.env[n] ?? "");
          break;
        case "COPY":
          await copyStep(step, at, built, options.context);
          break;
        case "RUN":
          if (!(await options.replaceRun?.(step.command, at))) await shell(step.command, join(at.root, at.workdir), { ...at.env, PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.runEnv });
          break;
        default:
          break;
      }
    }
    built.set(stage.name, at);
  }
  return built;
}

async function copyStep(step: Extract<Instruction, { op: "COPY" }>, at: BuiltStage, built: Map<string, BuiltStage>, context: string): Promise<void> {
  const fromRoot = step.from === undefined ? context : built.get(step.from)?.root;
  if (fromRoot === undefined) throw new Error(`COPY --from=${step.from}: no such stage before this one`);
  const dest = join(at.root, posix.resolve(at.workdir, step.dest));
  const intoFolder = step.dest.endsWith("/") || step.sources.length > 1;
  for (const source of step.sources) {
    const from = join(fromRoot, step.from === undefined ? source : posix.resolve("/", source));
    const info = await stat(from).catch(() => undefined);
    if (info === undefined) throw new Error(`COPY ${source}: not found in the ${step.from === undefined ? "build context (.dockerignore?)" : `stage ${step.from}`}`);
    const target = info.isDirectory() || !intoFolder ? dest : join(dest, posix.basename(source));
    await mkdir(info.isDirectory() ? target : dirname(target), { recursive: true });
    // A folder's contents are copied, not the folder itself; modes are kept, as COPY keeps them.
    await cp(from, target, { recursive: true, verbatimSymlinks: true });
    if (!info.isDirectory()) await chmod(target, info.mode);
  }
}

function shell(command: string, cwd: string, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 600_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`RUN ${command} (in ${cwd}) exited ${code}:\n${output.slice(-4000)}`));
    });
  });
}

/** Finds `name` on the stage's PATH, inside its root: what the image's ENTRYPOINT resolves to. */
export async function whichInStage(at: BuiltStage, name: string): Promise<string | undefined> {
  for (const dir of (at.env.PATH ?? "").split(":")) {
    const candidate = join(at.root, dir, name);
    const info = await stat(candidate).catch(() => undefined);
    if (info?.isFile() && (info.mode & 0o111) !== 0) return candidate;
  }
  return undefined;
}
