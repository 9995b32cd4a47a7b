// Every threshold of the rule detectors, in one plain JSON-able object (numbers, number
// arrays, booleans), and the check that refuses a bad one before any packet is seen.
//
// Buckets follow CrowdSec: a bucket holds `threshold` units and leaks one unit every
// 1/leakPerS seconds of capture time (CrowdSec's `leakspeed` is 1/leakPerS); the pour that
// brings it to `threshold` overflows it and makes the alert. Windows follow fail2ban:
// `maxretry` events within `findtimeS` seconds. After an alert, the same rule stays quiet
// for that key during `cooldownS` (see leaky-bucket.ts).
//
// Every default is set from public practice (fail2ban's and CrowdSec's defaults, Zeek's and
// Suricata's, the RFCs, the stacks' own timers), not from any capture; the reason is next
// to each. test/detect-rules-captures.test.ts checks them on real and crafted captures.

import { AutoimmuneError } from '../../errors.ts';

/** A CrowdSec-style leaky bucket. */
export interface BucketConfig {
  /** Units (events, ports, hosts, packets) at which the bucket overflows. */
  threshold: number;
  /** Units leaking out per second of capture time (one unit every 1/leakPerS seconds). */
  leakPerS: number;
}

export interface RulesConfig {
  /** Seconds of capture time during which a rule that fired for a key does not fire again for it. */
  cooldownS: number;

  /**
   * Many destination ports on one host from one source. Counts connection openers only (TCP
   * without ACK and without RST: SYN, FIN, NULL, Xmas...; with `countUdp`, UDP to a new
   * socket from a non-privileged source port), so a server answering a client's many
   * ephemeral ports never counts.
   */
  verticalScan: BucketConfig & {
    enabled: boolean;
    /** Count UDP destination ports as well (as a separate port space). */
    countUdp: boolean;
    /** Count the IP protocols other than TCP, UDP and ICMP a source sends to a host (a space of their own): nmap -sO. */
    countIpProtocols: boolean;
    /** Count SCTP destination ports (a space of their own) at the chunks that open an association: nmap -sY and -sZ. */
    countSctp: boolean;
    /**
     * fail2ban-style burst: this many NEW distinct ports within `burstFindtimeS` fires at
     * once. Scanners send probes back to back; a client touching several services of a
     * host (mail, a domain controller) does it step by step, a round trip or more apart.
     * 0 disables the burst test.
     */
    burstMaxretry: number;
    /** Seconds. */
    burstFindtimeS: number;
    /**
     * The slow scan, Zeek's way: distinct TCP ports of the host whose handshake the source
     * never completed (refused or unanswered), a bucket of this many (0: off)...
     */
    unansweredThreshold: number;
    /** ...leaking this many ports per second. */
    unansweredLeakPerS: number;
  };

  /**
   * One destination port on many hosts from one source (also ICMP echo sweeps). Browsers
   * reach dozens of hosts on 443 loading one page (21 hosts on port 80 within 10 s in
   * D01), so the threshold is well above that.
   */
  horizontalScan: BucketConfig & {
    enabled: boolean;
    /** Count UDP destination ports as well (as a separate port space), from non-privileged source ports. */
    countUdp: boolean;
    /** UDP ports a client ordinarily spreads over many servers (a recursive resolver, an NTP pool client): not counted. */
    exemptUdpPorts: number[];
    /** Count ARP requests for other hosts as well (a space of their own): a sweep of the local network by ARP (nmap -sn, arp-scan, netdiscover). */
    countArp: boolean;
    /**
     * The slow sweep, Zeek's way: distinct hosts on one TCP port whose handshake the source
     * never completed (refused or unanswered), a bucket of this many (0: off)...
     */
    unansweredThreshold: number;
    /** ...leaking this many hosts per second. */
    unansweredLeakPerS: number;
    /**
     * First contacts that went through (a verified handshake with a host new to the key, then
     * the source's own bytes to it) each set against one failed attempt of the slow bucket,
     * banked up to this many (0: off).
     */
    exchangeCredit: number;
  };

  /**
   * Packets no ordinary TCP/IP stack sends, and well-known scanner signatures (see
   * probe-signatures.ts). One odd packet can be a glitch; `threshold` of them from one
   * source is a scanner.
   */
  scanProbe: BucketConfig & {
    enabled: boolean;
    /** TCP windows of nmap's raw SYN probe (ET SCAN NMAP -sS window 1024 and siblings). */
    nmapSynWindows: number[];
    /** A SYN offering a window at or below this many bytes is an OS-detection probe (nmap's SEQ/ECN probes use 1..63). */
    osProbeMaxSynWindow: number;
    /** Count connect probes: a handshake the client completes and then resets without sending a byte. */
    connectAbort: boolean;
    /** Seconds: a connect probe's reset comes within this time of its SYN. */
    connectAbortMaxS: number;
    /** Seconds: connect probes count when two reach one host within this time of each other. */
    connectAbortRepeatS: number;
    /** Count them only when one of the two overlapped another empty attempt of the source on the host (a scanner's parallel probes). */
    connectAbortOverlap: boolean;
    /** Count ICMP probes (empty echo, echo with a non-zero code, timestamp/info/mask requests). */
    icmpProbes: boolean;
  };

  /**
   * Brute force: repeated failed logins, read from the server's replies (login-sessions.ts):
   * services are known by what they say (an SSH banner, FTP/SMTP/POP3/IMAP greetings,
   * Telnet negotiation) on any port; failures are FTP 530, SMTP 535, POP3 -ERR, IMAP NO,
   * Telnet's "Login incorrect", and for SSH the sizes of the server's encrypted replies, as
   * Zeek's SSH analyzer reads them. Keyed by client, as fail2ban and CrowdSec key by source.
   */
  bruteForce: {
    enabled: boolean;
    /** Failed logins within `findtimeS` that fire (fail2ban's maxretry). */
    maxretry: number;
    /** Seconds (fail2ban's findtime). */
    findtimeS: number;
    /** Failed logins answered within `burstFindtimeS` that fire at once (sessions guessing in parallel). */
    burstMaxretry: number;
    /** Seconds. */
    burstFindtimeS: number;
    /** A successful login of the client forgives its failures before it. */
    successForgives: boolean;
    /** Seconds: an SSH failure answered sooner than this after the server's previous segment is a refused key, not a guess (login-sessions.ts). */
    throttleS: number;
    /** SSH sessions past the key exchange that end with no outcome read, and RDP NLA sessions that end before a desktop (login-sessions.ts): a bucket of this many... */
    undecidedThreshold: number;
    /** ...leaking this many sessions per second. */
    undecidedLeakPerS: number;
    /** HTTP 401/407 answers to one client: a bucket of this many... */
    httpDeniedThreshold: number;
    /** ...leaking this many answers per second. */
    httpDeniedLeakPerS: number;
  };

  /**
   * HTTP probing (nikto, dirb, gobuster, ffuf): error answers a plain-HTTP server sends one
   * client, read from the status lines of the server's segments (http-errors.ts), keyed by
   * (client, server) as CrowdSec's http-probing groups by source and site. Units: error
   * answers (`statuses`); every success answer (2xx, 3xx) takes `successCredit` units back.
   */
  httpProbing: BucketConfig & {
    enabled: boolean;
    /** Status codes that count as errors (400-599, at most 16). */
    statuses: number[];
    /** Units a 2xx or 3xx answer takes back out of the bucket (0: none). */
    successCredit: number;
  };

  /**
   * Brute force against web login forms (form-logins.ts): a client's requests to a login
   * path, read from its request lines in its own shard, on connections it completed, keyed by
   * (client, server). Units: login requests (POSTs to `paths`, GETs with a query to
   * `getPaths`); every other request of the client to the server takes `otherRequestCredit`
   * back (banked up to `threshold`).
   */
  formLogin: BucketConfig & {
    enabled: boolean;
    /** Target prefixes a POST to is a login attempt (at most 24, each "/..." of 2 to 64 visible ASCII bytes; letters compare without case). */
    paths: string[];
    /** Target prefixes a GET with a query to is a login attempt (a form with method="get"; at most 8); none by default. */
    getPaths: string[];
    /** Units any other request of the client to the server takes back (0: none). */
    otherRequestCredit: number;
  };

