// Records what @clerk/backend 3.25.0 answers for multi-domain requests
// (satellites, organization sync) into ../oracle.multi-domain.backend-3.25.0.json.
//
//   mkdir /tmp/rec && cd /tmp/rec && npm init -y && npm install @clerk/backend@3.25.0
//   NODE_PATH=/tmp/rec/node_modules node tests/conformance/record/multi-domain.mjs
//
// Networkless (jwtKey), with Date.now frozen at the fixtures' time. Scenarios
// where Clerk throws are recorded with `threw` (Express answers those 500).
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(process.env.NODE_PATH || process.cwd(), 'x.js'));
const { createClerkClient } = require('@clerk/backend');

const here = dirname(fileURLToPath(import.meta.url));
const conformance = join(here, '..');
const NOW = 1666648250000;
const jwtKey = readFileSync(join(conformance, 'signing-key.public.pem'), 'utf8');
const oracle = JSON.parse(readFileSync(join(conformance, 'oracle.authenticate-request.backend-3.25.0.json'), 'utf8'));
const v1 = readFileSync(join(conformance, 'session-token.valid.jwt'), 'utf8').trim();
const v2 = oracle.generatedTokens.v2; // org_1, slug acme, role admin

const PK_LIVE = 'pk_live_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA';
const PK_TEST = 'pk_test_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA';
const SUFFIX_LIVE = 'MqCvchyS';

const base = { jwtKey: 'signing-key.public.pem' };
const prodSat = { ...base, secretKey: 'sk_live_deadbeef', publishableKey: PK_LIVE, isSatellite: true, domain: 'satellite.example', signInUrl: 'https://primary.example/sign-in' };
const devSat = { ...base, secretKey: 'sk_test_deadbeef', publishableKey: PK_TEST, isSatellite: true, domain: 'satellite.dev', signInUrl: 'https://primary.dev/sign-in' };
const orgs = { organizationPatterns: ['/orgs/:slug', '/orgs/:slug/(.*)'], personalAccountPatterns: ['/me', '/me/(.*)'] };
const prodOrg = { ...base, secretKey: 'sk_live_deadbeef', publishableKey: PK_LIVE, organizationSyncOptions: orgs };
const devOrg = { ...base, secretKey: 'sk_test_deadbeef', publishableKey: PK_TEST, organizationSyncOptions: orgs };

const doc = { 'sec-fetch-dest': 'document' };
const req = (url, headers = {}, method = 'GET') => ({ method, url, headers: { host: new URL(url).host, 'user-agent': 'Mozilla/TestAgent', ...headers } });
const cookie = (c) => ({ cookie: c });

