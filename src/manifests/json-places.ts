// Where a JSON manifest writes the fields a report places things at (`metadata.name`, each
// `spec.dependsOn` entry, and each List item's start), found in one pass over its text. A JSON file is
// read with JSON.parse, which keeps no positions; finding these with `yaml` instead meant parsing the
// whole file into nodes (a 16 MB List of 50,000 objects took over a gigabyte), for lines that a scan of
// the text gives. The rows are those `yaml` gives the same nodes (json-places.test.ts holds them to it).

/** 0-based rows of one object's placed fields; -1 where not written. */
interface ObjectRows {
  startRow: number;
  nameRow: number;
  entryRows: number[];
}

/** The rows of a JSON document's object, or of each item of a List (`items`, by index); undefined when the text is not as expected (let `yaml` find them). */
export function jsonPlaces(text: string, list: boolean): ObjectRows[] | undefined {
  // A carriage return alone is whitespace to JSON and a line break to `yaml`: its rows, not ours.
  if (LONE_CR.test(text)) return undefined;
  try {
    return new Scanner(text).document(list);
  } catch (error) {
    if (error === UNSURE) return undefined;
    throw error;
  }
}

const LONE_CR = /\r(?!\n)/;

/** Thrown where the scan cannot be sure of agreeing with `yaml` (a key written twice on a placed path). */
const UNSURE = new Error("json-places: unsure");

// What the value being read is, on the way to a placed field.
const OTHER = 0;
const OBJECT = 1;
const METADATA = 2;
const SPEC = 3;
const DEPENDS_ON = 4;
const ITEMS = 5;

class Scanner {
  private at = 0;
  private row = 0;

  constructor(private readonly text: string) {}

  document(list: boolean): ObjectRows[] {
    if (!list) {
      const rows = newRows();
      this.value(OBJECT, rows, undefined);
      return [rows];
    }
    const items: ObjectRows[] = [];
    this.skipSpace();
    if (this.text.charCodeAt(this.at) !== 0x7b) throw UNSURE;
    this.object(OTHER, undefined, items);
    return items;
  }

  private skipSpace(): void {
    const text = this.text;
    for (;;) {
      const c = text.charCodeAt(this.at);
      if (c === 0x0a) this.row++;
      else if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return;
      this.at++;
    }
  }

  /**
   * Reads one value; `place` says what it is on the way to a placed field, `rows` the object it belongs
   * to; `items` collects a List's items when the value is the List itself.
   */
  private value(place: number, rows: ObjectRows | undefined, items: ObjectRows[] | undefined): void {
    this.skipSpace();
    const c = this.text.charCodeAt(this.at);
    if (place === OBJECT && rows !== undefined) rows.startRow = this.row;
    if (c === 0x7b) this.object(place, rows, items);
    else if (c === 0x5b) this.array(place, rows, items);
    else if (c === 0x22) this.string();
    else {
      // A number, true, false or null: up to the next delimiter.
      while (this.at < this.text.length) {
        const d = this.text.charCodeAt(this.at);
        if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
        this.at++;
      }
    }
  }

  private string(): string {
    const text = this.text;
    const start = ++this.at;
    let escaped = false;
    while (this.at < text.length) {
      const c = text.charCodeAt(this.at);
      if (c === 0x5c) {
        escaped = true;
        this.at += 2;
        continue;
      }
      if (c === 0x22) break;
      this.at++;
    }
    const raw = text.slice(start, this.at);
    this.at++;
    // Only the keys on a placed path are compared; an escaped one is JSON.parse's to read.
    return escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
  }

  private object(place: number, rows: ObjectRows | undefined, items: ObjectRows[] | undefined): void {
    this.at++; // {
    const seen = place === OTHER && items === undefined ? undefined : new Set<string>();
    for (;;) {
      this.skipSpace();
      if (this.text.charCodeAt(this.at) === 0x7d) {
        this.at++;
        return;
      }
      const key = this.string();
      // JSON.parse keeps a key's last value, `yaml` finds its first: where they could differ, do not guess.
      if (seen !== undefined) {
        if (seen.has(key)) throw UNSURE;
        seen.add(key);
      }
      this.skipSpace();
      this.at++; // :
      if (items !== undefined && key === "items") {
        this.value(ITEMS, undefined, items);
      } else if (place === OBJECT && key === "metadata") {
        this.value(METADATA, rows, undefined);
      } else if (place === OBJECT && key === "spec") {
        this.value(SPEC, rows, undefined);
      } else if (place === SPEC && key === "dependsOn") {
        this.value(DEPENDS_ON, rows, undefined);
      } else {
        if (place === METADATA && key === "name") {
          this.skipSpace();
          rows!.nameRow = this.row;
        }
        this.value(OTHER, undefined, undefined);
      }
      this.skipSpace();
      if (this.text.charCodeAt(this.at) === 0x2c) this.at++;
    }
  }

  private array(place: number, rows: ObjectRows | undefined, items: ObjectRows[] | undefined): void {
    this.at++; // [
    if (place === DEPENDS_ON) rows!.entryRows = [];
    for (;;) {
      this.skipSpace();
      if (this.text.charCodeAt(this.at) === 0x5d) {
        this.at++;
        return;
      }
      if (place === DEPENDS_ON) rows!.entryRows.push(this.row);
      if (place === ITEMS) {
        const item = newRows();
        items!.push(item);
        this.value(OBJECT, item, undefined);
      } else {
        this.value(OTHER, undefined, undefined);
      }
      this.skipSpace();
      if (this.text.charCodeAt(this.at) === 0x2c) this.at++;
    }
  }
}

function newRows(): ObjectRows {
  return { startRow: -1, nameRow: -1, entryRows: [] };
}
