#!/usr/bin/python3
"""A packet generator in the kernel for drop-rate.ts's relay lab: runs the XDP program attached
to an interface on one UDP frame over and over with BPF_PROG_TEST_RUN in live-frames mode
(BPF_F_TEST_XDP_LIVE_FRAMES, kernel 5.18+), so what it returns happens for real: the relay's
redirect program sends every frame into out0, and the defender's veth receives them as
xdp_frames, far faster than hping3 can (a few million a second from one core, against
60-130 thousand). This is what xdp-trafficgen does; its own build fails to load on this kernel.

  ip netns exec RELAY xdp-live-frames.py IFACE SRC_IP DST_IP DST_MAC SECONDS

IFACE: the interface whose attached XDP program runs (and the frames' ingress); SRC_IP, DST_IP
the frame's IPv4 addresses, DST_MAC its destination. Prints the frames run, as JSON; on failure
one line on stderr saying which step failed (drop-rate.ts puts it in the lines it cannot
measure) and exit status 1.
Plain ctypes on the bpf(2) system call: no libbpf, no scapy.
"""
import ctypes
import json
import os
import socket
import struct
import subprocess
import sys
import time

SYS_BPF = 321  # x86_64
BPF_PROG_TEST_RUN = 10
BPF_PROG_GET_FD_BY_ID = 13
BPF_F_TEST_XDP_LIVE_FRAMES = 1 << 1

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def bpf(cmd: int, attr: ctypes.Array) -> int:
    r = libc.syscall(SYS_BPF, cmd, ctypes.byref(attr), ctypes.sizeof(attr))
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, f"bpf({cmd}): {os.strerror(e)}")
    return r


def checksum(b: bytes) -> int:
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def frame(src_ip: str, dst_ip: str, dst_mac: str, src_mac: str) -> bytes:
    payload = bytes(18)
    udp = struct.pack("!HHHH", 2048, 9, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
    return mac(dst_mac) + mac(src_mac) + b"\x08\x00" + ip + udp


def main() -> None:
    iface, src_ip, dst_ip, dst_mac, seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
    shown = subprocess.run(["ip", "-j", "link", "show", iface], capture_output=True, text=True)
    if shown.returncode != 0:
        sys.exit(f"xdp-live-frames: ip link show {iface}: {shown.stderr.strip()}")
    link = json.loads(shown.stdout)[0]
    prog_id = link.get("xdp", {}).get("prog", {}).get("id")
    if prog_id is None:
        sys.exit(f"xdp-live-frames: no XDP program attached to {iface} (ip -j link show {iface} names none)")
    ifindex = link["ifindex"]

    attr = ctypes.create_string_buffer(128)
    struct.pack_into("I", attr, 0, prog_id)
    prog_fd = bpf(BPF_PROG_GET_FD_BY_ID, attr)

    data = frame(src_ip, dst_ip, dst_mac, link["address"])
    data_buf = ctypes.create_string_buffer(data, len(data))
    # struct xdp_md: data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex
    ctx = ctypes.create_string_buffer(struct.pack("6I", 0, len(data), 0, ifindex, 0, 0), 24)
    repeat = 1 << 18
    runs = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        attr = ctypes.create_string_buffer(128)
        struct.pack_into("IIII", attr, 0, prog_fd, 0, len(data), 0)
        struct.pack_into("QQ", attr, 16, ctypes.addressof(data_buf), 0)
        struct.pack_into("II", attr, 32, repeat, 0)
        struct.pack_into("II", attr, 40, len(ctx), 0)
        struct.pack_into("QQ", attr, 48, ctypes.addressof(ctx), 0)
        struct.pack_into("III", attr, 64, BPF_F_TEST_XDP_LIVE_FRAMES, 0, 0)
        try:
            bpf(BPF_PROG_TEST_RUN, attr)
        except OSError as e:
            sys.exit(f"xdp-live-frames: BPF_PROG_TEST_RUN with live frames (kernel 5.18+) refused after {runs} frames: {e.strerror}")
        runs += repeat
    print(json.dumps({"frames": runs}))


main()
