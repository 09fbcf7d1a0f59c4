import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../support/process.js';

/** The README and the guides it links: what someone who clones the repository reads. */
const documents = ['README.md', 'bench/README.md', ...readdirSync(path.join(PROJECT_ROOT, 'docs')).map((name) => `docs/${name}`)];
const read = (document: string) => readFileSync(path.join(PROJECT_ROOT, document), 'utf8');
const slug = (heading: string) => heading.toLowerCase().replace(/[^\w\s-]/g, '').trim().replace(/\s/g, '-');

describe.each(documents)('%s', (document) => {
  const text = read(document);

  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [file, anchor] = target!.split('#');
      const resolved = file ? path.resolve(path.dirname(path.join(PROJECT_ROOT, document)), file) : path.join(PROJECT_ROOT, document);
      if (!existsSync(resolved)) broken.push(target!);
      else if (anchor && resolved.endsWith('.md')) {
        const headings = [...readFileSync(resolved, 'utf8').matchAll(/^#+ (.*)$/gm)].map((match) => slug(match[1]!));
        if (!headings.includes(anchor)) broken.push(target!);
      }
    }
    expect(broken).toEqual([]);
  });

  it('needs nothing outside the repository', () => {
    expect(text).not.toMatch(/\.\.\/shared\b/);
  });
});
