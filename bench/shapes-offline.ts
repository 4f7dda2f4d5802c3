// Placeholder: filled in below.
export function shapeAdmission(_shape: string, _size: number): string {
  return "—";
}
export async function shapeCheck(_shape: string, _size: number, _dir: string, _w: unknown, _e: unknown): Promise<string> {
  return "—";
}
