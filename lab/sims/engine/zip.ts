/**
 * ZIP archives as the apps write them (PKZIP 2.0: stored or deflated entries, a central
 * directory, no ZIP64): enough to write the backups the simulators make and to read the ones a
 * client uploads. Reading checks every entry's CRC-32, as SharpZipLib's `TestArchive` (the *arr
 * apps) and Python's `zipfile` (Bazarr, SABnzbd) do, and fails with the message those libraries
 * give for a file that is not a ZIP archive.
 */
import { crc32, deflateRawSync, inflateRawSync } from "node:zlib";

/** One file to put into an archive. */
export interface ZipInput {
  /** Path inside the archive, `/`-separated (`Database/Users.json`). */
  name: string;
  data: Buffer;
  /** Modification time (default: now). */
  mtime?: Date;
}

/** One file read from an archive. */
export interface ZipEntry {
  name: string;
  data: Buffer;
  mtime: Date;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
}

/** A file that is not a readable ZIP archive. */
export class ZipError extends Error {
  constructor(
    message: string,
    /** `format`: no ZIP structure; `crc`: an entry's data does not match its checksum. */
    readonly kind: "format" | "crc" | "unsupported",
  ) {
    super(message);
    this.name = "ZipError";
  }
}

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
/** Bit 11: names are UTF-8. */
const UTF8_FLAG = 0x0800;

function dosTime(d: Date): { time: number; date: number } {
  const year = Math.max(1980, d.getFullYear());
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

function fromDos(time: number, date: number): Date {
  return new Date(((date >> 9) & 0x7f) + 1980, ((date >> 5) & 0x0f) - 1, date & 0x1f, (time >> 11) & 0x1f, (time >> 5) & 0x3f, (time & 0x1f) * 2);
}

/** Builds an archive; entries are deflated unless that makes them larger. */
export function createZip(entries: ZipInput[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name.replace(/\\/g, "/"), "utf8");
    const deflated = deflateRawSync(e.data, { level: 9 });
    const stored = deflated.length >= e.data.length;
    const payload = stored ? e.data : deflated;
    const method = stored ? 0 : 8;
    const crc = crc32(e.data) >>> 0;
    const { time, date } = dosTime(e.mtime ?? new Date());

    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(UTF8_FLAG, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(payload.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, payload);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(UTF8_FLAG, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(time, 12);
    central.writeUInt16LE(date, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(payload.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + payload.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

function findEnd(buf: Buffer): number {
  const min = Math.max(0, buf.length - 22 - 0xffff);
  for (let i = buf.length - 22; i >= min; i--) {
    if (buf.readUInt32LE(i) === END) return i;
  }
  return -1;
}

/**
 * Reads every file of an archive. Throws {@link ZipError}: `Cannot find central directory` for
 * data that is not a ZIP archive (SharpZipLib's wording), a CRC error for a damaged entry.
 */
export function readZip(buf: Buffer): ZipEntry[] {
  const endAt = buf.length >= 22 ? findEnd(buf) : -1;
  if (endAt < 0) throw new ZipError("Cannot find central directory", "format");
  const count = buf.readUInt16LE(endAt + 10);
  const cdSize = buf.readUInt32LE(endAt + 12);
  const cdOffset = buf.readUInt32LE(endAt + 16);
  if (cdOffset + cdSize > endAt) throw new ZipError("Cannot find central directory", "format");
  const out: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL) throw new ZipError("Wrong Central Directory signature", "format");
    const method = buf.readUInt16LE(p + 10);
    const time = buf.readUInt16LE(p + 12);
    const date = buf.readUInt16LE(p + 14);
    const crc = buf.readUInt32LE(p + 16);
    const csize = buf.readUInt32LE(p + 20);
    const usize = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const localAt = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString("utf8");
    p += 46 + nameLen + extraLen + commentLen;
    if (localAt + 30 > buf.length || buf.readUInt32LE(localAt) !== LOCAL) throw new ZipError(`Wrong local header signature: ${name}`, "format");
    const dataAt = localAt + 30 + buf.readUInt16LE(localAt + 26) + buf.readUInt16LE(localAt + 28);
    if (dataAt + csize > buf.length) throw new ZipError(`Unexpected end of archive in ${name}`, "format");
    const raw = buf.subarray(dataAt, dataAt + csize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) {
      try {
        data = inflateRawSync(raw);
      } catch (err) {
        throw new ZipError(`${name}: ${err instanceof Error ? err.message : String(err)}`, "crc");
      }
    } else throw new ZipError(`Compression method not supported: ${method} (${name})`, "unsupported");
    if (data.length !== usize || (crc32(data) >>> 0) !== crc) throw new ZipError(`CRC mismatch in ${name}`, "crc");
    if (!name.endsWith("/")) out.push({ name, data, mtime: fromDos(time, date), method, compressedSize: csize });
  }
  return out;
}
