// The Flux Operator's `slugify` template function: gosimple/slug's Make with a 63-character limit (a label
// value's maximum) and smart truncation at the last dash. "&" becomes "and" and "@" "at" (its English
// substitutions); accented letters lose their accents (gosimple/slug transliterates with unidecode, which this
// approximates by Unicode decomposition, dropping what is left outside ASCII).

const MAX_LENGTH = 63;

export function slugify(input: string): string {
  let slug = input.trim();
  slug = slug.replace(/&/g, "and").replace(/@/g, "at");
  slug = slug
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/ß/g, "ss")
    .replace(/[Ææ]/g, "ae")
    .replace(/[Øø]/g, "o")
    .replace(/[Łł]/g, "l")
    .replace(/[^\p{ASCII}]/gu, "");
  slug = slug.toLowerCase();
  slug = slug.replace(/[^a-zA-Z0-9\-_]/g, "-");
  slug = slug.replace(/-+/g, "-");
  slug = slug.replace(/^[-_]+|[-_]+$/g, "");
  if (slug.length > MAX_LENGTH) {
    const cut = slug.lastIndexOf("-", MAX_LENGTH);
    slug = cut > 0 ? slug.slice(0, cut) : slug.slice(0, MAX_LENGTH);
  }
  return slug;
}
