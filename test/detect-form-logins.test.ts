// Brute force against web login forms (form-logins.ts): the rule's configuration, and the rule
// on hand-built client sides of HTTP connections (the request lines a client's shard reads).
// The crafted captures of the class (hydra, Burp, wpscan, the look-alikes) are in
// detect-rules-captures.test.ts.

import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { ACK, FIN, PSH, SYN, batchOf, type Pkt } from '../devkit/packets.ts';
import { RulesConfigError, resolveRulesConfig, type RulesOverrides } from '../src/detect/rules/rules-config.ts';
import { SourceRules } from '../src/detect/rules/source-rules.ts';

const SRV = '10.0.0.80';
const CLIENT = '10.0.0.1';

/**
 * The client's side of one connection: SYN, its ACK of the SYN-ACK, one segment per request
 * (`gap` s apart, each 300 bytes long: a request line and its headers), FIN. `verified`: the
 * session verifier saw the client complete the handshake (its segments are ESTABLISHED).
 */
function conn(cp: number, t: number, requests: string[], opts: { client?: string; server?: string; gap?: number; verified?: boolean; dp?: number } = {}): Pkt[] {
  const client = opts.client ?? CLIENT, server = opts.server ?? SRV, gap = opts.gap ?? 0.01, verified = opts.verified ?? true;
  const dp = opts.dp ?? 80;
  const seg = (dt: number, flags: number, seq: number, head?: string): Pkt => ({ ts: t + dt, src: client, dst: server, sp: cp, dp, flags, seq, payload: head ? 300 : 0, head, verified: verified && flags !== SYN });
  const pkts = [seg(0, SYN, 1000), seg(0.001, ACK, 1001)];
  requests.forEach((r, k) => pkts.push(seg(0.002 + k * gap, ACK | PSH, 1001 + 300 * k, r)));
  pkts.push(seg(0.003 + requests.length * gap, FIN | ACK, 1001 + 300 * requests.length));
  return pkts;
}

const POST = (path: string) => `POST ${path} HTTP/1.0\r\n`;
const GET = (path: string) => `GET ${path} HTTP/1.1\r\n`;

/** `n` connections of one request each, `every` s apart (hydra: a connection per guess). */
const oneEach = (n: number, request: string, t = 1, every = 0.01, opts: { client?: string; server?: string; verified?: boolean } = {}) =>
  Array.from({ length: n }, (_, k) => conn(30000 + k, t + k * every, [request], opts)).flat();

function run(sr: SourceRules, pkts: Pkt[]): Alert[] {
  const out: Alert[] = [];
  sr.scan(batchOf(pkts.sort((a, b) => a.ts - b.ts)), out);
  return out;
}

const cfg = (o: RulesOverrides['formLogin'] = {}) => resolveRulesConfig({ formLogin: o });
const formAlerts = (alerts: Alert[]) => alerts.filter((a) => a.type === 'brute-force');

describe('formLogin configuration', () => {
  const bad: Array<[string, RulesOverrides]> = [
    ['formLogin.paths', { formLogin: { paths: ['login'] } }],
    ['formLogin.paths', { formLogin: { paths: ['/'] } }],
    ['formLogin.paths', { formLogin: { paths: ['/a b'] } }],
    ['formLogin.paths', { formLogin: { paths: ['/login', '/LOGIN'] } }],
    ['formLogin.paths', { formLogin: { paths: Array.from({ length: 25 }, (_, k) => `/p${k}`) } }],
    ['formLogin.getPaths', { formLogin: { getPaths: Array.from({ length: 9 }, (_, k) => `/p${k}`) } }],
    ['formLogin.getPaths', { formLogin: { getPaths: [7] as unknown as string[] } }],
    ['formLogin.otherRequestCredit', { formLogin: { otherRequestCredit: -0.5 } }],
    ['formLogin.threshold', { formLogin: { threshold: 0 } }],
    ['formLogin.leakPerS', { formLogin: { leakPerS: 0 } }],
    ['formLogin.enabled', { formLogin: { enabled: 'yes' as unknown as boolean } }],
    ['formLogin.statuses', { formLogin: { statuses: [200] } as never }],
  ];
  for (const [field, overrides] of bad) {
    test(`refuses ${JSON.stringify(overrides)} naming ${field}`, () => {
      assert.throws(() => resolveRulesConfig(overrides), (err: unknown) => err instanceof RulesConfigError && err.field === field);
    });
  }
});