  /**
   * HTTP floods from one client at one server (http-flood.ts), read from the client's own
   * segments on connections the session verifier saw it complete: request lines (`threshold`,
   * `leakPerS`: requests, keep-alive or not) and connections that carry one
   * (`connectionThreshold`, `connectionLeakPerS`: Hulk, GoldenEye, LOIC and HOIC open one
   * connection per request).
   */
  httpFlood: BucketConfig & {
    enabled: boolean;
    /** Connections opened to the server that carry a request: a bucket of this many... */
    connectionThreshold: number;
    /** ...leaking this many connections per second. */
    connectionLeakPerS: number;
  };

  /**
   * Connection floods from one client at one server, any service (connection-flood.ts):
   * completed connections that open with a TLS ClientHello or that the client closes
   * without sending a byte. A bucket of `threshold` connections leaking `leakPerS`.
   */
  connectionFlood: BucketConfig & { enabled: boolean };

  /** QUIC clients' first Initials from one source to one host that answer nothing (quic-initial.ts, pair-flood.ts), units: Initials. */
  quicInitialFlood: BucketConfig & { enabled: boolean };

  /**
   * Slow HTTP (slowloris, slowhttptest's slow headers and slow body) from one client at one
   * server (http-flood.ts): connections whose request the client trickles, a small segment
   * after a long pause. `threshold` such connections within `windowS` fire.
   */
  slowHttp: {
    enabled: boolean;
    /** Trickling connections (each counted once per `windowS`) that fire. */
    threshold: number;
    /** Seconds: the bucket leaks `threshold` connections per `windowS`. */
    windowS: number;
    /** Seconds: a segment of an unfinished request this long after the client's previous one on the connection is a trickle... */
    gapS: number;
    /** ...when it carries fewer bytes than this rate (bytes per second) over that pause. */
    minRateBps: number;
    /** Bytes: a client window held below this for `gapS` after its request reads slowly (slow read). */
    minWindowBytes: number;
  };

  /**
   * SYNs from one source whose handshakes the source never completes (a SYN flooder that
   * does not spoof). Each completed handshake takes a unit back out.
   */
  halfOpen: BucketConfig & { enabled: boolean };

  /**
   * UDP datagrams from one source to one host:port that nothing answers (unanswered-udp.ts:
   * neither answered by the host from that port nor an answer themselves), units: datagrams.
   */
  unansweredUdp: BucketConfig & { enabled: boolean };

  /** SNMP v1/v2c requests from one source to one agent that it leaves unanswered (unanswered-udp.ts `snmpRequest`), units: requests. */
  snmpGuessing: BucketConfig & { enabled: boolean };

  /** ICMP and ICMPv6 messages but echo replies and the link's own from one source to one host (pair-flood.ts), units: packets (a fragmented message's later fragments count as its first did). */
  icmpSourceFlood: BucketConfig & { enabled: boolean };

  /** Segments with ACK of no connection that one host refuses with a bare RST to one client (pair-flood.ts), units: RSTs. */
  refusedFlood: BucketConfig & { enabled: boolean };

  /** Bare RSTs of no connection that refuse nothing seen (not REFUSAL) from one source to one host (pair-flood.ts), units: RSTs. */
  rstSourceFlood: BucketConfig & { enabled: boolean };

  /** SYNs toward one victim, less the handshakes completed toward it (units: packets). */
  /** QUIC clients' first Initials toward one victim, less the clients' long-header datagrams answering it (units: Initials). */
  quicFlood: BucketConfig & { enabled: boolean; minSources: number };

  synFlood: BucketConfig & {
    enabled: boolean;
    /** Distinct sources (estimated) needed: one source is the source rules' business. */
    minSources: number;
  };

  /**
   * Reflection and amplification by behaviour, from any source port: large UDP datagrams
   * (and IP fragments after the first) toward one victim, less the datagrams it sent,
   * gated on the sources it never sent to (unsolicited ones). Units: packets.
   */
  udpAmplification: BucketConfig & {
    enabled: boolean;
    /** Distinct unsolicited sources (estimated) needed. */
    minSources: number;
    /** Bytes of UDP payload from which a datagram counts as an amplified answer (and is no scan probe). */
    minPayload: number;
    /**
     * Lowest ephemeral port: a datagram from this port or above to one of `reportPorts`
     * comes from a client's socket to a collector (a one-way report) and is no reflected
     * answer, unless its source port is a known amplifier's (udp-port-roles.ts).
     * 65536: every large datagram counts, whatever its ports.
     */
    clientPortMin: number;
    /** The ports one-way reports are sent to (collectors: syslog, SNMP traps, flow export, GELF, statsd). */
    reportPorts: number[];
  };

  /**
   * Small UDP datagrams (under udpAmplification.minPayload bytes of payload) toward one
   * victim, but for answers to its own datagrams, less the datagrams it sent in answer
   * (UDP_REPLY, udp-exchanges.ts): a flood of empty datagrams to random ports from forged
   * sources (units: packets). A server answering its queries (DNS, NTP, QUIC, games)
   * cancels them out; a client's own requests do not.
   */
  udpFlood: BucketConfig & { enabled: boolean; minSources: number };

  /** SYN-ACKs toward one victim, less the handshakes it completed as a client (units: packets). */
  tcpReflection: BucketConfig & { enabled: boolean; minSources: number };

  /**
   * TCP segments without SYN toward one victim that belong to no connection the node
   * follows, counted once per 4-tuple: an ACK or RST flood from forged sources (units: packets).
   */
  tcpFlood: BucketConfig & { enabled: boolean; minSources: number };

  /** ICMP toward one victim (neighbour discovery and multicast listener messages excluded), less the echo requests it sent (units: packets). */
  icmpFlood: BucketConfig & { enabled: boolean; minSources: number };

  /**
   * Packets of IP protocols other than TCP, UDP and ICMP (GRE, ESP, IP-in-IP, raw IP) toward
   * one victim, less those it sent, from sources it never sent such packets to (units: packets).
   */
  ipFlood: BucketConfig & { enabled: boolean; minSources: number };

  /**
   * Carpet bombing: the victim rules above (their numbers) also over the sum of every host of
   * a prefix, gated on the hosts that received more than they answered (victim-rules.ts).
   */
  carpetBombing: {
    enabled: boolean;
    /** Prefix length over which IPv4 hosts are summed (0-32). */
    prefixV4: number;
    /** Prefix length over which IPv6 hosts are summed (0-128). */
    prefixV6: number;
    /** Distinct hosts of the prefix (estimated) that must have received more than they answered. */
    minHosts: number;
  };
}

