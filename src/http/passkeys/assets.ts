import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/errors.js';
import { PASSKEYS_SCRIPT } from './browser-script.js';

interface Asset {
  readonly path: string;
  readonly body: string;
  /** Subresource Integrity (W3C SRI): the page names the exact bytes it runs. */
  readonly integrity: string;
}

const asset = (name: string, body: string): Asset => {
  const digest = createHash('sha384').update(body, 'utf8').digest();
  // The name carries the content's hash, so a new version is a new URL and the old one may be cached for ever.
  return { path: `/assets/${name}-${digest.toString('hex').slice(0, 16)}.js`, body, integrity: `sha384-${digest.toString('base64')}` };
};

/** The SimpleWebAuthn browser bundle (UMD: defines `SimpleWebAuthnBrowser`), from the installed package; its exports map hides the file. */
const readBrowserBundle = (): string => {
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  const root = entry.slice(0, entry.lastIndexOf(`${path.sep}script${path.sep}`));
  return readFileSync(path.join(root, 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
};

/** The scripts the passkey buttons run, in the order the pages load them. */
export const PASSKEY_ASSETS: readonly Asset[] = [asset('simplewebauthn-browser', readBrowserBundle()), asset('passkeys', PASSKEYS_SCRIPT)];

const byPath = new Map(PASSKEY_ASSETS.map((a) => [a.path, a]));

/** `GET /assets/{file}`: the scripts, immutable under their content-hashed names. */
export async function passkeyAssetRoutes(app: FastifyInstance) {
  app.get<{ Params: { file: string } }>(
    '/assets/:file',
    { schema: { params: { type: 'object', required: ['file'], properties: { file: { type: 'string', maxLength: 128 } } } } },
    async (request, reply) => {
      const found = byPath.get(`/assets/${request.params.file}`);
      if (!found) throw new AppError('not_found', 'No such asset.');
      return reply.header('cache-control', 'public, max-age=31536000, immutable').type('text/javascript; charset=utf-8').send(found.body);
    },
  );
}