describe('form-login brute force rule', () => {
  test('hydra http-post-form (a connection per guess): alerted at the 10th POST to the login path, naming the client and the server, blockable, service http-form; 9 are not', () => {
    const sr = new SourceRules(cfg());
    assert.deepEqual(formAlerts(run(sr, oneEach(9, POST('/login.php'), 1, 0.02))), []);
    const out = run(sr, conn(40000, 1.5, [POST('/login.php')]));
    assert.equal(out.length, 1);
    const a = out[0]!;
    assert.equal(a.type, 'brute-force');
    assert.equal(a.source, CLIENT);
    assert.equal(a.target, SRV);
    assert.equal(a.blockable, true);
    assert.equal(a.evidence.service, 'http-form');
    assert.equal(a.evidence.attempts, 10);
    assert.equal(a.evidence.connections, 10);
    assert.equal(a.evidence.otherRequests, 0);
    assert.equal(a.evidence.paths, '/login');
    assert.equal(a.evidence.method, 'POST');
    assert.equal(a.evidence.port, 80);
    assert.equal(a.evidence.threshold, 10);
    assert.ok(a.score >= 0.5 && a.score <= 1);
  });

  test('keep-alive (Burp Intruder): every POST on one connection counts, the connection once', () => {
    const out = formAlerts(run(new SourceRules(cfg()), conn(40000, 1, Array(30).fill(POST('/wp-login.php')), { gap: 0.005 })));
    assert.equal(out.length, 1, 'one alert, then the cooldown');
    assert.equal(out[0]!.evidence.attempts, 10);
    assert.equal(out[0]!.evidence.connections, 1);
    assert.equal(out[0]!.evidence.paths, '/wp-login.php');
  });

  test('any port: the request line says HTTP, not the port', () => {
    const out = formAlerts(run(new SourceRules(cfg()), conn(40000, 1, Array(10).fill(POST('/user/login')), { dp: 8081 })));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.evidence.port, 8081);
  });

  test('a login request seen twice (retransmitted, or mirrored twice by the capture) counts once: 6 logins, each sent twice, stay below 10', () => {
    const twice = (pkts: Pkt[]) => pkts.flatMap((p) => (p.head ? [p, { ...p, ts: p.ts + 0.0002 }] : [p]));
    const person = twice(oneEach(6, POST('/wp-login.php'), 1, 1));
    assert.deepEqual(formAlerts(run(new SourceRules(cfg()), person)), []);
    assert.equal(formAlerts(run(new SourceRules(cfg()), twice(oneEach(10, POST('/wp-login.php'), 1, 0.01)))).length, 1, 'ten logins still fire');
  });

  test('only requests on connections the client completed count (a forged or unverified one counts nothing)', () => {
    assert.deepEqual(formAlerts(run(new SourceRules(cfg()), oneEach(50, POST('/login'), 1, 0.01, { verified: false }))), []);
  });

  test('what is not a login request never counts: POSTs elsewhere (an API client posting constantly), GETs of the login page, a token refresh, bodies, other protocols', () => {
    const pkts = [
      ...conn(40000, 1, Array(200).fill(POST('/api/v1/events')), { gap: 0.01 }),
      ...conn(40001, 1, Array(50).fill(GET('/login')), { gap: 0.01 }),
      ...conn(40002, 1, Array(50).fill(POST('/auth/refresh')), { gap: 0.01 }),
      ...conn(40003, 1, Array(50).fill('username=admin&password=x'), { gap: 0.01 }),
      ...conn(40004, 1, Array(50).fill(POST('/wp-admin/admin-ajax.php')), { gap: 0.01 }),
      ...conn(40005, 1, Array(50).fill('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'), { gap: 0.01 }),
    ];
    assert.deepEqual(formAlerts(run(new SourceRules(cfg()), pkts)), []);
  });

  test('the leak: a login POST every 10 s for 10 minutes never fills it; every 5 s does', () => {
    assert.deepEqual(formAlerts(run(new SourceRules(cfg()), oneEach(60, POST('/login'), 1, 10.05))), []);
    assert.equal(formAlerts(run(new SourceRules(cfg()), oneEach(60, POST('/login'), 1, 5))).length, 1);
  });

  test('a person who mistypes four times and logs in, a password manager filling once: no alert', () => {
    const person = oneEach(5, POST('/wp-login.php'), 1, 4);
    const manager = conn(41000, 100, [POST('/wp-login.php')], { client: '10.0.0.2' });
    assert.deepEqual(formAlerts(run(new SourceRules(cfg()), [...person, ...manager])), []);
  });

  test("other requests take logins back: a NAT's users, each logging in and loading a few pages, never fill it; without the credit they do", () => {
    // 60 users behind one address, one login every 2 s, each followed by 4 requests of the page it leads to
    const nat = Array.from({ length: 60 }, (_, k) => conn(30000 + k, 1 + k * 2, [POST('/login'), GET('/dashboard'), GET('/api/me'), GET('/static/app.js'), GET('/api/items')], { gap: 0.2 })).flat();
    assert.deepEqual(formAlerts(run(new SourceRules(cfg()), nat)), []);
    assert.equal(formAlerts(run(new SourceRules(cfg({ otherRequestCredit: 0 })), nat)).length, 1);
  });

  test('a guesser fetching a page per guess (hydra C=) is still alerted: half a unit a guess', () => {
    const out = formAlerts(run(new SourceRules(cfg()), Array.from({ length: 40 }, (_, k) => conn(30000 + k, 1 + k * 0.02, [GET('/index.php'), POST('/login.php')])).flat()));
    assert.equal(out.length, 1);
    // the first page comes before the pair has an entry; then +1 - 0.5 a guess: 1 + 18 × 0.5 = 10
    assert.equal(out[0]!.evidence.attempts, 19);
    assert.equal(out[0]!.evidence.otherRequests, 18);
  });

  test('credit is banked only up to the threshold: pages fetched first buy at most 10 guesses', () => {
    const first = conn(29999, 0.5, [POST('/login')]); // the entry
    const browse = conn(30000, 0.6, Array(400).fill(GET('/page')), { gap: 0.001 });
    const guesses = oneEach(30, POST('/login'), 1.2, 0.005);
    const out = formAlerts(run(new SourceRules(cfg()), [...first, ...browse, ...guesses]));
    assert.equal(out.length, 1);
    assert.ok((out[0]!.evidence.attempts as number) <= 1 + 20 + 1, `${out[0]!.evidence.attempts} attempts before the alert`);
  });

  test('per (client, server): guesses spread over two servers fill neither, two clients share nothing', () => {
    const a = oneEach(8, POST('/login'), 1, 0.01, { server: '10.0.0.81' });
    const b = oneEach(8, POST('/login'), 1, 0.01, { server: '10.0.0.82' });
    const c = oneEach(8, POST('/login'), 1, 0.01, { client: '10.0.0.9', server: '10.0.0.81' });
    assert.deepEqual(formAlerts(run(new SourceRules(cfg()), [...a, ...b, ...c])), []);
  });

  test('GET forms count only for getPaths, and only with a query', () => {
    const guesses = oneEach(20, GET('/login.php?user=admin&pass=x'), 1, 0.01);
    assert.deepEqual(formAlerts(run(new SourceRules(cfg()), guesses)), [], 'none by default: ?next= redirects look the same');
    const out = formAlerts(run(new SourceRules(cfg({ getPaths: ['/login.php'] })), guesses));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.evidence.method, 'GET');
    assert.equal(out[0]!.evidence.paths, '/login.php');
    assert.deepEqual(formAlerts(run(new SourceRules(cfg({ getPaths: ['/login.php'] })), oneEach(20, GET('/login.php HTTP/1.1'), 1, 0.01))), [], 'the form page itself');
  });

  test('each getPath is tried: the first one the target starts with may not be the one with the query', () => {
    // "/login" and "/login.php" both start "/login.php?user=": the query follows the second
    const guesses = oneEach(20, GET('/login.php?user=admin&pass=x'), 1, 0.01);
    const out = formAlerts(run(new SourceRules(cfg({ getPaths: ['/login', '/login.php'] })), guesses));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.evidence.method, 'GET');
    assert.equal(out[0]!.evidence.paths, '/login.php');
  });

  test('disabled: nothing', () => {
    assert.deepEqual(formAlerts(run(new SourceRules(cfg({ enabled: false })), oneEach(50, POST('/login'), 1, 0.01))), []);
  });
});