export const DEFAULT_RULES: RulesConfig = {
  // CrowdSec's `blackhole` (1 min for ssh-bf and iptables-scan, 5 min for its HTTP
  // scenarios): once a key overflowed it is not reported again meanwhile. The responder's ban
  // (fail2ban's bantime, 10 min) outlasts it, and a ban in force is the same offence anyway.
  cooldownS: 300,
  // CrowdSec's iptables-scan-multi_ports: capacity 15 distinct destination ports, leakspeed
  // 5 s; Zeek's port_scan_threshold is 15 unique ports too (scan.zeek, over 5 min, failed
  // connections only). The burst: a client reaches a host's services one after another, a
  // round trip or more apart, while a scanner sends its probes back to back (nmap keeps at
  // least 10 in flight at -T3/-T4, masscan sends at line rate): 5 new ports within 50 ms,
  // less those whose handshake the source completed meanwhile (a monitor checking a host's
  // services in parallel; a SYN scan never completes one, a connect scan only its few open
  // ports).
  // IP protocols: a host speaks TCP, UDP, ICMP and a few more (IGMP, GRE, ESP, AH, OSPF,
  // VRRP, SCTP, IPv6 in IPv4); nmap -sO tries all 256 (its -F, 100), so the same 15 distinct
  // values (or 5 new ones back to back) that make a port scan make a protocol scan.
  // The slow scan: at one port every 15 s (nmap -T1) the bucket above leaks three times as
  // fast as it fills and never overflows, nor does the burst. Zeek's scan.zeek counts only
  // the attempts that failed (rejected or unanswered): port_scan_threshold 15 ports within
  // port_scan_interval 5 min. So: 15 distinct TCP ports of one host, leaking 15 per 5 min
  // (as the slow sweep below), each poured at its opener and taken back when the source
  // completes the handshake. Any pace faster than one failed port every 20 s fills it
  // (-T1: after about 60 ports, 15 minutes); a client whose connections complete (FTP's
  // passive data ports, a monitor) never does, nor a port knock of a few closed ports.
  // SCTP (countSctp) opens an association with an INIT chunk as TCP does with a SYN (RFC 9260
  // §5.1); its users (Diameter 3868, SIGTRAN's M3UA 2905, S1AP 36412, NGAP 38412) hold one
  // long association per peer on one port, so the same numbers hold.
  verticalScan: { enabled: true, threshold: 15, leakPerS: 0.2, countUdp: true, countIpProtocols: true, countSctp: true, burstMaxretry: 5, burstFindtimeS: 0.05, unansweredThreshold: 15, unansweredLeakPerS: 15 / 300 },
  // Zeek's addr_scan_threshold is 25 unique hosts over 5 min, counting failed connections
  // only; here every opener counts, and a browser reaches dozens of hosts on 443 for one
  // page (its third-party content), so 4 times Zeek's, one host forgiven a second. DNS and
  // NTP clients spread over many servers by design (a recursive resolver asks many
  // authorities; an NTP client polls 4 or more pool servers and rotates them), and so do
  // QUIC clients on UDP 443 (RFC 9000, HTTP/3), as browsers do on
  // TCP 443. On TCP, a host counts until the source completes a handshake with it and
  // sends data (Zeek counts failed attempts only): a NAT gateway of a few hundred users
  // reaches dozens of new web servers a second, and talks to nearly every one.
  // (A host counts as answered once the source sends data to it: a connect() that closes
  // without a word, nc -z or a connect scan, stays unanswered.)
  // The slow sweep: at one host a second (nmap --scan-delay 1s, -T2 waits 0.4 s) the bucket
  // above leaks as fast as it fills and never overflows. Zeek's scan.zeek counts only the
  // attempts that failed (rejected or unanswered): addr_scan_threshold 25 hosts within
  // addr_scan_interval 5 min. So: 25 distinct hosts on one TCP port, leaking 25 per 5 min,
  // each poured at its SYN and taken back when the source completes a handshake on that
  // port. A browser or a NAT gateway completes nearly every connection it opens; a sweep of
  // a /24 meets mostly absent hosts and closed ports.
  // ARP (countArp): on a local Ethernet, nmap's host discovery is ARP requests only (its
  // manual, "-PR ARP Ping": the default for targets on the scanner's own Ethernet, even under
  // -sn), and arp-scan and netdiscover sweep the same way. A host asks for the neighbours it
  // is about to send to (RFC 826), a few distinct ones a minute; the same 100 distinct hosts
  // leaking one a second apply. An RFC 5227 probe (sender 0.0.0.0) and an announcement or
  // gratuitous ARP (sender = target) ask for no other host and are not counted. A router
  // forwarding a sweep of its LAN resolves every swept address: this node's own gateways are
  // protected (the guard); another router of the network belongs in responder.allow.
  // exchangeCredit: the hosts a monitor or an automation host reaches are the operator's, and
  // some are always down: Prometheus scraping 200 node exporters every 15 s with 30 of them
  // stopped or powered off, Ansible's play over 300 hosts of which 36 are unreachable, an
  // outbound mail relay whose newsletter meets dead MX hosts. Each made 25 failed hosts
  // within seconds (session 18's hunt18 captures: both were banned). Zeek's count has no
  // answer to that (its scan notices are notices, not bans); the threshold random walk does
  // (Jung, Paxson, Berger, Balakrishnan, "Fast Portscan Detection Using Sequential Hypothesis
  // Testing", IEEE S&P 2004; Bro's trw.bro): every first contact is a step, a failure toward
  // "scanner" and a success toward "benign", of equal size for its symmetric defaults (a
  // benign host's first contacts succeed 80 % of the time, a scanner's 20 %). So a first
  // contact that went through takes one failure's place, and a success counts only when the
  // source spoke on it (a Prometheus GET, an SSH banner, an EHLO): nmap -sT, nc -z and zmap
  // never do, so their sweeps keep every unit. Banked up to the threshold (25): a source can
  // hide at most one threshold's worth of failures behind its own exchanges (a scanner that
  // first talks to 25 live hosts of the port is caught at its 50th failed host, not its 25th).
  horizontalScan: { enabled: true, threshold: 100, leakPerS: 1, countUdp: true, exemptUdpPorts: [53, 123, 443], countArp: true, unansweredThreshold: 25, unansweredLeakPerS: 25 / 300, exchangeCredit: 25 },
  // Emerging Threats' ET SCAN signatures fire on a single such packet (NULL, Xmas, SYN+FIN,
  // nmap's raw SYN with window 1024/2048/3072/4096, sid 2009582 and siblings); one odd packet
  // is tolerated (a middlebox glitch), two from one source within about a minute fire.
  // nmap's OS-detection probes offer windows of 1 to 63 bytes; a connect scan (nmap -sT)
  // resets each handshake at once, with no data. So does a TCP health checker (HAProxy
  // aborts its check connections), but one connection per target and interval: HAProxy's
  // `inter` is 2 s by default, Kubernetes' periodSeconds at least 1 s, AWS ELB's interval at
  // least 5 s; a scanner's service and version probes (nmap -sV, -A) open connection after
  // connection to the same host within fractions of a second. Connect probes count when two
  // reach one host within 1 s and one of them overlapped another empty attempt of the source
  // on the host (a connect probe, or a handshake it reset unfinished). A scanner keeps its
  // probes in flight at once: nmap's discovery connects to 80 and 443 together (the shared
  // capture D06; D07 resets the 443 one unfinished), and its connect and version scans probe
  // ports in parallel. A checker of several ports of one host (HAProxy with backends on ports
  // of one server, keepalived's TCP_CHECK of a real server's 80 and 443: both close with RST;
  // HAProxy's `inter 500ms` resets two a second on one port) opens one check at a time:
  // HAProxy starts its checks evenly over the smallest interval (check.c start_checks(): "as
  // far as possible from each other"; spread-checks adds jitter), keepalived each checker
  // after a random warmup, a kubelet each probe worker after a random part of its period, and
  // a check on a LAN ends within a millisecond. Traded: a connect scan that opens one
  // connection at a time is left to the vertical rule's distinct ports (15), so one of a few
  // known open ports, like a checker's round, is not banned by this probe.
  scanProbe: {
    enabled: true,
    threshold: 2,
    leakPerS: 1 / 60,
    nmapSynWindows: [1024, 2048, 3072, 4096],
    osProbeMaxSynWindow: 64,
    connectAbort: true,
    connectAbortMaxS: 1,
    connectAbortRepeatS: 1,
    connectAbortOverlap: true,
    icmpProbes: true,
  },
  // fail2ban's defaults for its sshd, vsftpd, postfix-sasl, dovecot jails: maxretry 5 within
  // findtime 10 min (jail.conf), so the 5th failure bans whatever the pace of the guessing:
  // hydra's 4 tasks reach it in one round of the server's failure delay (2-3 s with PAM),
  // a tool trying once every 6 s in 24 s. (CrowdSec's ssh-bf, capacity 5 leaking one event
  // per 10 s, never fills at one failure per 10 s; fail2ban's window does.) A person who
  // mistypes twice and logs in is forgiven at the login; OpenSSH itself allows 6 tries per
  // connection (MaxAuthTries), so 5 failures is also more than one patient session makes
  // before the server hangs up. Undecided SSH sessions use CrowdSec's ssh-slow-bf bucket
  // (capacity 10, leakspeed 60 s): ten sessions that end without a login, faster than one a
  // minute, which a person reconnecting a few times, or a monitor that logs in, never makes
  // (a banner grab never gets past the key exchange and is not counted). RDP's NLA sessions
  // that end before a desktop share it: a person's certificate prompt, typo and reconnects,
  // a Connection Broker's redirection, a certificate monitor every 5 min stay far below ten
  // a minute; hydra's 4 tasks fill it within a second, a guesser connecting every 2 s in 20 s. The parallel test:
  // a server answers each wrong password after its fail delay (pam_unix: 2 s), so three
  // answered within 2 s come from sessions guessing side by side (hydra's and medusa's
  // tasks); a person types one password at a time, and more slowly than that even where
  // there is no delay. (Sessions that only had keys refused do not count here.) throttleS: PAM's
  // pam_unix reports a wrong password after its 2 s fail delay (±25 %), a refused public key
  // is answered within a round trip; 1 s lies between them.
  // MySQL's 1045 and VNC's failed SecurityResult are failed logins like the rest
  // (fail2ban's mysqld-auth jail takes the same maxretry and findtime; CrowdSec's mysql-bf
  // is stricter, capacity 3 leaking one per 10 s). HTTP's 401/407 are not: the same answer
  // challenges a client before it sends credentials. CrowdSec's LePresidente/http-generic-401-bf
  // buckets every 401 at capacity 5 leaking one per 10 s, which a monitor polling a protected
  // URL every 5 s fills in a minute and one API client whose token expired on 6 requests in
  // flight fills at once. So their own bucket: leaking one a second, as often as any monitor
  // polls (Kubernetes probes at most every second, periodSeconds ≥ 1; Prometheus and Nagios
  // every 15 s to minutes), so a poller never fills it; 20 deep, twice the largest default
  // pool of connections a client keeps to one host (browsers 6, OkHttp 5, Python requests'
  // urllib3 10), so one expired token on every request a client has in flight reaches half
  // of it at most. hydra's 16 tasks fill it within a second; a guesser slower than one try a
  // second is not caught (fail2ban's apache-auth sees the credentials, the network does not).
  bruteForce: {
    enabled: true,
    maxretry: 5,
    findtimeS: 600,
    burstMaxretry: 3,
    burstFindtimeS: 2,
    successForgives: true,
    throttleS: 1,
    undecidedThreshold: 10,
    undecidedLeakPerS: 1 / 60,
    httpDeniedThreshold: 20,
    httpDeniedLeakPerS: 1,
  },
  // CrowdSec's crowdsecurity/http-probing (base-http-scenarios) pours every 404, 403 and 400
  // answer for a distinct path that is not a static resource into a bucket of capacity 10
  // leaking one every 10 s, per source and site. Neither the path nor whether it is a static
  // resource is readable here (the server's answers are seen, not the requests, and only
  // their first 32 bytes), and without those filters its numbers would ban a browser on a
  // page with broken images. So the units are every error answer, and the numbers come from
  // what browsing can draw:
  // - threshold 200: one page load is 66 requests on mobile and 71 on desktop at the median,
  //   179 at the 90th percentile (HTTP Archive's Web Almanac, Page Weight 2024 and 2019), to
  //   all its hosts; a heavy page whose every resource is missing stays below 200 misses.
  // - leakPerS 1: a polite crawler fetches at most about one page a second (robots.txt's
  //   Crawl-delay, commonly 1 to 10 s) and an API client polling for an item that is not there
  //   yet asks every few seconds (Kubernetes' probes every 10 s; GitHub's X-Poll-Interval is
  //   60 s): even if every one of their requests missed, the bucket drains as fast.
  // - successCredit 1: a page's hits take back its misses (only misses already counted: no
  //   credit is banked ahead, so fetching pages first buys a scanner nothing), so a browser
  //   on a page with a dozen broken images among its 70 resources, a NAT or a reverse proxy
  //   in front of many users (whose misses are a small share of their hits) never fill it;
  //   a page reload served from the browser's cache asks only for the page (a hit or a
  //   304) and its misses again: 11 units for a dozen broken images, so one reload every
  //   11 s or slower never adds up, and one every 5 s (6 units net) takes 34 reloads,
  //   nearly 3 minutes of it.
  // - statuses: CrowdSec's 400, 403, 404; 405 (nikto and ffuf try other methods), 410 (a
  //   404 the server knows about). Not 401 (the login rules' business), 407 (a proxy asking
  //   for credentials), 408 (the server's own idle timeout), 412 and 416 (caches' conditional
  //   and media players' range requests), 429 (the server throttling a fast client).
  // A scanner draws errors far past that: nikto's default run asks for about 6,500 paths, dirb's
  // common.txt holds 4,612 words, gobuster and ffuf send hundreds a second.
  httpProbing: { enabled: true, threshold: 200, leakPerS: 1, statuses: [400, 403, 404, 405, 410], successCredit: 1 },
  // Web form logins (form-logins.ts). CrowdSec's crowdsecurity/http-bf-wordpress_bf pours
  // every wp-login.php answered 200 (a failed WordPress login; a good one is a 302) into a
  // bucket of capacity 5 leaking one per 10 s, per source, and http-bf-wordpress_bf_xmlrpc
  // every POST to xmlrpc.php (always 200) at 5 leaking one per 2 min. The answer is in the
  // server's shard, so every login request counts here, the good one too:
  // - threshold 10: twice CrowdSec's 5, since the login that succeeds counts as well; a
  //   person who mistypes a few times and then logs in, or a password manager filling once,
  //   stays at 2-5.
  // - leakPerS 0.1: CrowdSec's leakspeed of 10 s (wordpress_bf, http-generic-bf). hydra's 16
  //   tasks or wpscan fill it in well under a second; Burp Community's throttled Intruder (about
  //   one request a second) in about 11 s; a guesser slower than one try in 10 s is not caught.
  // - otherRequestCredit 0.5: a real login is followed by the page it leads to and that
  //   page's requests (66-71 at the median: HTTP Archive's Web Almanac; a warm cache still asks
  //   for the page and its API calls), so the logins of a NAT's many users at 9:00 are covered
  //   by their own browsing; a guessing tool asks for nothing else, or for one page per guess
  //   (hydra's C= cookie page), which leaves half a unit per guess. Credit is banked up to
  //   the threshold, only once the client has made a login request: a burst of users behind one
  //   address logging in before their pages load spends what the earlier ones browsed.
  // - paths: where the common applications and frameworks take their login POSTs
  //   (WordPress wp-login.php and xmlrpc.php, CrowdSec's two scenarios; Drupal /user/login,
  //   fail2ban's drupal-auth; Django /accounts/login/ and /admin/login/; Rails Devise
  //   /users/sign_in; ASP.NET Identity /Account/Login; Java EE form login j_security_check;
  //   Outlook Web App /owa/auth.owa; DVWA's /dvwa/login.php; the generic /login, /signin,
  //   /sign-in, /auth/login, /api/login, /session). Not /admin or /administrator (every
  //   action of an admin panel is a POST there), not /wp-admin (admin-ajax.php's heartbeat
  //   POSTs every 15-60 s), not token refresh endpoints (an SPA refreshes every few minutes).
  // - getPaths: none. A GET to a login page with a query is mostly the redirect every
  //   framework sends a visitor who is not logged in (Django's ?next=, Spring Security's
  //   ?error after a failed POST, which the POST already counted); an operator whose
  //   application takes credentials by GET (hydra http-get-form) adds its path.
  formLogin: {
    enabled: true,
    threshold: 10,
    leakPerS: 0.1,
    otherRequestCredit: 0.5,
    paths: ['/wp-login.php', '/xmlrpc.php', '/login', '/signin', '/sign-in', '/user/login', '/auth/login', '/api/login', '/session', '/account/login', '/accounts/login', '/admin/login', '/users/sign_in', '/j_security_check', '/owa/auth.owa', '/dvwa/login.php'],
    getPaths: [],
  },
  // HTTP floods, per (client, server). Public limits are per address and meant to delay,
  // not ban: nginx's limit_req example allows 1 request a second with a burst of 5 for a
  // page, CrowdSec's http-dos-* scenarios (crowdsecurity/http-dos-bypass-cache, -random-uri)
  // 30 beyond 1 a second of the requests a DoS tool's random query or path gives away, and
  // ET's GoldenEye signature (sid 2018208) 100 within 300 s of its header pattern. None of
  // those filters is readable in the 32 bytes kept of a segment, so the units are every request and
  // the numbers come from what browsing can draw, as httpProbing's do:
  // - connections: a browser opens at most 6 to a host and keeps them for the page and the
  //   next (Firefox's max-persistent-connections-per-server and Chromium's per-host limit;
  //   RFC 9112 §9.4 asks clients to limit them), and a page is 70 requests at the median, 179
  //   at the 90th percentile (HTTP Archive's Web Almanac), so even a NAT of 200 users, each
  //   loading a page on 6 new connections every 24 s, opens 50 a second: the leak. 250 is 40
  //   such browsers opening theirs at the same moment. Hulk, GoldenEye (one connection per
  //   request, its default 500 sockets) and LOIC (HTTP/1.0) open hundreds to thousands a
  //   second: CIC-IDS2017's Hulk about 200, alerted within 2 s.
  // - requests: the same NAT's 200 users, each loading a median page of 70 requests every
  //   28 s (a page view is 30 s to a minute of reading at the median), ask 500 a second: the
  //   leak; 2500 is five seconds of it, and a keep-alive flood (wrk, h2load, 50 sockets asking
  //   as fast as answered) asks thousands a second. An API client at 20 a second or a crawler
  //   at a few never gets near it; a keep-alive flood slower than 500 a second is not caught.
  //   A reverse proxy forwarding thousands a second to its backend is this flood's very
  //   shape: own infrastructure belongs on responder.allow, which the responder never bans.
  httpFlood: { enabled: true, threshold: 2500, leakPerS: 500, connectionThreshold: 250, connectionLeakPerS: 50 },
  // Connection floods: the numbers of httpFlood's connections, for the connections it cannot
  // read. A browser opens at most 6 to a host and keeps them (RFC 9112 §9.4; over HTTP/2 one,
  // RFC 9113 §9.1), so the NAT of 200 users above opens 50 a second at most: the leak; 250 is
  // 40 of them opening theirs at once. An HTTPS Hulk or GoldenEye opens hundreds a second, each
  // a TLS handshake whose key exchange costs the server far more than the client (THC's
  // thc-ssl-dos); a connect flood (nping --tcp-connect --rate, LOIC's TCP mode without data) or
  // one holding sshd's unauthenticated slots (MaxStartups 10:30:100) hundreds to thousands.
  // Connections closed without a byte come from health checks (HAProxy's every 2 s, a
  // Kubernetes TCP probe's every 10 s), a monitor's port check (Nagios check_tcp, once a
  // minute), a browser's unused preconnect or Happy Eyeballs loser (RFC 8305, one a page): far
  // below 50 a second from one address to one server. A load balancer checking one server for
  // hundreds of backends, or a proxy opening a TLS connection per request to its backend, is
  // own infrastructure: responder.allow.
  connectionFlood: { enabled: true, threshold: 250, leakPerS: 50 },
  // A QUIC connection opens with the client's Initial, and the server does its key exchange
  // and answers with up to 3 times its size before the client proves its address (RFC 9000
  // §8.1): one Initial is one TLS handshake, so connection-flood's numbers. A browser keeps
  // one QUIC connection to an origin (RFC 9114 §3.3) and sends one first Initial a connection,
  // again only on a probe timeout before the server answers (RFC 9002 §6.2: about 1 s,
  // doubling); 50 a second from one address to one server is a NAT of many users.
  // Forgeable evidence: nothing in a UDP datagram proves its source (pair-flood.ts).
  quicInitialFlood: { enabled: true, threshold: 250, leakPerS: 50 },
  // Slow HTTP: slowloris sends a header line every 15 s (its default, -sleeptime 15) on 150
  // sockets, slowhttptest one every 10 s (-i 10) on 50; no client sends a request in pieces
  // seconds apart (it writes it at once; loss recovery resends the same bytes, RFC 6298's RTO
  // starting at 1 s). Apache's mod_reqtimeout gives a request's headers 20 s, more at 500 bytes
  // a second (header=20-40,MinRate=500), so a segment of an unfinished request 5 s (five RTOs)
  // or more after the previous one and carrying less than 500 bytes a second over the pause
  // is a trickle. 10 trickling connections within 30 s (each counted once per 30 s): a browser
  // holds at most 6 to a host, and none trickles; a WebSocket's frames (binary, masked) and a
  // long poll's new requests are not trickles. A slow read (slowhttptest -X asks for a receive
  // buffer of 1 to 512 bytes, -w and -y; Linux raises it to its floor, SOCK_MIN_RCVBUF, about
  // 2.3 KB) holds the server's answer with a window of a KB or less, mostly 0: a receiver opens
  // its window only by an MSS or half its buffer (RFC 9293 §3.8.6.2.2, silly-window avoidance),
  // and browsers' stacks keep tens of KB open (Linux's default buffer is 128 KB, tcp_rmem).
  // So a window below two full segments (2 × 1460 bytes) for 5 s after a request counts as a
  // trickle; a reader that stopped (a paused video: zero windows) does so on a connection or
  // a few, far below 10.
  slowHttp: { enabled: true, threshold: 10, windowS: 30, gapS: 5, minRateBps: 500, minWindowBytes: 2920 },
  // A stack retries an unanswered SYN after 1, 3, 7... s (RFC 6298's RTO, doubling) and
  // keeps few handshakes pending toward one place; 100 SYNs from ONE source that it never
  // completes (less 10 a second) is most of a listener's SYN queue on a default Linux
  // (net.core.somaxconn was 128 until 5.4; tcp_max_syn_backlog is 128 to 1024 by memory).
  halfOpen: { enabled: true, threshold: 100, leakPerS: 10 },
  // One source's datagrams to one host:port that nothing answers. A request/response
  // application that gets no answer must back off: RFC 8085 §3.1.3 allows it one datagram
  // per RTT, every 3 s when the RTT is unknown. One-way streams by design are modest or
  // paced: a syslog sender forwards what its services log (journald lets one service log
  // 10,000 messages per 30 s, RateLimitBurst/RateLimitIntervalSec), Juniper's inline J-Flow
  // exports at 1 kpps per line card by default (flow-export-rate), one-way RTP is 50
  // packets a second for voice and a few hundred for video, and RTP, QUIC, VPNs and DNS are
  // answered. The victim's side: Linux refuses at most 1000 datagrams a second to closed ports
  // with ICMP (net.ipv4.icmp_msgs_per_sec) and one a second per source after a burst of 6
  // (icmp_ratelimit), dropping the rest silently. So the udp-flood victim rule's bucket:
  // 1000 unanswered datagrams a second leak away, 2000 beyond that (two seconds of what the
  // host can refuse) overflow; hping3 --flood sends tens of thousands a second.
  unansweredUdp: { enabled: true, threshold: 2000, leakPerS: 1000 },
  // ICMP from one source to one host, echo replies aside: ping sends one echo request a second
  // by default, and iputils' ping refuses an interval under 200 ms to anyone but root (5 a
  // second); monitors ping a host a few times a minute (SmokePing's 20 pings every 5 min,
  // fping's rounds). Errors are rate-limited at their sender: Linux sends a destination at
  // most one a second after a burst of 50 (net.ipv4.icmp_ratelimit, icmp_msgs_burst), Cisco's
  // routers two unreachables a second (ip icmp rate-limit unreachable). Only floods send
  // thousands a second: ping -f (root, "as fast as they come back"), hping3 --icmp --flood,
  // BlackNurse (type 3 code 3 at 40,000 a second). The same numbers as unansweredUdp: 2000
  // beyond 1000 a second.
  icmpSourceFlood: { enabled: true, threshold: 2000, leakPerS: 1000 },
  // SNMP community guessing: an agent drops a v1/v2c request of a community it does not know
  // without a word (RFC 1157 §4.1, RFC 3584 §4.1). A manager polls with the community it was
  // given, and retries a silent agent a few times a poll (net-snmp: 5 retries, 1 s apart; a
  // misconfigured community in a monitor polling 500 items a minute is 8 a second); a guesser
  // tries its list as fast as it may: onesixtyone every 10 ms (-w 10), hydra snmp on 16 tasks,
  // Metasploit's snmp_login. 100 unanswered beyond 10 a second: a list of a few hundred
  // (SecLists' SNMP lists hold 120 to 3,000) in seconds. onesixtyone's default list of 50
  // against one agent stays under it (across a network it is a horizontal sweep of UDP 161).
  snmpGuessing: { enabled: true, threshold: 100, leakPerS: 10 },
  // A host refuses a segment with ACK that belongs to no connection with a bare RST (RFC 9293
  // §3.10.7.1): a client draws one when its connection died with the host's state (a reboot,
  // a table flush: once per connection, then it stops), or after a NAT or middlebox timed the
  // connection out; hping3 -A --flood (and -SA, PSH+ACK floods) from a real address draws one
  // per packet, tens of thousands a second. Linux rate-limits no such RST. The same numbers
  // as unansweredUdp: 2000 beyond 1000 a second to one client.
  refusedFlood: { enabled: true, threshold: 2000, leakPerS: 1000 },
  // A bare RST (no ACK) of no connection followed that refuses no stray segment seen (the
  // session verifier's REFUSAL): what hping3 -R --flood sends from its own address. A stack
  // sends a bare RST only to refuse a segment with ACK of no connection (RFC 9293 §3.10.7.1);
  // it aborts its own connections with RST+ACK (Linux's tcp_send_active_reset), and a closed
  // port refuses SYNs with RST+ACK (the scan rules' case). Seen one way (the capture misses
  // what was refused), a restarted server refuses a NAT's stale connections once each. The
  // same numbers as the other per-source floods: 2000 beyond 1000 a second to one host.
  rstSourceFlood: { enabled: true, threshold: 2000, leakPerS: 1000 },
  // Toward one victim, from 20 or more sources (one is the source rules' case): SYNs less
  // handshakes completed, 500 beyond a 100/s leak. Linux answers with SYN cookies once its
  // SYN queue (tcp_max_syn_backlog, 128 to 1024) is full, so 500 outstanding is a default
  // queue overrun several times; a flood of 600/s or more is alerted within a second.
  synFlood: { enabled: true, threshold: 500, leakPerS: 100, minSources: 20 },
  // QUIC's SYN flood (a forged-source Initial flood): each Initial makes the server keep
  // connection state and run a key exchange for a client that may never go on, as a SYN holds
  // a half-open connection; a real client goes on with the handshake on the port pair the
  // server answered (its second Initial or its Handshake: a long header again, RFC 9000
  // §17.2), which takes its Initial back. The SYN flood's numbers: servers that validate
  // addresses under load (a Retry, RFC 9000 §8.1.2) do it as a SYN cookie does.
  quicFlood: { enabled: true, threshold: 500, leakPerS: 100, minSources: 20 },
  // US-CERT TA14-017A lists the amplifying UDP services: their answers are many times a
  // request of 40 to 60 bytes (DNS ×28-54, NTP monlist ×556, SSDP ×30, chargen ×358,
  // memcached more), so a datagram over 100 bytes of payload counts as an answer (and nmap's
  // UDP probes, mostly smaller, as probes); the same bucket as SYN floods, from 10 or more
  // unsolicited sources (reflection abuses many servers, and 10 keeps a few peers out).
  udpAmplification: {
    enabled: true,
    threshold: 500,
    leakPerS: 100,
    minSources: 10,
    minPayload: 100,
    // An amplifier answers FROM its service's port (TA14-017A's protocols listen on 17-11211;
    // the few amplifiers above 32768 are named in udp-port-roles.ts) TO the forged source
    // port; a one-way sender (syslog RFC 5426, NetFlow/IPFIX, SNMP traps, GELF, statsd) sends
    // FROM an ephemeral port TO the collector's. RFC 6335 §6 leaves 49152-65535 to stacks
    // (Windows, macOS) and Linux picks from 32768-60999 (ip_local_port_range), so 32768.
    // Not lower: amplifiers listen below it (memcached 11211, game servers' 27015, Ubiquiti's
    // 10001) and only those above it are named in udp-port-roles.ts, so a lower value would
    // take their answers to a forged collector port for reports. FreeBSD's senders
    // (10000-65535, net.inet.ip.portrange.first) below it draw the non-blockable alert.
    clientPortMin: 32768,
    // Only toward the ports the one-way protocols are sent to: the port alone does not say
    // what answers from an ephemeral port are (a BitTorrent or Kad peer, or an amplifier not
    // in udp-port-roles.ts's list, answers from a high port of its own, to whatever port the
    // forged request carried), so a large datagram from a high port counts as before unless
    // it goes where reports go: syslog 514 (RFC 5426) and 1514 (the unprivileged collectors'
    // port: Graylog's and Wazuh's documented inputs), SNMP traps 162 (RFC 3417), IPFIX 4739
    // (RFC 7011), sFlow 6343 (IANA), NetFlow 2055, 9995 and 9996 (no IANA port: Cisco's
    // examples and nfdump's, pmacct's defaults), GELF 12201 (Graylog), statsd 8125 (Etsy's
    // statsd) and collectd 25826 (its network plugin's IANA port). A collector on another
    // port draws the alert (no ban: the victim rule blocks nobody): add its port here.
    reportPorts: [162, 514, 1514, 2055, 4739, 6343, 8125, 9995, 9996, 12201, 25826],
  },
  // Small datagrams a host does not answer (hping3 --udp --rand-source: empty datagrams to
  // random ports): a host answers a datagram to a closed port with ICMP port unreachable
  // (RFC 1122 3.2.2.1), not UDP, and Linux sends at most 1000 ICMP messages a second
  // (net.ipv4.icmp_msgs_per_sec), dropping the rest of such datagrams silently. So: 1000
  // unanswered datagrams a second leak away (more than its stack can even refuse), 2000
  // beyond that (two seconds of it), from 20 or more sources as the other floods (one source
  // is the source rules': its random ports are a vertical scan, one port unansweredUdp).
  // Servers answer what they receive (DNS, NTP, QUIC, games) and their answers cancel out
  // (only answers: a busy client's own requests say nothing of a flood to other ports); a one-way receiver of more than 1000
  // datagrams a second from 20 hosts (a large syslog or NetFlow collector) raises an alert
  // that bans nobody: raise the threshold there.
  udpFlood: { enabled: true, threshold: 2000, leakPerS: 1000, minSources: 20 },
  // SYN-ACKs nobody asked for (a reflection off many TCP servers): as SYN floods.
  tcpReflection: { enabled: true, threshold: 500, leakPerS: 100, minSources: 20 },
  // ACK and RST floods (hping3 -A / -R --rand-source; the "TCP ACK flood" and "RST flood"
  // of the DDoS vendors' glossaries): segments of no connection, each from a forged address
  // and port, so each is the first of its 4-tuple. RFC 9293 (3.10.7.1) has the target answer
  // every such ACK with a RST and drop every such RST. A connection that began before the
  // node started counts once, at its first segment, like one forged packet: the SYN flood's
  // numbers (500 beyond 100/s, 20 sources) keep a busy server's restart below them unless
  // it holds more than about 600 connections from 20 or more clients, which the first
  // second replays (an alert that bans nobody).
  tcpFlood: { enabled: true, threshold: 500, leakPerS: 100, minSources: 20 },
  // `ping -f` sends 100 a second or as fast as replies come; a host gets a few ICMP a second
  // (errors, pings) and the replies to its own pings cancel out. 1000 beyond a 200/s leak,
  // from any number of sources: an ICMP flood needs no forged address.
  icmpFlood: { enabled: true, threshold: 1000, leakPerS: 200, minSources: 1 },
  // GRE, ESP, IP-in-IP and the like carry tunnels: a host gets them from the peers it sends
  // them to (GRE both ways and its keepalives, RFC 2784/2890; ESP both ways, RFC 4303), and
  // from nobody else but the odd stray packet, so only sources it never sent such a packet
  // to count, and its own packets take theirs back. The SYN flood's 500 beyond 100/s, from
  // any number of such sources (a stranger needs no forged address to flood with GRE):
  // Mirai's GRE floods (greip, greeth), hping3 --rawip.
  ipFlood: { enabled: true, threshold: 500, leakPerS: 100, minSources: 1 },
  // Carpet bombing (NETSCOUT's threat reports since 2018, Cloudflare's DDoS reports): a flood
  // spread over every address of a prefix, each address getting a share below what a
  // per-address rule counts, the sum filling the prefix's link and the firewall before it.
  // The defence those reports describe is to apply thresholds to the prefix as a whole, not
  // to each address. Each rule above is run again over the sum of a prefix's hosts, with
  // its numbers, so the prefix is alerted when together its hosts take what one host would
  // already call a flood; each rule's credit (answers, handshakes completed, the victim's own
  // requests) still cancels what was solicited, so a /24 of busy servers (their clients'
  // handshakes complete, their answers go out) or of clients (their answers were asked for)
  // adds up to nothing. /24 and /48: the longest prefixes routed across the Internet (RFC 7454
  // §6.1.3 filters longer ones), the blocks carpet bombing is aimed at. 16 hosts: a carpet
  // covers the prefix (hundreds of addresses); a flood at one host or a handful (a multi-vector
  // attack on a few servers) is the host rules' own alert, and 16 leaves the sketch's error
  // (about ±2 at that count) well clear of them. Not blockable, as every victim alert: it
  // names the prefix as its target.
  carpetBombing: { enabled: true, prefixV4: 24, prefixV6: 48, minHosts: 16 },
};