const cases = [
  // Satellites, production.
  ['satellite: prod, first visit, auto sync off -> signed out', req('http://satellite.example/path', doc), prodSat],
  ['satellite: prod, first visit, auto sync on -> handshake at clerk.<domain>', req('http://satellite.example/path', doc), { ...prodSat, satelliteAutoSync: true }],
  ['satellite: prod, __clerk_synced=true, no cookies -> signed out', req('http://satellite.example/path?__clerk_synced=true', { ...doc, ...cookie('__client_uat=0') }), { ...prodSat, satelliteAutoSync: true }],
  ['satellite: prod, suffixed cookies -> signed in', req('http://satellite.example/path', { ...doc, ...cookie(`__session_${SUFFIX_LIVE}=${v1}; __client_uat_${SUFFIX_LIVE}=1`) }), prodSat],
  ['satellite: prod, primary cookie un-suffixed, auto sync on -> handshake suffixed', req('http://satellite.example/path', { ...doc, ...cookie(`__session=${v1}; __client_uat=1`) }), { ...prodSat, satelliteAutoSync: true }],
  ['satellite: prod, primary cookie un-suffixed, auto sync off -> signed out', req('http://satellite.example/path', { ...doc, ...cookie(`__session=${v1}; __client_uat=1`) }), prodSat],
  ['satellite: prod, __clerk_synced=false, API request -> signed out', req('http://satellite.example/api?__clerk_synced=false', { accept: 'application/json' }), prodSat],
  ['satellite: prod, POST document -> signed out', req('http://satellite.example/form', doc, 'POST'), { ...prodSat, satelliteAutoSync: true }],
  ['satellite: prod, loop guard at 3 -> signed out', req('http://satellite.example/path', { ...doc, ...cookie('__clerk_redirect_count=3') }), { ...prodSat, satelliteAutoSync: true }],
  ['satellite: prod, proxyUrl instead of domain -> handshake at the proxy', req('http://satellite.example/path?__clerk_synced=false', doc), { ...prodSat, domain: undefined, proxyUrl: '/__clerk' }],
  ['satellite: prod, bearer token -> signed in', req('http://satellite.example/api', { authorization: `Bearer ${v1}` }), prodSat],
  ['satellite: prod, Origin is the sign-in origin -> Clerk throws', req('http://satellite.example/path', { ...doc, origin: 'https://primary.example' }), prodSat],
  // Satellites, development.
  ['satellite: dev, first visit, auto sync off -> signed out', req('http://satellite.dev/path', { ...doc, ...cookie('__clerk_db_jwt=deadbeef') }), devSat],
  ['satellite: dev, first visit, auto sync on -> to the sign-in URL', req('http://satellite.dev/path?x=1', { ...doc, ...cookie('__clerk_db_jwt=deadbeef') }), { ...devSat, satelliteAutoSync: true }],
  ['satellite: dev, back with __clerk_synced=true and a dev browser -> dev-browser-sync', req('http://satellite.dev/path?__clerk_synced=true&__clerk_db_jwt=dvb_1', doc), devSat],
  ['satellite: dev, cookies -> signed in', req('http://satellite.dev/path', { ...doc, ...cookie(`__session=${v1}; __client_uat=1; __clerk_db_jwt=deadbeef`) }), devSat],
  ['satellite: dev, loop guard at 3 -> signed out', req('http://satellite.dev/path?__clerk_synced=false', { ...doc, ...cookie('__clerk_db_jwt=deadbeef; __clerk_redirect_count=3') }), devSat],
  // The primary's side.
  ['primary: dev, responds to syncing satellite', req('http://primary.dev/sign-in?__clerk_redirect_url=http%3A%2F%2Fsatellite.dev%2Fpath%3F__clerk_synced%3Dfalse', { ...doc, ...cookie('__clerk_db_jwt=dvb_1') }), { ...base, secretKey: 'sk_test_deadbeef', publishableKey: PK_TEST }],
  ['primary: dev, relative __clerk_redirect_url -> Clerk throws', req('http://primary.dev/sign-in?__clerk_redirect_url=%2Fpath', { ...doc, ...cookie('__clerk_db_jwt=dvb_1') }), { ...base, secretKey: 'sk_test_deadbeef', publishableKey: PK_TEST }],
  ['primary: prod, cross-origin navigation from the satellite -> handshake', req('http://example.com/path', { ...doc, referer: 'https://satellite.example/', ...cookie(`__session=${v1}; __client_uat=1`) }), { ...base, secretKey: 'sk_live_deadbeef', publishableKey: PK_LIVE }],
  // Organization sync.
  ['org sync: path names the active organization -> signed in', req('http://example.com/orgs/acme', { ...doc, ...cookie(`__session=${v2}; __client_uat=1`) }), prodOrg],
  ['org sync: another organization -> handshake', req('http://example.com/orgs/globex/settings', { ...doc, ...cookie(`__session=${v2}; __client_uat=1`) }), prodOrg],
  ['org sync: another organization, API request -> signed in', req('http://example.com/orgs/globex', { accept: 'application/json', ...cookie(`__session=${v2}; __client_uat=1`) }), prodOrg],
  ['org sync: another organization past the loop guard -> signed in', req('http://example.com/orgs/globex', { ...doc, ...cookie(`__session=${v2}; __client_uat=1; __clerk_redirect_count=3`) }), prodOrg],
  ['org sync: personal account with an organization active -> handshake', req('http://example.com/me/profile', { ...doc, ...cookie(`__session=${v2}; __client_uat=1`) }), prodOrg],
  ['org sync: personal account, no organization -> signed in', req('http://example.com/me', { ...doc, ...cookie(`__session=${v1}; __client_uat=1`) }), prodOrg],
  ['org sync: case and trailing slash -> handshake with the slug as written', req('http://example.com/ORGS/Globex/', { ...doc, ...cookie(`__session=${v2}; __client_uat=1`) }), prodOrg],
  ['org sync: the slug is not decoded', req('http://example.com/orgs/a%20b', { ...doc, ...cookie(`__session=${v2}; __client_uat=1`) }), prodOrg],
  ['org sync: an unmatched path -> signed in', req('http://example.com/orgs', { ...doc, ...cookie(`__session=${v2}; __client_uat=1`) }), prodOrg],
  ['org sync: by id -> signed in', req('http://example.com/org/org_1', { ...doc, ...cookie(`__session=${v2}; __client_uat=1`) }), { ...prodOrg, organizationSyncOptions: { organizationPatterns: ['/org/:id'] } }],
  ['org sync: by id, another -> handshake', req('http://example.com/org/org_2', { ...doc, ...cookie(`__session=${v2}; __client_uat=1`) }), { ...prodOrg, organizationSyncOptions: { organizationPatterns: ['/org/:id'] } }],
  ['org sync: a dev handshake carries the organization', req('http://example.com/orgs/acme', doc), devOrg],
  ['org sync: bearer token on an org path -> signed in, no sync', req('http://example.com/orgs/globex', { ...doc, authorization: `Bearer ${v2}` }), prodOrg],
];

