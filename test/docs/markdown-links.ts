import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

/** The lines of `markdown` outside fenced code blocks (``` or ~~~, indented or not), blank inside them. */
function proseLines(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker) {
      fence = marker[0]!.repeat(marker.length);
      return '';
    }
    if (fence !== undefined) {
      if (marker && marker.startsWith(fence)) fence = undefined;
      return '';
    }
    return line;
  });
}

/** A heading's anchor as GitHub makes it: text without Markdown, lower-cased, punctuation dropped, spaces hyphens. */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/<[^>]+>/g, '');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor the headings of `markdown` define, with GitHub's `-1`, `-2` for repeated ones. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = githubSlug(heading[1]!);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The targets of the links and images of `markdown` that stay in the repository (no scheme), outside code. */
export function relativeLinks(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(markdown)) {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const link of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = link[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue;
      targets.push(target);
    }
  }
  return targets;
}

/**
 * Each relative link of `files` (paths from `root`) that leads nowhere: a missing file, or an
 * `#anchor` no heading of the Markdown file it points to defines. Returns `file: target` lines.
 */
export function brokenLinks(root: string, files: string[]): string[] {
  const broken: string[] = [];
  for (const file of files) {
    const markdown = readFileSync(join(root, file), 'utf8');
    for (const target of relativeLinks(markdown)) {
      const [path, anchor] = target.split('#', 2) as [string, string | undefined];
      const resolved = path === '' ? file : normalize(join(dirname(file), decodeURIComponent(path)));
      const absolute = join(root, resolved);
      if (resolved.startsWith('..') || !existsSync(absolute)) {
        broken.push(`${file}: ${target} (no such file)`);
      } else if (
        anchor !== undefined &&
        resolved.endsWith('.md') &&
        !headingAnchors(readFileSync(absolute, 'utf8')).has(anchor)
      ) {
        broken.push(`${file}: ${target} (no such heading in ${resolved})`);
      }
    }
  }
  return broken;
}
