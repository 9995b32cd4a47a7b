// Threat-intel list formats as the incumbents publish them (samples written in their shapes),
// detection from the content, bad lines named and never fatal, and the difference a refresh
// applies (planFeed), with the guard and other origins winning.

import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { Ban } from '../src/respond/ban-registry.ts';
import { detectFormat, parseFeed, splitCsv } from '../src/feeds/feed-formats.ts';
import { planFeed } from '../src/feeds/feed-import.ts';
import { feedSpecs } from '../src/feeds/feed-config.ts';
import { AllowList } from '../src/respond/allow-list.ts';
import { BanGuard } from '../src/respond/ban-guard.ts';
import { formatGoDuration, parseGoDuration } from '../src/util/go-duration.ts';

const FIREHOL = `#
# firehol_level1
#
# ipv4 hash:net ipset
#
# A firewall blacklist composed from IP lists, providing
# maximum protection with minimum false positives.
#
# Maintainer      : FireHOL
#
0.0.0.0/8
1.10.16.0/20
1.19.0.0/16
223.254.0.0/16
not-an-address
10.0.0.5/8
`;

const SPAMHAUS = `; Spamhaus DROP List 2024/06/11 - (c) 2024 The Spamhaus Project SLU
; https://www.spamhaus.org/drop/drop.txt
; Last-Modified: Tue, 11 Jun 2024 11:41:37 GMT
; Expires: Tue, 11 Jun 2024 13:13:59 GMT
1.10.16.0/20 ; SBL256894
1.19.0.0/16 ; SBL434604
`;

const SPAMHAUS_JSON = `{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}
{"cidr":"1.19.0.0/16","sblid":"SBL434604","rir":"apnic"}
{"type":"metadata","timestamp":1718106097,"size":76616,"records":2,"copyright":"(c) 2024 The Spamhaus Project SLU","terms":"https://www.spamhaus.org/drop/terms/"}
`;

const FEODO_TXT = `################################################################
# abuse.ch Feodo Tracker Botnet C2 IP Blocklist                #
# Last updated: 2024-06-11 11:07:27 UTC                        #
################################################################
#
# DstIP
50.16.16.211
162.243.103.246
# END 2 entries
`;

const FEODO_CSV = `################################################################
# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #
################################################################
#
# "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"
"2023-10-19 13:37:07","50.16.16.211","443","online","2024-06-11","QakBot"
"2023-11-02 17:03:45","162.243.103.246","8080","offline","2024-06-10","Emotet"
# END 2 entries
`;

const FEODO_JSON = `[
  {
    "ip_address": "50.16.16.211",
    "port": 443,
    "status": "online",
    "hostname": null,
    "as_number": 14618,
    "as_name": "AMAZON-AES",
    "country": "US",
    "first_seen": "2023-10-19 13:37:07",
    "last_online": "2024-06-11",
    "malware": "QakBot"
  },
  { "ip_address": "not-an-ip", "malware": "Emotet" }
]`;

const CROWDSEC_CSV = `duration,scope,value,type,reason
24h,ip,192.0.2.10,ban,ssh bf
1h,range,198.51.100.0/24,ban,scan
4h,ip,192.0.2.11,captcha,web
4h,country,CN,ban,geo
`;

const CROWDSEC_RAW = `id,source,ip,reason,action,country,as,events_count,expiration,simulated,alert_id
12,Ip:192.0.2.10,192.0.2.10,crowdsecurity/ssh-bf,ban,FR,12322 Free SAS,6,3h59m55.1s,false,5
`;

const CROWDSEC_JSON = `[{"value":"192.0.2.10","duration":"3h59m58s","scope":"Ip","type":"ban","reason":"manual"},{"value":"192.0.2.12","duration":"-1m"}]`;

const CROWDSEC_ALERTS = `[{"id":5,"scenario":"crowdsecurity/ssh-bf","decisions":[{"id":12,"origin":"crowdsec","scenario":"crowdsecurity/ssh-bf","scope":"Ip","type":"ban","value":"192.0.2.10","duration":"3h59m"}]}]`;

