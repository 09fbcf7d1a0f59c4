import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

/** A page of the service's own UI: HTML, no script at all, and a CSP that allows none and no framing. */
export function expectScriptFreePage(response: LightMyRequestResponse): void {
  expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
  const csp = String(response.headers['content-security-policy']);
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("form-action 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe-inline');
  // The login page's passkey button allows this origin's own scripts; nothing else may run.
  expect(csp).not.toMatch(/script-src (?!'self'(;|$))/);
  expect(response.body).not.toMatch(/<script/i);
}
