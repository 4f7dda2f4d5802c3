// API clients whose requests share one keep-alive connection pool per KubeConfig, with a cap on sockets
// and a timeout on every request. client-node's KubeConfig gives each request a new https.Agent, so each
// request opens its own connection: 3,000 Event writes at once were 3,000 connections to the API server
// (docs/behaviour.md, Bounded work). Here the per-request agent is swapped for the pool: requests beyond the cap wait in
// the agent for a free socket, and a request that outlives its timeout is aborted, so a silent API
// server cannot pin sockets for ever. Authentication headers are still applied per request by the
// KubeConfig (tokens that rotate keep working). Watches keep their own connections (client-node's Watch).
import http from "node:http";
import https from "node:https";
import { createConfiguration, ServerConfiguration } from "@kubernetes/client-node";
import type { Configuration, KubeConfig, RequestContext, SecurityAuthentication } from "@kubernetes/client-node";

/** Sockets to the API server for all writes and reads together (watches aside). */
export const DEFAULT_MAX_SOCKETS = 16;
/** The longest any request may take; kube-apiserver's own default request timeout is 60 s. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

interface Pool {
  agent: http.Agent | undefined;
  maxSockets: number;
}

const pools = new WeakMap<KubeConfig, Pool>();

/** Sets the socket cap of `kc`'s pool (before its first request; serve does it once at start). */
export function configureSharedAgent(kc: KubeConfig, options: { maxSockets: number }): void {
  const pool = pools.get(kc);
  if (pool?.agent !== undefined) pool.agent.maxSockets = options.maxSockets;
  pools.set(kc, { agent: pool?.agent, maxSockets: options.maxSockets });
}

/** The pool's agent, made from the TLS options of the first per-request agent KubeConfig produced. */
function pooledAgent(kc: KubeConfig, perRequest: http.Agent | https.Agent | undefined): http.Agent | https.Agent | undefined {
  let pool = pools.get(kc);
  if (pool === undefined) {
    pool = { agent: undefined, maxSockets: DEFAULT_MAX_SOCKETS };
    pools.set(kc, pool);
  }
  if (pool.agent !== undefined) return pool.agent;
  // A proxy agent (kubeconfig proxy-url) is left as it is.
  const type = perRequest?.constructor;
  if (type !== https.Agent && type !== http.Agent) return perRequest;
  const common = { keepAlive: true, maxSockets: pool.maxSockets, maxFreeSockets: pool.maxSockets, scheduling: "lifo" as const };
  pool.agent =
    type === https.Agent
      ? new https.Agent({ ...(perRequest as https.Agent).options, ...common })
      : new http.Agent({ ...(perRequest as http.Agent & { options: http.AgentOptions }).options, ...common });
  return pool.agent;
}

/** Sockets the pool of `kc` has open (in use and idle), for tests and benchmarks. */
export function sharedAgentSockets(kc: KubeConfig): number {
  const agent = pools.get(kc)?.agent;
  if (agent === undefined) return 0;
  const count = (sockets: NodeJS.ReadOnlyDict<unknown[]>): number => Object.values(sockets).reduce((n, list) => n + (list?.length ?? 0), 0);
  return count(agent.sockets) + count(agent.freeSockets);
}

/** An API client (e.g. EventsV1Api) whose requests go through `kc`'s pool and time out after `timeoutMs`. */
export function sharedApiClient<T>(kc: KubeConfig, api: new (configuration: Configuration) => T, options: { timeoutMs?: number } = {}): T {
  const server = kc.getCurrentCluster()?.server;
  if (server === undefined) throw new Error("the kubeconfig has no current cluster");
  const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const auth: SecurityAuthentication = {
    getName: () => "kubeconfig, shared connection pool",
    applySecurityAuthentication: async (context: RequestContext) => {
      await kc.applySecurityAuthentication(context);
      const agent = pooledAgent(kc, context.getAgent());
      if (agent !== undefined) context.setAgent(agent);
      context.setSignal(AbortSignal.timeout(timeoutMs));
    },
  };
  return new api(createConfiguration({ baseServer: new ServerConfiguration(server, {}), authMethods: { default: auth } }));
}
