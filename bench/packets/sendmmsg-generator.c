/*
 * A paced UDP generator for the live-capture benchmarks, cheap enough to reach 200k
 * packets/s beside the node on a 2-core machine: IPv4/UDP datagrams built once and handed to
 * the kernel 64 at a time with sendmmsg(2) on a raw socket (IPPROTO_RAW: the kernel fills
 * the IP checksum, id and length; the UDP checksum is 0, allowed in IPv4). Built at run
 * time by sendmmsg-generator.ts with the system's cc; no binary is shipped or downloaded.
 *
 *   sendmmsg-generator --pps N --count M --host ADDR --port P [--size BYTES] [--delay-ms MS]
 *                      [--max-seconds S] [--scan-every N --scan-from ADDR --scan-ports K]
 *
 * Same arguments and the same JSON report as traffic-generator.ts: every Nth datagram (the
 * 0th, the Nth, ...) is a scanner's probe from scan-from + i to ports 1024..1024+K-1 of the
 * host, then the next scanner address. Only local destinations and sources: each address is
 * checked by binding a UDP socket to it (a namespace with `ip route add local
 * 198.18.0.0/15 dev lo` makes that block local), so nothing can leave the host or namespace.
 * Bounded: it stops after `count` datagrams or `max-seconds`, whichever comes first.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_PAYLOAD 1472
#define SRC_PORT 40001
#define SCAN_SRC_PORT 40002
#define SCAN_FIRST_PORT 1024

struct opts {
  double pps;
  long long count;
  struct in_addr host;
  int port;
  int size;
  int delay_ms;
  double max_seconds;
  long long scan_every;
  struct in_addr scan_from;
  int scan_ports;
};

static void die(const char *fmt, const char *a) {
  fprintf(stderr, "sendmmsg-generator: ");
  fprintf(stderr, fmt, a);
  fprintf(stderr, "\n");
  exit(2);
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long long int_arg(const char *name, const char *v, long long min, long long max) {
  char *end;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  if (errno != 0 || *end != '\0' || n < min || n > max) die("bad value for --%s: use an integer in range", name);
  return n;
}

/* A UDP socket can bind the address only when it is one of this host's (or namespace's). */
static int is_local(struct in_addr a) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) return 0;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = a, .sin_port = 0};
  int ok = bind(s, (struct sockaddr *)&sa, sizeof sa) == 0;
  close(s);
  return ok;
}

static void parse(int argc, char **argv, struct opts *o) {
  memset(o, 0, sizeof *o);
  o->size = 18;
  o->scan_ports = 12;
  o->max_seconds = -1;
  inet_pton(AF_INET, "198.18.1.0", &o->scan_from);
  int have_pps = 0, have_count = 0, have_host = 0, have_port = 0;
  for (int i = 1; i < argc; i += 2) {
    const char *f = argv[i];
    if (i + 1 >= argc || strncmp(f, "--", 2) != 0) die("bad argument %s", f);
    const char *v = argv[i + 1];
    f += 2;
    if (!strcmp(f, "pps")) o->pps = (double)int_arg(f, v, 1, 10000000), have_pps = 1;
    else if (!strcmp(f, "count")) o->count = int_arg(f, v, 1, 1LL << 40), have_count = 1;
    else if (!strcmp(f, "host")) {
      if (inet_pton(AF_INET, v, &o->host) != 1) die("--host %s is not an IPv4 address", v);
      have_host = 1;
    } else if (!strcmp(f, "port")) o->port = (int)int_arg(f, v, 1, 65535), have_port = 1;
    else if (!strcmp(f, "size")) o->size = (int)int_arg(f, v, 0, MAX_PAYLOAD);
    else if (!strcmp(f, "delay-ms")) o->delay_ms = (int)int_arg(f, v, 0, 60000);
    else if (!strcmp(f, "max-seconds")) o->max_seconds = (double)int_arg(f, v, 1, 3600);
    else if (!strcmp(f, "scan-every")) o->scan_every = int_arg(f, v, 0, 1000000);
    else if (!strcmp(f, "scan-from")) {
      if (inet_pton(AF_INET, v, &o->scan_from) != 1) die("--scan-from %s is not an IPv4 address", v);
    } else if (!strcmp(f, "scan-ports")) o->scan_ports = (int)int_arg(f, v, 1, 1000);
    else die("unknown flag --%s", f);
  }
  if (!have_pps || !have_count || !have_host || !have_port) die("%s", "usage: sendmmsg-generator --pps N --count M --host ADDR --port P [--size B] [--delay-ms MS] [--max-seconds S] [--scan-every N --scan-from ADDR --scan-ports K]");
  if (o->max_seconds < 0) o->max_seconds = (double)o->count / o->pps * 2 + 5;
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &o->host, text, sizeof text);
  if (!is_local(o->host)) die("--host %s is not a local address: use 127.x.y.z or an address of this host's (namespace's) interfaces", text);
}