describe('formats', () => {
  test('FireHOL netset: comments skipped, bad lines counted and named by line, host bits refused', () => {
    const p = parseFeed(FIREHOL, 'auto', 'firehol_level1.netset');
    assert.equal(p.format, 'firehol');
    assert.deepEqual(p.entries.map((e) => [e.address, e.at]), [['0.0.0.0/8', 11], ['1.10.16.0/20', 12], ['1.19.0.0/16', 13], ['223.254.0.0/16', 14]]);
    assert.equal(p.bad.count, 2);
    assert.deepEqual(p.bad.first.map((b) => b.at), [15, 16]);
    assert.match(p.bad.first[1]!.why, /host bits are set/);
  });

  test('Spamhaus DROP text and JSON: the SBL id is the note', () => {
    const t = parseFeed(SPAMHAUS);
    assert.equal(t.format, 'spamhaus-drop');
    assert.deepEqual(t.entries.map((e) => [e.address, e.note]), [['1.10.16.0/20', 'SBL256894'], ['1.19.0.0/16', 'SBL434604']]);
    const j = parseFeed(SPAMHAUS_JSON);
    assert.equal(j.format, 'spamhaus-drop-json');
    assert.deepEqual(j.entries.map((e) => [e.address, e.note]), [['1.10.16.0/20', 'SBL256894'], ['1.19.0.0/16', 'SBL434604']]);
    assert.equal(j.bad.count, 0, 'the metadata line is not an entry');
  });

  test('abuse.ch Feodo: txt, csv (dst_ip column, malware note) and json', () => {
    const txt = parseFeed(FEODO_TXT);
    assert.equal(txt.format, 'feodo-txt');
    assert.deepEqual(txt.entries.map((e) => e.address), ['50.16.16.211', '162.243.103.246']);
    const csv = parseFeed(FEODO_CSV);
    assert.equal(csv.format, 'feodo-csv');
    assert.deepEqual(csv.entries.map((e) => [e.address, e.note]), [['50.16.16.211', 'QakBot'], ['162.243.103.246', 'Emotet']]);
    const json = parseFeed(FEODO_JSON);
    assert.equal(json.format, 'feodo-json');
    assert.equal(json.unit, 'entry');
    assert.deepEqual(json.entries.map((e) => e.address), ['50.16.16.211']);
    assert.deepEqual(json.bad.first.map((b) => b.at), [2]);
  });

  test('CrowdSec import CSV: durations kept, captcha and country scopes skipped with why', () => {
    const p = parseFeed(CROWDSEC_CSV);
    assert.equal(p.format, 'crowdsec-csv');
    assert.deepEqual(p.entries.map((e) => [e.address, e.ttlS, e.note]), [['192.0.2.10', 86400, 'ssh bf'], ['198.51.100.0/24', 3600, 'scan']]);
    assert.equal(p.skipped.count, 2);
    assert.match(p.skipped.first[0]!.why, /type captcha/);
    assert.match(p.skipped.first[1]!.why, /scope country/);
  });

  test('CrowdSec exports: `decisions list -o raw`, `-o json` (alerts), import JSON, the LAPI stream', () => {
    const raw = parseFeed(CROWDSEC_RAW);
    assert.equal(raw.format, 'crowdsec-csv');
    assert.deepEqual(raw.entries.map((e) => [e.address, e.ttlS]), [['192.0.2.10', 14395]]);
    const json = parseFeed(CROWDSEC_JSON);
    assert.equal(json.format, 'crowdsec-json');
    assert.deepEqual(json.entries.map((e) => [e.address, e.ttlS]), [['192.0.2.10', 14398]]);
    assert.match(json.skipped.first[0]!.why, /already over/);
    const alerts = parseFeed(CROWDSEC_ALERTS);
    assert.deepEqual(alerts.entries.map((e) => [e.address, e.ttlS, e.note]), [['192.0.2.10', 14340, 'crowdsecurity/ssh-bf']]);
    const stream = parseFeed(JSON.stringify({ new: [{ value: '2001:db8::/32', scope: 'Range', type: 'ban', duration: '1h' }], deleted: [] }));
    assert.deepEqual(stream.entries.map((e) => e.address), ['2001:db8::/32']);
  });

  test('plain lists, CRLF and a byte order mark; --format forces a reading', () => {
    const p = parseFeed('\ufeff192.0.2.1\r\n2001:db8::1 # note\r\n\r\n');
    assert.equal(p.format, 'plain');
    assert.deepEqual(p.entries.map((e) => e.address), ['192.0.2.1', '2001:db8::1']);
    assert.equal(parseFeed(SPAMHAUS, 'firehol').format, 'firehol');
    assert.equal(detectFormat('10.0.0.0/8\n', 'x.ipset'), 'firehol');
    assert.throws(() => parseFeed('[{"value": ', 'crowdsec-json'), { code: 'AI_ERR_FEED_FORMAT' });
  });

  test('CSV fields with quotes; Go durations both ways', () => {
    assert.deepEqual(splitCsv('"a,b","c""d",e,'), ['a,b', 'c"d', 'e', '']);
    assert.equal(parseGoDuration('3h59m58.5s'), 14398.5);
    assert.equal(parseGoDuration('-2m3s'), -123);
    assert.equal(parseGoDuration('500ms'), 0.5);
    assert.equal(parseGoDuration('4 hours'), null);
    assert.equal(formatGoDuration(14398), '3h59m58s');
    assert.equal(formatGoDuration(240), '4m0s');
    assert.equal(formatGoDuration(-65), '-1m5s');
  });
});