/** The rules configuration is not acceptable. */
export class RulesConfigError extends AutoimmuneError {
  readonly field: string;
  constructor(field: string, value: unknown, expected: string) {
    super(
      'AI_ERR_RULES_CONFIG',
      `rules: ${field} must be ${expected}, got ${JSON.stringify(value) ?? String(value)}: fix it in the configuration`,
    );
    this.field = field;
  }
}

/** Largest distinct threshold: the per-key bitmaps (distinct-set.ts) count reliably up to about this. */
export const MAX_DISTINCT_THRESHOLD = 256;

type Check = (v: unknown) => boolean;
const num = (lo: number, hi: number, loOpen = false): Check => (v) =>
  typeof v === 'number' && Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && v <= hi;
const int = (lo: number, hi: number): Check => (v) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
const bool: Check = (v) => typeof v === 'boolean';
const portList = (min: number): Check => (v) => Array.isArray(v) && v.length >= min && v.length <= 64 && v.every((p) => int(1, 65535)(p));
const windows: Check = (v) => Array.isArray(v) && v.length <= 64 && v.every((p) => int(0, 65535)(p));

const pathList = (max: number): Check => (v) =>
  Array.isArray(v) && v.length <= max && new Set(v.map((p) => (typeof p === 'string' ? p.toLowerCase() : p))).size === v.length &&
  v.every((p) => typeof p === 'string' && /^\/[\x21-\x7e]{1,63}$/.test(p));
