// How long a session page takes to READ on its required path, counted the way the course's own
// length measure counts it: words of prose outside code fences, `<<<` imports, `::: details` blocks,
// <details> elements and HTML comments (those are code, or optional depth a learner may skip).
// Tables count (their pipes are not words), and so do tips and info boxes: a learner reads them.
//
// The stripping below follows the same steps, in the same order, as that measure, so the totals agree
// word for word; it then splits what is left at the `## ` headings to get one count per section.

/** Words a newcomer reads per minute; the reading-time figure on each section is words / WPM, rounded up. */
export const WPM = 200;

/** At most this many words on a session page's required path (a 90-minute session leaves room to do things). */
export const MAX_REQUIRED_WORDS = 4500;

/** The page with everything that is not required reading removed (headings stay, so sections can be found). */
export function requiredText(markdown: string): string {
  let s = markdown.replace(/\r\n/g, '\n');
  s = s.replace(/^---\n[\s\S]*?\n---\n/, ''); // front matter
  s = s.replace(/<!--[\s\S]*?-->/g, ''); // HTML comments (and `<!--@include: -->` lines)
  s = s.replace(/^(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1\s*$/gm, ''); // fenced code, Mermaid included
  s = s.replace(/^:::\s*details[^\n]*\n[\s\S]*?^:::\s*$/gm, ''); // ::: details Optional: ... :::
  s = s.replace(/<details[\s\S]*?<\/details>/g, '');
  s = s.replace(/^<<<.*$/gm, ''); // code imported by region
  s = s.replace(/<\/?[A-Za-z][^<>\n]*>/g, ' '); // tags (<Quiz />, <kbd>), not their text
  return s;
}

/** A word is any run of non-space characters with a letter or digit in it (so `|`, `---`, `##` are not words). */
export function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => /[A-Za-z0-9]/.test(w)).length;
}

export interface SectionLength {
  /** The `## ` heading's text, e.g. "Concept (20 min)"; '' for the text before the first heading. */
  title: string;
  words: number;
  /** ceil(words / WPM), at least 1 for a section with any words. */
  minutes: number;
}

/** Required words per `## ` section (the heading line counts with its section), in page order. */
export function sectionLengths(markdown: string): SectionLength[] {
  const sections: { title: string; lines: string[] }[] = [{ title: '', lines: [] }];
  for (const line of requiredText(markdown).split('\n')) {
    const h2 = /^ {0,3}## +(.+?)\s*#*\s*$/.exec(line);
    if (h2) sections.push({ title: h2[1] ?? '', lines: [] });
    sections.at(-1)!.lines.push(line);
  }
  return sections.map(({ title, lines }) => {
    const words = countWords(lines.join('\n'));
    return { title, words, minutes: Math.ceil(words / WPM) };
  });
}

/** Required words on the whole page (the same number the course's length measure prints). */
export function requiredWords(markdown: string): number {
  return countWords(requiredText(markdown));
}

/**
 * The reading-time figure a section states: the first non-blank line under its heading must be
 * `*~N min read*` (N in whole minutes). Returns N, or undefined if the line is missing.
 */
export function statedReadingMinutes(markdown: string, title: string): number | undefined {
  const lines = markdown.replace(/\r\n/g, '\n').split('\n');
  const at = lines.findIndex((l) => new RegExp(`^ {0,3}## +${escape(title)}\\s*$`).test(l));
  if (at < 0) return undefined;
  const next = lines.slice(at + 1).find((l) => l.trim() !== '');
  const m = /^\*~(\d+) min read\*$/.exec(next?.trim() ?? '');
  return m ? Number(m[1]) : undefined;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
