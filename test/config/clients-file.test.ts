import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { clientsFileSchema, loadClientsFile } from '../../src/config/clients-file.js';

const dir = mkdtempSync(join(tmpdir(), 'idsvc-clients-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const hashSecret = (secret: string) => Buffer.from(`hash:${secret.length}`);
const SECRET = 'a-confidential-secret-0123456789abcdef';

const YAML = `clients:
  - client_id: mobile
    type: public
    first_party: true
    grant_types: [refresh_token, authorization_code]
    redirect_uris: ["com.example.app:/oauth/callback"]
    scopes: [openid, offline_access]
    audience: api
  - client_id: orders
    type: confidential
    client_secret: ${SECRET}
    grant_types: [client_credentials]
    scopes: ["orders:read"]
    audience: api
`;

describe('loadClientsFile', () => {
  it('has a file schema that is valid JSON Schema (the service skips this check at start)', () => {
    const ajv = new Ajv();
    expect(ajv.validateSchema(clientsFileSchema), ajv.errorsText()).toBe(true);
  });

  it('reads JSON and YAML alike, with defaults applied and secrets kept only as hashes', () => {
    const fromYaml = loadClientsFile(file('clients.yaml', YAML), hashSecret);
    const asJson = JSON.stringify({
      clients: [
        { client_id: 'mobile', type: 'public', first_party: true, grant_types: ['refresh_token', 'authorization_code'], redirect_uris: ['com.example.app:/oauth/callback'], scopes: ['openid', 'offline_access'], audience: 'api' },
        { client_id: 'orders', type: 'confidential', client_secret: SECRET, grant_types: ['client_credentials'], scopes: ['orders:read'], audience: 'api' },
      ],
    });
    expect(loadClientsFile(file('clients.json', asJson), hashSecret)).toEqual(fromYaml);
    expect(fromYaml).toEqual([
      { clientId: 'mobile', type: 'public', firstParty: true, grantTypes: ['refresh_token', 'authorization_code'], redirectUris: ['com.example.app:/oauth/callback'], scopes: ['openid', 'offline_access'], audience: 'api', postLogoutRedirectUris: [] },
      { clientId: 'orders', type: 'confidential', firstParty: false, grantTypes: ['client_credentials'], redirectUris: [], scopes: ['orders:read'], audience: 'api', secretHash: hashSecret(SECRET), postLogoutRedirectUris: [] },
    ]);
  });

  it('names the file and the entry for what it refuses, never echoing a secret', () => {
    expect(() => loadClientsFile(file('broken.yml', 'clients: [unclosed'), hashSecret)).toThrow(/broken\.yml is not valid YAML$/);
    expect(() => loadClientsFile(file('broken.json', '{'), hashSecret)).toThrow(/broken\.json is not valid JSON$/);
    const publicWithSecret = YAML.replace('type: public', `type: public\n    client_secret: ${SECRET}`);
    const refused = () => loadClientsFile(file('public-secret.yaml', publicWithSecret), hashSecret);
    expect(refused).toThrow(/clients\[0\] \(mobile\): entry violates the public\/confidential rules$/);
    try {
      refused();
    } catch (error) {
      expect((error as Error).message).not.toContain(SECRET);
    }
    const confidentialWithout = YAML.replace(`    client_secret: ${SECRET}\n`, '');
    expect(() => loadClientsFile(file('no-secret.yaml', confidentialWithout), hashSecret)).toThrow(/clients\[1\] \(orders\): entry must have required property 'client_secret'$/);
    const publicCredentials = YAML.replace('grant_types: [refresh_token, authorization_code]', 'grant_types: [client_credentials]');
    expect(() => loadClientsFile(file('public-cc.yaml', publicCredentials), hashSecret)).toThrow(/clients\[0\] \(mobile\): grant_types violates the public\/confidential rules$/);
    expect(() => loadClientsFile(file('twice.yaml', YAML.replace('client_id: orders', 'client_id: mobile')), hashSecret)).toThrow(/clients\[1\] \(mobile\) repeats a client_id$/);
  });

  it('reads per-client lifetimes, logout addresses and the token endpoint auth method', () => {
    const settings = YAML.replace(
      '    audience: api\n  - client_id: orders',
      '    audience: api\n    access_token_ttl_seconds: 1800\n    refresh_token_ttl_seconds: 5184000\n    refresh_idle_ttl_seconds: 604800\n' +
        '    post_logout_redirect_uris: ["com.example.app:/signed-out"]\n    token_endpoint_auth_method: none\n    require_dpop: true\n    require_mfa: true\n  - client_id: orders',
    );
    const [mobile, orders] = loadClientsFile(file('settings.yaml', settings), hashSecret);
    expect(mobile).toMatchObject({
      accessTokenTtlSeconds: 1800,
      refreshTokenTtlSeconds: 5184000,
      refreshIdleTtlSeconds: 604800,
      postLogoutRedirectUris: ['com.example.app:/signed-out'],
      tokenEndpointAuthMethod: 'none',
      requireDpop: true,
      requireMfa: true,
    });
    // Unset, the service-wide defaults apply, and a confidential client may use either secret method.
    expect(orders?.accessTokenTtlSeconds).toBeUndefined();
    expect(orders?.tokenEndpointAuthMethod).toBeUndefined();
    expect(orders?.requireDpop).toBeUndefined();
    expect(orders?.requireMfa).toBeUndefined();
  });

  it('stops at start on a malformed per-client setting, naming the client', () => {
    const withSetting = (line: string, client = 'orders') =>
      client === 'orders' ? `${YAML}    ${line}\n` : YAML.replace('    audience: api\n  - client_id: orders', `    audience: api\n    ${line}\n  - client_id: orders`);
    const cases: [string, string, RegExp][] = [
      ['access_token_ttl_seconds: 10', 'orders', /clients\[1\] \(orders\): access_token_ttl_seconds must be >= 60$/],
      ['access_token_ttl_seconds: "1800"', 'orders', /clients\[1\] \(orders\): access_token_ttl_seconds must be integer$/],
      ['refresh_token_ttl_seconds: -1', 'mobile', /clients\[0\] \(mobile\): refresh_token_ttl_seconds must be >= 3600$/],
      ['refresh_idle_ttl_seconds: 1.5', 'mobile', /clients\[0\] \(mobile\): refresh_idle_ttl_seconds must be integer$/],
      ['post_logout_redirect_uris: "https://app.example/"', 'orders', /clients\[1\] \(orders\): post_logout_redirect_uris must be array$/],
      ['token_endpoint_auth_method: private_key_jwt', 'orders', /clients\[1\] \(orders\): token_endpoint_auth_method /],
      // A public client cannot authenticate with a secret, nor a confidential one without.
      ['token_endpoint_auth_method: client_secret_basic', 'mobile', /clients\[0\] \(mobile\): token_endpoint_auth_method violates the public\/confidential rules$/],
      ['token_endpoint_auth_method: none', 'orders', /clients\[1\] \(orders\): token_endpoint_auth_method/],
      ['require_dpop: "yes"', 'mobile', /clients\[0\] \(mobile\): require_dpop must be boolean$/],
      ['require_mfa: 1', 'orders', /clients\[1\] \(orders\): require_mfa must be boolean$/],
    ];
    for (const [line, client, message] of cases) {
      expect(() => loadClientsFile(file(`bad-${client}.yaml`, withSetting(line, client)), hashSecret), line).toThrow(message);
    }
  });
});