const statusList: Check = (v) => Array.isArray(v) && v.length >= 1 && v.length <= 16 && new Set(v).size === v.length && v.every((c) => int(400, 599)(c));

// field → [check, what is expected], per section; '' is the top level
const SPEC: Record<string, Record<string, [Check, string]>> = {
  '': { cooldownS: [num(0, 86_400), 'a number of seconds from 0 to 86400'] },
  verticalScan: {
    enabled: [bool, 'true or false'],
    threshold: [int(2, MAX_DISTINCT_THRESHOLD), `an integer from 2 to ${MAX_DISTINCT_THRESHOLD} (distinct ports)`],
    leakPerS: [num(0, 1e6, true), 'a positive number (ports per second)'],
    countUdp: [bool, 'true or false'],
    countIpProtocols: [bool, 'true or false'],
    countSctp: [bool, 'true or false'],
    burstMaxretry: [int(0, 64), 'an integer from 0 (off) to 64'],
    burstFindtimeS: [num(0, 3600, true), 'a positive number of seconds up to 3600'],
    unansweredThreshold: [int(0, MAX_DISTINCT_THRESHOLD), `an integer from 0 (off) to ${MAX_DISTINCT_THRESHOLD} (distinct ports)`],
    unansweredLeakPerS: [num(0, 1e6, true), 'a positive number (ports per second)'],
  },
  horizontalScan: {
    enabled: [bool, 'true or false'],
    threshold: [int(2, MAX_DISTINCT_THRESHOLD), `an integer from 2 to ${MAX_DISTINCT_THRESHOLD} (distinct hosts)`],
    leakPerS: [num(0, 1e6, true), 'a positive number (hosts per second)'],
    countUdp: [bool, 'true or false'],
    exemptUdpPorts: [portList(0), 'an array of UDP ports (1-65535), at most 64'],
    countArp: [bool, 'true or false'],
    unansweredThreshold: [int(0, MAX_DISTINCT_THRESHOLD), `an integer from 0 (off) to ${MAX_DISTINCT_THRESHOLD} (distinct hosts)`],
    unansweredLeakPerS: [num(0, 1e6, true), 'a positive number (hosts per second)'],
    exchangeCredit: [int(0, 255), 'an integer from 0 (off) to 255 (first contacts)'],
  },
  scanProbe: {
    enabled: [bool, 'true or false'],
    threshold: [int(1, 1_000_000), 'a positive integer (probe packets)'],
    leakPerS: [num(0, 1e6, true), 'a positive number (probes per second)'],
    nmapSynWindows: [windows, 'an array of TCP window sizes (0-65535), at most 64'],
    osProbeMaxSynWindow: [int(0, 65535), 'an integer from 0 to 65535 (bytes)'],
    connectAbort: [bool, 'true or false'],
    connectAbortMaxS: [num(0, 3600, true), 'a positive number of seconds up to 3600'],
    connectAbortRepeatS: [num(0, 3600), 'a number of seconds from 0 to 3600'],
    connectAbortOverlap: [bool, 'true or false'],
    icmpProbes: [bool, 'true or false'],
  },
  bruteForce: {
    enabled: [bool, 'true or false'],
    maxretry: [int(1, 1000), 'an integer from 1 to 1000 (failed logins)'],
    findtimeS: [num(0, 86_400, true), 'a positive number of seconds up to 86400'],
    burstMaxretry: [int(0, 64), 'an integer from 0 (off) to 64'],
    burstFindtimeS: [num(0, 3600, true), 'a positive number of seconds up to 3600'],
    successForgives: [bool, 'true or false'],
    throttleS: [num(0, 60), 'a number of seconds from 0 to 60'],
    undecidedThreshold: [int(1, 1_000_000), 'a positive integer (sessions)'],
    undecidedLeakPerS: [num(0, 1e6, true), 'a positive number (sessions per second)'],
    httpDeniedThreshold: [int(1, 1_000_000), 'a positive integer (HTTP 401/407 answers)'],
    httpDeniedLeakPerS: [num(0, 1e6, true), 'a positive number (answers per second)'],
  },
  httpProbing: {
    enabled: [bool, 'true or false'],
    threshold: [int(1, 1_000_000), 'a positive integer (error answers)'],
    leakPerS: [num(0, 1e6, true), 'a positive number (error answers per second)'],
    statuses: [statusList, 'an array of 1 to 16 distinct HTTP status codes from 400 to 599'],
    successCredit: [num(0, 1000), 'a number from 0 to 1000 (units a success answer takes back)'],
  },
  formLogin: {
    enabled: [bool, 'true or false'],
    threshold: [int(1, 1_000_000), 'a positive integer (login requests)'],
    leakPerS: [num(0, 1e6, true), 'a positive number (login requests per second)'],
    paths: [pathList(24), 'an array of at most 24 distinct paths, each "/" then 1 to 63 visible ASCII characters'],
    getPaths: [pathList(8), 'an array of at most 8 distinct paths, each "/" then 1 to 63 visible ASCII characters'],
    otherRequestCredit: [num(0, 1000), 'a number from 0 to 1000 (units another request takes back)'],
  },
  httpFlood: {
    enabled: [bool, 'true or false'],
    threshold: [int(1, 1e9), 'a positive integer (requests)'],
    leakPerS: [num(0, 1e9, true), 'a positive number (requests per second)'],
    connectionThreshold: [int(1, 1e9), 'a positive integer (connections)'],
    connectionLeakPerS: [num(0, 1e9, true), 'a positive number (connections per second)'],
  },
  connectionFlood: {
    enabled: [bool, 'true or false'],
    threshold: [int(1, 1e9), 'a positive integer (connections)'],
    leakPerS: [num(0, 1e9, true), 'a positive number (connections per second)'],
  },
  slowHttp: {
    enabled: [bool, 'true or false'],
    threshold: [int(1, 1_000_000), 'a positive integer (connections)'],
    windowS: [num(0, 86_400, true), 'a positive number of seconds up to 86400'],
    gapS: [num(0, 3600, true), 'a positive number of seconds up to 3600'],
    minRateBps: [num(0, 1e9), 'a number of bytes per second from 0 to 1e9'],
    minWindowBytes: [int(0, 1 << 30), 'an integer number of bytes from 0 (off) to 2^30'],
  },
  halfOpen: {
    enabled: [bool, 'true or false'],
    threshold: [int(1, 1e9), 'a positive integer (SYNs)'],
    leakPerS: [num(0, 1e9, true), 'a positive number (SYNs per second)'],
  },
  unansweredUdp: {
    enabled: [bool, 'true or false'],
    threshold: [int(1, 1e9), 'a positive integer (datagrams)'],
    leakPerS: [num(0, 1e9, true), 'a positive number (datagrams per second)'],
  },
  snmpGuessing: {
    enabled: [bool, 'true or false'],
    threshold: [int(1, 1e9), 'a positive integer (requests)'],
    leakPerS: [num(0, 1e9, true), 'a positive number (requests per second)'],
  },
  icmpSourceFlood: {
    enabled: [bool, 'true or false'],
    threshold: [int(1, 1e9), 'a positive integer (ICMP messages)'],
    leakPerS: [num(0, 1e9, true), 'a positive number (ICMP messages per second)'],
  },
  refusedFlood: {
    enabled: [bool, 'true or false'],
    threshold: [int(1, 1e9), 'a positive integer (RSTs)'],
    leakPerS: [num(0, 1e9, true), 'a positive number (RSTs per second)'],
  },
  rstSourceFlood: {
    enabled: [bool, 'true or false'],
    threshold: [int(1, 1e9), 'a positive integer (RSTs)'],
    leakPerS: [num(0, 1e9, true), 'a positive number (RSTs per second)'],
  },
  quicInitialFlood: {
    enabled: [bool, 'true or false'],
    threshold: [int(1, 1e9), 'a positive integer (QUIC Initials)'],
    leakPerS: [num(0, 1e9, true), 'a positive number (QUIC Initials per second)'],
  },
};
for (const name of ['synFlood', 'quicFlood', 'udpAmplification', 'udpFlood', 'tcpReflection', 'tcpFlood', 'icmpFlood', 'ipFlood']) {
  SPEC[name] = {
    enabled: [bool, 'true or false'],
    threshold: [num(0, 1e12, true), 'a positive number (packets)'],
    leakPerS: [num(0, 1e12, true), 'a positive number (packets per second)'],
    minSources: [int(1, 100_000), 'an integer from 1 to 100000 (distinct sources)'],
  };
}
SPEC.carpetBombing = {
  enabled: [bool, 'true or false'],
  prefixV4: [int(0, 32), 'an integer from 0 to 32 (prefix length)'],
  prefixV6: [int(0, 128), 'an integer from 0 to 128 (prefix length)'],
  minHosts: [int(1, 256), 'an integer from 1 to 256 (distinct hosts; the sketch counts reliably up to about 256)'],
};
SPEC.udpAmplification!.minPayload = [int(0, 65535), 'an integer from 0 to 65535 (bytes)'];
SPEC.udpAmplification!.clientPortMin = [int(32768, 65536), 'an integer from 32768 to 65536 (65536: off; lower would take amplifiers below it for senders)'];
SPEC.udpAmplification!.reportPorts = [portList(0), 'an array of UDP ports (1-65535), at most 64'];