/* The i-th scanner's source address, checked local before its first probe. */
static struct in_addr scanner_addr(const struct opts *o, long long i) {
  struct in_addr a = {.s_addr = htonl(ntohl(o->scan_from.s_addr) + (uint32_t)i)};
  if (!is_local(a)) {
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, text, sizeof text);
    die("scanner source %s is not local (a namespace with `ip route add local 198.18.0.0/15 dev lo` makes that block local)", text);
  }
  return a;
}

struct udp4 {
  uint8_t vihl, tos;
  uint16_t len, id, frag;
  uint8_t ttl, proto;
  uint16_t csum;
  uint32_t src, dst;
  uint16_t sport, dport, ulen, ucsum;
} __attribute__((packed));

int main(int argc, char **argv) {
  struct opts o;
  parse(argc, argv, &o);
  /* Sleeps of tens of microseconds must not be stretched to the default 50 us slack. */
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  int s = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (s < 0) die("cannot open a raw socket (%s): run as root or with CAP_NET_RAW", strerror(errno));
  int sndbuf = 4 << 20;
  setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

  static uint8_t frames[BATCH][sizeof(struct udp4) + MAX_PAYLOAD];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  struct sockaddr_in dst = {.sin_family = AF_INET, .sin_addr = o.host, .sin_port = 0};
  const int total = (int)sizeof(struct udp4) + o.size;
  for (int k = 0; k < BATCH; k++) {
    struct udp4 *h = (struct udp4 *)frames[k];
    memset(frames[k], 0x61, sizeof frames[k]);
    memset(h, 0, sizeof *h);
    h->vihl = 0x45;
    h->ttl = 64;
    h->proto = IPPROTO_UDP;
    h->dst = o.host.s_addr;
    h->ulen = htons((uint16_t)(8 + o.size));
    iov[k].iov_base = frames[k];
    iov[k].iov_len = (size_t)total;
    memset(&msgs[k], 0, sizeof msgs[k]);
    msgs[k].msg_hdr.msg_name = &dst;
    msgs[k].msg_hdr.msg_namelen = sizeof dst;
    msgs[k].msg_hdr.msg_iov = &iov[k];
    msgs[k].msg_hdr.msg_iovlen = 1;
  }

  if (o.delay_ms > 0) usleep((useconds_t)o.delay_ms * 1000);
  long long sent = 0, errors = 0, done = 0, scanners = 0, probes = 0;
  int scan_port = 0;
  struct in_addr scanner = {0};
  int have_scanner = 0;
  const double t0 = now_s();
  const double deadline = t0 + o.max_seconds;
  for (;;) {
    double t = now_s();
    if (done >= o.count || t > deadline) break;
    long long due = (long long)((t - t0) * o.pps);
    if (due > o.count) due = o.count;
    long long n = due - done;
    if (n <= 0) {
      /* Until the next datagram is due (at least 20 us: the node needs the core more). */
      double wait = (double)(done + 1) / o.pps - (t - t0);
      struct timespec ts = {0, (long)(wait > 20e-6 ? wait * 1e9 : 20e3)};
      nanosleep(&ts, NULL);
      continue;
    }
    if (n > BATCH) n = BATCH;
    for (int k = 0; k < n; k++) {
      long long seq = done + k;
      struct udp4 *h = (struct udp4 *)frames[k];
      if (o.scan_every > 0 && seq % o.scan_every == 0) {
        if (!have_scanner) {
          scanner = scanner_addr(&o, scanners++);
          have_scanner = 1;
          scan_port = 0;
        }
        h->src = scanner.s_addr;
        h->sport = htons(SCAN_SRC_PORT);
        h->dport = htons((uint16_t)(SCAN_FIRST_PORT + scan_port));
        probes++;
        if (++scan_port >= o.scan_ports) have_scanner = 0;
      } else {
        h->src = o.host.s_addr;
        h->sport = htons(SRC_PORT);
        h->dport = htons((uint16_t)o.port);
      }
    }
    int off = 0;
    while (off < n) {
      int r = sendmmsg(s, msgs + off, (unsigned)(n - off), 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        errors++; /* that datagram is not sent; carry on with the next */
        off++;
        continue;
      }
      sent += r;
      off += r;
    }
    done += n;
  }
  double seconds = now_s() - t0;
  close(s);
  printf("{\"sent\":%lld,\"errors\":%lld,\"seconds\":%.6f,\"achieved_pps\":%lld,\"target_pps\":%lld,\"port\":%d,\"src_port\":%d,\"scanners\":%lld,\"scan_probes\":%lld}\n",
         sent, errors, seconds, (long long)(sent / (seconds > 0 ? seconds : 1)), (long long)o.pps, o.port, SRC_PORT, scanners, probes);
  return 0;
}