describe('the difference a refresh applies', () => {
  const guard = new BanGuard(new AllowList({ configured: ['192.0.2.99'] }));
  const T = 1_750_000_000_000;
  const feedBan = (address: string, at: number, ttl: number): Ban => ({ address, ttl, expiresAt: at + ttl * 1000, reason: 'x', detector: 'feed:f', origin: 'feed:f', score: 1, at, offence: 1 });

  test('new entries banned, gone ones lifted, fresh ones left, old ones extended; others and the guard win', () => {
    const entries = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.99', '127.0.0.1', '0.0.0.0/1', '192.0.2.1'].map((address, i) => ({ address, at: i + 1 }));
    const current: Ban[] = [
      feedBan('192.0.2.2', T - 1000, 3600), // fresh: unchanged
      feedBan('192.0.2.3', T - 3000_000, 3600), // past half its time: extended
      feedBan('192.0.2.50', T, 3600), // gone from the list: lifted
      { ...feedBan('192.0.2.4', T, 60), detector: 'operator', origin: undefined } as Ban, // an operator's: left alone
      feedBan('192.0.2.99', T, 3600), // now allow-listed: lifted
    ];
    const plan = planFeed({ name: 'f', entries, ttlS: 3600, current, guard, now: T });
    assert.deepEqual(plan.put.map((b) => b.address).sort(), ['192.0.2.1', '192.0.2.3']);
    assert.equal(plan.added, 1);
    assert.equal(plan.extended, 1);
    assert.equal(plan.unchanged, 1);
    assert.equal(plan.heldByOthers, 1);
    assert.equal(plan.duplicates, 1);
    assert.deepEqual(plan.remove.sort(), ['192.0.2.50', '192.0.2.99']);
    assert.equal(plan.refused.count, 3);
    assert.deepEqual(plan.refused.first.map((r) => r.text), ['192.0.2.99', '127.0.0.1', '0.0.0.0/1']);
    assert.ok(plan.put.every((b) => b.detector === 'feed:f' && b.origin === 'feed:f' && b.expiresAt === T + 3600_000));
  });

  test('feed settings: defaults, one of url or file, unique names', () => {
    assert.deepEqual(feedSpecs([{ name: 'a', file: '/x' }]), [{ name: 'a', url: null, file: '/x', format: 'auto', refreshS: 3600, ttlS: 10800, timeoutS: 30 }]);
    assert.throws(() => feedSpecs([{ name: 'a' }]), /exactly one of "url".*neither/);
    assert.throws(() => feedSpecs([{ name: 'a', file: '/x' }, { name: 'a', url: 'http://x' }]), /used by two feeds/);
    assert.throws(() => feedSpecs([{ name: 'a', file: '/x', refreshS: 600, ttlS: 300 }]), /shorter than its refreshS/);
  });
});