/** Throws RulesConfigError naming the first bad field; returns the config unchanged. */
export function validateRulesConfig(config: RulesConfig): RulesConfig {
  if (config === null || typeof config !== 'object') throw new RulesConfigError('rules', config, 'an object');
  for (const [section, fields] of Object.entries(SPEC)) {
    const obj = section === '' ? (config as unknown as Record<string, unknown>) : (config as unknown as Record<string, unknown>)[section];
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new RulesConfigError(section, obj, 'an object');
    for (const [field, [check, expected]] of Object.entries(fields)) {
      const value = (obj as Record<string, unknown>)[field];
      if (!check(value)) throw new RulesConfigError(section === '' ? field : `${section}.${field}`, value, expected);
    }
    for (const key of Object.keys(obj)) {
      if (section !== '' && !(key in fields)) throw new RulesConfigError(`${section}.${key}`, (obj as Record<string, unknown>)[key], 'absent (unknown option)');
    }
  }
  for (const key of Object.keys(config)) {
    if (!(key in SPEC) && !(key in SPEC['']!)) throw new RulesConfigError(key, (config as unknown as Record<string, unknown>)[key], 'absent (unknown option)');
  }
  if (config.scanProbe.osProbeMaxSynWindow >= Math.min(...config.scanProbe.nmapSynWindows, 65536)) {
    throw new RulesConfigError('scanProbe.osProbeMaxSynWindow', config.scanProbe.osProbeMaxSynWindow, 'below every window in scanProbe.nmapSynWindows');
  }
  return config;
}

export type RulesOverrides = { [K in keyof RulesConfig]?: RulesConfig[K] extends object ? Partial<RulesConfig[K]> : RulesConfig[K] };

/** DEFAULT_RULES with `overrides` merged in, section by section, validated. */
export function resolveRulesConfig(overrides: RulesOverrides = {}): RulesConfig {
  const merged: Record<string, unknown> = structuredClone(DEFAULT_RULES) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    const base = merged[key];
    merged[key] = base !== null && typeof base === 'object' && !Array.isArray(base) && value !== null && typeof value === 'object' && !Array.isArray(value)
      ? { ...base, ...value }
      : value;
  }
  return validateRulesConfig(merged as unknown as RulesConfig);
}
