// Who may talk to a replica's peer endpoints (/pending): only another replica of this webhook.
//
// The replicas share one thing no one else holds: the webhook's TLS private key (one Secret in
// self-managed mode, one cert-manager Secret, or the same mounted files). Each peer request carries an
// HMAC-SHA256, keyed by a key derived from that private key (HKDF), over the method, path, a timestamp
// and the body; the receiver recomputes it. So a caller must have read the TLS Secret — and whoever can
// do that can impersonate the webhook anyway, so this adds no weaker link. The timestamp (±60 s) bounds
// replays. kube-apiserver never calls these paths, and the webhook port needs no client certificates
// (mutual TLS would make the apiserver's own connections negotiate one for nothing).
//
// During a certificate renewal two replicas may briefly hold different keys: the previous key is still
// accepted until the next renewal.
import { createHash, createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import type { TlsMaterial } from "../certs/tls-material.js";

export const PEER_AUTH_HEADER = "x-releasegate-peer-auth";
const MAX_SKEW_MS = 60_000;
const HKDF_INFO = "releasegate pending-batch peer authentication v1";

export interface PeerAuthenticator {
  /** The header value for a request (undefined while no TLS key is loaded). */
  sign(method: string, path: string, body: Buffer | string): string | undefined;
  /** Whether a received header authenticates that request. */
  verify(header: string | undefined, method: string, path: string, body: Buffer | string): boolean;
}

function deriveKey(keyPem: string): Buffer {
  return Buffer.from(hkdfSync("sha256", Buffer.from(keyPem, "utf8"), Buffer.alloc(0), HKDF_INFO, 32));
}

function mac(key: Buffer, method: string, path: string, timestamp: string, body: Buffer | string): Buffer {
  const bodyHash = createHash("sha256").update(body).digest("hex");
  return createHmac("sha256", key).update(`${method.toUpperCase()}\n${path}\n${timestamp}\n${bodyHash}`).digest();
}

/**
 * An authenticator that follows the serving certificate: `current()` returns what the HTTPS server
 * serves now (a TlsSource's current(), or fixed material in tests).
 */
export function tlsKeyPeerAuthenticator(current: () => TlsMaterial | undefined, now: () => number = Date.now): PeerAuthenticator {
  let keys: { pem: string; key: Buffer }[] = [];
  const currentKeys = (): Buffer[] => {
    const material = current();
    if (material !== undefined && keys[0]?.pem !== material.keyPem) {
      keys = [{ pem: material.keyPem, key: deriveKey(material.keyPem) }, ...keys.slice(0, 1)];
    }
    return keys.map((k) => k.key);
  };
  return {
    sign(method, path, body) {
      const key = currentKeys()[0];
      if (key === undefined) return undefined;
      const timestamp = String(now());
      return `t=${timestamp},sig=${mac(key, method, path, timestamp, body).toString("base64url")}`;
    },
    verify(header, method, path, body) {
      if (header === undefined) return false;
      const match = /^t=(\d{1,16}),sig=([A-Za-z0-9_-]{43})$/.exec(header);
      if (match === null) return false;
      const timestamp = match[1]!;
      if (Math.abs(now() - Number(timestamp)) > MAX_SKEW_MS) return false;
      const given = Buffer.from(match[2]!, "base64url");
      return currentKeys().some((key) => {
        const expected = mac(key, method, path, timestamp, body);
        return expected.length === given.length && timingSafeEqual(expected, given);
      });
    },
  };
}
