// Adler-32 of a string's UTF-8 bytes: the Flux Operator's short input-set IDs and slim-sprig's adler32sum.

export function adler32(s: string): number {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(s, "utf8")) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}