const realNow = Date.now;
const out = [];
for (const [name, request, options] of cases) {
  const opts = Object.fromEntries(Object.entries({ ...options, jwtKey }).filter(([, v]) => v !== undefined));
  const client = createClerkClient({ secretKey: opts.secretKey, publishableKey: opts.publishableKey, apiUrl: 'http://127.0.0.1:9', telemetry: { disabled: true } });
  Date.now = () => NOW;
  let result;
  try {
    const state = await client.authenticateRequest(new Request(request.url, { method: request.method, headers: request.headers }), { ...opts, acceptsToken: 'any' });
    const headers = [];
    state.headers.forEach((value, key) => { if (key !== 'set-cookie') headers.push([key, value]); });
    for (const c of state.headers.getSetCookie()) headers.push(['set-cookie', c]);
    headers.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let authObject = null;
    if (state.status !== 'handshake') {
      authObject = JSON.parse(JSON.stringify(state.toAuth(), (k, v) => (typeof v === 'function' ? undefined : v)));
    }
    result = { status: state.status, reason: state.reason, message: state.message, tokenType: state.tokenType, isAuthenticated: state.isAuthenticated, headers, toAuth: [{ options: null, authObject }] };
  } catch (e) {
    result = { threw: String(e && e.message ? e.message : e) };
  } finally {
    Date.now = realNow;
  }
  const recordedOptions = { ...options };
  out.push({ name, now_ms: NOW, request, options: recordedOptions, result, bapiRequests: [] });
}

writeFileSync(join(conformance, 'oracle.multi-domain.backend-3.25.0.json'), JSON.stringify({
  _recorded_with: '@clerk/backend@3.25.0 (npm) on node ' + process.version,
  _note: 'Recorded by tests/conformance/record/multi-domain.mjs: authenticateRequest with acceptsToken any, jwtKey (signing-key.public.pem), Date.now frozen. `threw`: Clerk threw (a 500 in Express).',
  cases: out,
}, null, 1) + '\n');
console.log(`${out.length} scenarios recorded`);
