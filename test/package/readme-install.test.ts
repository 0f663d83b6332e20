import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/diag/errors.js';

// The README is the package's page on the registry: a user installs from what it says, before the
// Quick start, not from the Development section, whose `npm install` sets up a clone of the repo.
const root = resolve(import.meta.dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  peerDependencies: Record<string, string>;
};

/** The README's text up to the Quick start: what a user reads before copying code. */
const beforeQuickStart = readme.slice(0, readme.indexOf('\n## Quick start'));

/** The commands of its ```sh blocks, one a line, without their comments. */
function shellLines(text: string): string[] {
  return [...text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].flatMap(([, block]) =>
    (block ?? '').split('\n').map((line) => line.replace(/\s#.*$/, '').trim()),
  );
}

describe("the README's install lines", () => {
  it('install the package by its name before the Quick start', () => {
    const installs = shellLines(beforeQuickStart).filter((line) => /^npm (install|i) /.test(line));
    expect(installs.some((line) => line.split(/\s+/).includes(pkg.name))).toBe(true);
  });

  it("give each peer dependency the range package.json gives it, which npm checks the app's against", () => {
    const install = readme.slice(readme.indexOf('\n## Install'), readme.indexOf('\n## Quick start'));
    const quoted = (text: string) => `\`${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\``;
    const misstated = Object.entries(pkg.peerDependencies)
      .filter(([peer, range]) => !new RegExp(`${quoted(peer)}[^;.]*?${quoted(range)}`).test(install))
      .map(([peer, range]) => `${peer} ${range}`);
    expect(misstated).toEqual([]);
  });

  it('name every peer dependency there, for the user to add the ones the service uses', () => {
    const unnamed = Object.keys(pkg.peerDependencies).filter((peer) => !beforeQuickStart.includes(peer));
    expect(unnamed).toEqual([]);
  });
});

describe("the README's coded errors", () => {
  it('name every code init() and the factories throw, so a user who meets one can look it up', () => {
    // SL_ERR_CONFIG_INVALID_URL, which a URL option or variable such as `collector:4318` fails
    // with, was named nowhere: the README's list led a user to expect INVALID_VALUE or INVALID_ENV.
    const unnamed = Object.values(ErrorCodes).filter((code) => !readme.includes(`\`${code}\``));
    expect(unnamed).toEqual([]);
  });
});
