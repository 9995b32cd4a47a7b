// The first bytes of what common services say, for the made-up traffic of the warm-up
// (synthetic-traffic.ts): what the rules read in a payload's head (PAYLOAD_HEAD_BYTES), each
// as its protocol's specification lays it out, so the warm-up reaches the branches real
// traffic takes in the first seconds (a TLS handshake, an HTTP request and its status line, a
// login service's greeting and refusal, a DNS question, a QUIC Initial) and V8 optimises them
// before the first real packet. Only the heads matter: a payload's full length is given apart
// (a TLS record of 1,400 bytes carries its first bytes here, then zeros). Addresses inside
// payloads (SIP's URIs) are in the documentation blocks, as the packets' own.

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

/** A TLS 1.3 ClientHello's record: handshake (22), legacy version 3.1, length 512; ClientHello (1), 508; client version 3.3 (RFC 8446 §4.1.2, §5.1). */
export const TLS_CLIENT_HELLO = bytes(0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x5e, 0x91, 0x2a, 0x07, 0xc4);
/** The server's ServerHello record (handshake type 2), version 3.3. */
export const TLS_SERVER_HELLO = bytes(0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76, 0x03, 0x03, 0x8b, 0x10, 0xee, 0x43, 0x19);
/** Application data (23) under TLS 1.3's record version 3.3. */
export const TLS_APPLICATION_DATA = bytes(0x17, 0x03, 0x03, 0x05, 0x6b, 0x9c, 0x41, 0xd2, 0x7f, 0x00, 0x3a, 0xe1);
/** An HTTP/1.1 request with its first header fields (RFC 9112 §3). */
export const HTTP_GET = text('GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n');
/** A form's login (RFC 9110 §9.3.3). */
export const HTTP_POST_LOGIN = text('POST /login HTTP/1.1\r\nHost: www.example.com\r\nContent-Type: application/x-www-form-urlencoded\r\n');
/** Status lines a browser meets (RFC 9110 §15). */
export const HTTP_STATUSES = ['HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n', 'HTTP/1.1 301 Moved Permanently\r\nLocation: /\r\n', 'HTTP/1.1 404 Not Found\r\nServer: nginx\r\n', 'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic\r\n'].map(text);
/** An SSH client's identification string (RFC 4253 §4.2). */
export const SSH_CLIENT_BANNER = text('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n');
/** SSH_MSG_KEXINIT (20) in a binary packet: length, padding length, type, cookie, then the first name-list (RFC 4253 §6, §7.1). */
export const SSH_KEXINIT = bytes(0x00, 0x00, 0x05, 0xdc, 0x0a, 0x14, 0x3f, 0x11, 0x8e, 0x72, 0x05, 0xa9, 0xc2, 0x6d, 0x90, 0x1b, 0xe4, 0x57, 0x28, 0xb3, 0x66, 0x0d, 0x00, 0x00, 0x01, 0x0a, ...text('curve25519-sha256,ecdh-sha2-nistp256'));
/** An encrypted SSH packet: bytes with no structure to read. */
export const SSH_ENCRYPTED = bytes(0x8f, 0x2c, 0xd1, 0x74, 0x0b, 0xe6, 0x5a, 0x93, 0x31, 0xc8, 0x7e, 0x04, 0xaa, 0x5f, 0x16, 0xbd);
/** FTP's greeting, a login, its refusal and its acceptance (RFC 959 §4.2, §5.4). */
export const FTP = ['220 (vsFTPd 3.0.5)\r\n', 'USER admin\r\n', '331 Please specify the password.\r\n', 'PASS secret\r\n', '530 Login incorrect.\r\n', '230 Login successful.\r\n'].map(text);
/** SMTP's greeting, EHLO, its answer, AUTH, a refusal and an acceptance (RFC 5321 §4.2, RFC 4954 §6). */
export const SMTP = ['220 mail.example.com ESMTP Postfix\r\n', 'EHLO client.example.com\r\n', '250-mail.example.com\r\n250-AUTH PLAIN LOGIN\r\n', 'AUTH PLAIN AGFkbWluAHNlY3JldA==\r\n', '535 5.7.8 Error: authentication failed\r\n', '235 2.7.0 Authentication successful\r\n'].map(text);
/** POP3's greeting, a refusal and an acceptance (RFC 1939 §4, §7). */
export const POP3 = ['+OK Dovecot ready.\r\n', 'USER admin\r\n', '+OK\r\n', 'PASS secret\r\n', '-ERR [AUTH] Authentication failed.\r\n', '+OK Logged in.\r\n'].map(text);
/** MySQL's Initial Handshake packet (length 74 little-endian, sequence 0, protocol 10, the version), the client's login (sequence 1) and an ERR packet (0xff, 1045) (MySQL's client/server protocol). */
export const MYSQL = [
  bytes(0x4a, 0x00, 0x00, 0x00, 0x0a, ...text('8.0.36\0'), 0x0b, 0x00, 0x00, 0x00, 0x3c, 0x1f, 0x52, 0x08, 0x6e, 0x4d, 0x21, 0x39, 0x00, 0xff, 0xff, 0xff, 0x02, 0x00),
  bytes(0x55, 0x00, 0x00, 0x01, 0x8d, 0xa6, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x01, 0x21, 0x00, 0x00, 0x00),
  bytes(0x48, 0x00, 0x00, 0x02, 0xff, 0x15, 0x04, 0x23, ...text("28000Access denied for user 'root'")),
];
/** A DNS question for example.com's A record, and its answer (RFC 1035 §4.1). */
export const DNS_QUERY = bytes(0x4f, 0x1a, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x07, ...text('example'), 0x03, ...text('com'), 0x00, 0x00, 0x01, 0x00, 0x01);
export const DNS_ANSWER = bytes(0x4f, 0x1a, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, ...text('example'), 0x03, ...text('com'), 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01);
/** NTPv4 client (mode 3) and server (mode 4) packets (RFC 5905 §7.3). */
export const NTP_CLIENT = bytes(0x23, 0x00, 0x06, 0xe8);
export const NTP_SERVER = bytes(0x24, 0x02, 0x06, 0xe9, 0x00, 0x00, 0x00, 0x14);
/** A QUIC v1 client's Initial: long header, Initial, version 1, an 8-byte DCID, no SCID, no token (RFC 9000 §17.2.2); padded to 1,200 bytes by its length. */
export const QUIC_CLIENT_INITIAL = bytes(0xc3, 0x00, 0x00, 0x00, 0x01, 0x08, 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08, 0x00, 0x00, 0x44, 0x9e);
/** The server's Initial: its DCID the client's empty SCID. */
export const QUIC_SERVER_INITIAL = bytes(0xc1, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0xf0, 0x67, 0xa5, 0x50, 0x2a, 0x42, 0x62, 0xb5, 0x00, 0x40, 0x75);
/** A SIP OPTIONS request and its answer (RFC 3261 §7, §11). */
export const SIP = ['OPTIONS sip:100@192.0.2.10 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060\r\n', 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1:5060\r\n'].map(text);
/** What reflectors answer with when an attacker forges a victim's address (unasked answers): DNS (an ANY answer), NTP's monlist (mode 7), SSDP (HTTP over UDP), memcached's stats (CISA's UDP-based amplification alert TA14-017A lists these). */
export const REFLECTED = [DNS_ANSWER, bytes(0xd7, 0x00, 0x03, 0x2a, 0x00, 0x06, 0x00, 0x48), text('HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nST: upnp:rootdevice\r\n'), bytes(0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, ...text('STAT pid 1\r\n'))];
/** The reflectors' ports for REFLECTED, in order: DNS, NTP, SSDP, memcached. */
export const REFLECTED_PORTS = [53, 123, 1900, 11211];
