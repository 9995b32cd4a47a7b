/*
 * The smallest useful drop program, for drop-rate.ts's relay lab (xdp_min): drops a frame
 * whose source address is in banned4 (IPv4) or banned6 (IPv6), counting it in the entry's
 * per-CPU value; passes everything else. One hash lookup a frame, no other map, no libxdp
 * dispatcher: what xdp-filter (the XDP backend's program) costs beyond it is xdp-filter's own.
 *
 * Built at run time with clang -target bpf -g (BTF for the maps; no binary is shipped) and
 * loaded with bpftool (prog load … pinmaps) into a bpf filesystem of the lab's (xdp-min.ts).
 *
 * -DLPM (xdp-prog-run.ts only): banned4 is an LPM trie instead, keyed {prefix length, address},
 * its one value shared by every CPU (added to atomically): what matching IPv4 bans through
 * the map type that also holds nets would cost a frame against the per-CPU hash of exact
 * addresses (xdp-filter's, and the default here).
 *
 * No headers (Debian's linux/bpf.h needs asm/ from a multiarch path clang does not search):
 * the constants below are fixed in the kernel's UAPI (XDP_DROP 1, XDP_PASS 2, helper 1
 * bpf_map_lookup_elem, map type 5 BPF_MAP_TYPE_PERCPU_HASH, 11 BPF_MAP_TYPE_LPM_TRIE, map
 * flag 1 BPF_F_NO_PREALLOC, which an LPM trie requires).
 */
#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

struct xdp_md {
  u32 data;
  u32 data_end;
  u32 data_meta;
  u32 ingress_ifindex;
  u32 rx_queue_index;
  u32 egress_ifindex;
};

struct in6 {
  u8 b[16];
};

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;

#define MAX4 10000
#define MAX6 10000

#ifdef LPM
/* Key: prefix length (32 for one address), then the address in network order; value: frames dropped (all CPUs). */
struct lpm4 {
  u32 prefixlen;
  u32 addr;
};
struct {
  __uint(type, 11);
  __uint(max_entries, MAX4);
  __uint(map_flags, 1);
  __type(key, struct lpm4);
  __type(value, u64);
} banned4 SEC(".maps");
#else
/* Key: the source address in network order; value: frames dropped (per CPU). */
struct {
  __uint(type, 5);
  __uint(max_entries, MAX4);
  __type(key, u32);
  __type(value, u64);
} banned4 SEC(".maps");
#endif

struct {
  __uint(type, 5);
  __uint(max_entries, MAX6);
  __type(key, struct in6);
  __type(value, u64);
} banned6 SEC(".maps");

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NET16(x) ((u16)((((x) & 0xff) << 8) | ((x) >> 8)))
#else
#define NET16(x) ((u16)(x))
#endif

#define XDP_DROP 1
#define XDP_PASS 2

SEC("xdp") int autoimmune_drop(struct xdp_md *ctx) {
  u8 *p = (u8 *)(long)ctx->data;
  u8 *end = (u8 *)(long)ctx->data_end;
  if (p + 14 > end) return XDP_PASS;
  u16 proto = *(u16 *)(p + 12);
  p += 14;
  /* One VLAN tag (802.1Q or 802.1ad). */
  if (proto == NET16(0x8100) || proto == NET16(0x88a8)) {
    if (p + 4 > end) return XDP_PASS;
    proto = *(u16 *)(p + 2);
    p += 4;
  }
  u64 *hits;
  if (proto == NET16(0x0800)) {
    if (p + 20 > end) return XDP_PASS;
#ifdef LPM
    struct lpm4 k = {32, *(u32 *)(p + 12)};
    hits = bpf_map_lookup_elem(&banned4, &k);
    if (!hits) return XDP_PASS;
    __sync_fetch_and_add(hits, 1);
    return XDP_DROP;
#else
    hits = bpf_map_lookup_elem(&banned4, p + 12);
#endif
  } else if (proto == NET16(0x86dd)) {
    if (p + 40 > end) return XDP_PASS;
    hits = bpf_map_lookup_elem(&banned6, p + 8);
  } else
    return XDP_PASS;
  if (!hits) return XDP_PASS;
  *hits += 1;
  return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
