/*
 * Four XDP programs for drop-rate.ts's relay lab, built at run time with clang -target bpf
 * (no binary is shipped) and attached with `ip link set dev … xdpdrv obj … sec xdp`:
 *
 *   -DOUT=IFINDEX  redirect: every frame to interface IFINDEX (bpf_redirect). On a veth the
 *                  frame reaches the peer through ndo_xdp_xmit as an xdp_frame, no skb.
 *   -DDROP         drop: XDP_DROP every frame, no lookup: the floor of any XDP drop there.
 *   -DDROP_READ    the same after reading the frame's EtherType: what touching the packet's
 *                  data (its first cache line) adds to that floor.
 *   (neither)      pass: XDP_PASS, so the receiving veth builds the skb the stack needs.
 *
 * No headers (Debian's linux/bpf.h needs asm/ from a multiarch path clang does not search):
 * XDP_DROP is 1, XDP_PASS 2, and helper 23 is bpf_redirect, both fixed in the kernel's UAPI.
 */
#define SEC(name) __attribute__((section(name), used))

struct xdp_md {
  unsigned int data;
  unsigned int data_end;
};
static long (*bpf_redirect)(unsigned int ifindex, unsigned long long flags) = (void *)23;

#ifdef OUT
SEC("xdp") int relay_redirect(struct xdp_md *ctx) { return (int)bpf_redirect(OUT, 0); }
#elif defined(DROP)
SEC("xdp") int relay_drop(struct xdp_md *ctx) { return 1; }
#elif defined(DROP_READ)
SEC("xdp") int relay_drop_read(struct xdp_md *ctx) {
  unsigned char *p = (unsigned char *)(long)ctx->data;
  if (p + 14 > (unsigned char *)(long)ctx->data_end) return 2;
  return *(unsigned short *)(p + 12) == 0xffff ? 2 : 1;
}
#else
SEC("xdp") int relay_pass(struct xdp_md *ctx) { return 2; }
#endif

char _license[] SEC("license") = "GPL";
