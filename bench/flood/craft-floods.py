#!/usr/bin/python3
# Spoofed floods to random ports of one victim (Debian's python3-scapy), for
# test/flow-attempts.test.ts and for measuring stored rows with bench/node/node-run.ts:
#   /usr/bin/python3 bench/flood/craft-floods.py OUT_DIR [PACKETS] [SECONDS]
# Writes OUT_DIR/flood_syn_random_ports.pcap (TCP SYNs from random forged sources to random
# ports of 203.0.113.50), OUT_DIR/flood_udp_random_ports.pcap (one-datagram UDP flows from
# random forged sources to random ports of 203.0.113.60), OUT_DIR/flood_udp_one_port.pcap (the
# same to port 53 of 203.0.113.70) and OUT_DIR/flood_udp_two_ports.pcap (to ports 53 and 123 of
# 203.0.113.80, each datagram to either at random), PACKETS each (default 60,000) spread evenly
# over SECONDS of capture time (default 150: three 60 s slots). Deterministic (fixed seed and
# clock). Large: keep them in a temp dir, never in the repository.
# scapy builds one frame of each kind; each packet is that frame with its addresses, ports,
# sequence number and checksums rewritten (scapy building every frame took 100 s for 120,000).
import random, struct, sys
from scapy.all import Ether, IP, UDP, TCP, Raw, PcapWriter

out = sys.argv[1] if len(sys.argv) > 1 else '.'
n = int(sys.argv[2]) if len(sys.argv) > 2 else 60_000
span = float(sys.argv[3]) if len(sys.argv) > 3 else 150.0
T0 = 1_700_000_000.0
ETH = 14

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack(f'!{len(b) // 2}H', b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def frame(template, proto, src, sport, dport, ident, seq):
    f = bytearray(template)
    ip = f[ETH:ETH + 20]
    ip[4:6] = struct.pack('!H', ident)
    ip[12:16] = bytes(src)
    ip[10:12] = b'\0\0'
    ip[10:12] = struct.pack('!H', csum(bytes(ip)))
    f[ETH:ETH + 20] = ip
    l4 = f[ETH + 20:]
    l4[0:4] = struct.pack('!HH', sport, dport)
    ck = 16 if proto == 6 else 6
    if proto == 6: l4[4:8] = struct.pack('!I', seq)
    l4[ck:ck + 2] = b'\0\0'
    pseudo = bytes(ip[12:20]) + struct.pack('!BBH', 0, proto, len(l4))
    l4[ck:ck + 2] = struct.pack('!H', csum(pseudo + bytes(l4)) or 0xffff)
    f[ETH + 20:] = l4
    return bytes(f)

def write(name, template, proto, victim_seed, ports=None):
    rnd = random.Random(victim_seed)
    w = PcapWriter(f'{out}/{name}', linktype=1, sync=False)
    w.write_header(None)
    for k in range(n):
        # random unicast sources outside the documentation range the victims are in
        src = (rnd.randrange(1, 224), rnd.randrange(256), rnd.randrange(256), rnd.randrange(1, 255))
        raw = frame(template, proto, src, rnd.randrange(1024, 65536), rnd.choice(ports) if ports else rnd.randrange(1, 65536), k & 0xffff, rnd.getrandbits(32))
        t = T0 + span * k / n
        sec = int(t)
        w.write_packet(raw, sec=sec, usec=int(round((t - sec) * 1e6)), caplen=len(raw), wirelen=len(raw))
    w.close()

write('flood_syn_random_ports.pcap', bytes(Ether() / IP(src='1.1.1.1', dst='203.0.113.50', ttl=64) / TCP(flags='S', window=1024)), 6, 20)
write('flood_udp_random_ports.pcap', bytes(Ether() / IP(src='1.1.1.1', dst='203.0.113.60', ttl=64) / UDP() / Raw(b'\x00' * 32)), 17, 21)
udp = lambda victim: bytes(Ether() / IP(src='1.1.1.1', dst=victim, ttl=64) / UDP() / Raw(b'\x00' * 32))
write('flood_udp_one_port.pcap', udp('203.0.113.70'), 17, 22, (53,))
write('flood_udp_two_ports.pcap', udp('203.0.113.80'), 17, 23, (53, 123))
