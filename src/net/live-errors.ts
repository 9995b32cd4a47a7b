// Errors raised by live capture. Codes are stable; each message is one line that names the
// interface or value at fault and says what to do.
//
//   AI_ERR_CAPTURE_NOT_PERMITTED  no root / CAP_NET_RAW
//   AI_ERR_CAPTURE_NO_INTERFACE   no interface of that name (the message lists the ones there are)
//   AI_ERR_CAPTURE_FILTER         the BPF filter does not compile
//   AI_ERR_CAPTURE_OPEN           libpcap refused to open the interface for another reason
//   AI_ERR_CAPTURE_READ           reading failed after opening (the interface went down or away)
//   AI_ERR_CAPTURE_LIBRARY        the native capture library is missing or not built
//   AI_ERR_CAPTURE_MODE           next() on a capture that delivers to onBatch

import { AutoimmuneError } from '../errors.ts';

export class LiveCaptureError extends AutoimmuneError {
  override readonly code: string = 'AI_ERR_CAPTURE';
  /** The interface asked for. */
  readonly iface: string;

  constructor(iface: string, message: string, options?: { cause?: unknown }) {
    super('AI_ERR_CAPTURE', message, options);
    this.iface = iface;
  }
}

export class CapturePermissionError extends LiveCaptureError {
  override readonly code = 'AI_ERR_CAPTURE_NOT_PERMITTED';

  constructor(iface: string, options?: { cause?: unknown }) {
    super(iface, `capturing on ${iface} needs root or CAP_NET_RAW; run as root (or as a service with that capability: autoimmune install-service), or feed captures to the running node with \`autoimmune replay --to URL FILE\``, options);
  }
}

export class CaptureInterfaceError extends LiveCaptureError {
  override readonly code = 'AI_ERR_CAPTURE_NO_INTERFACE';
  /** What libpcap can capture on, for the message and for callers that want to offer a choice. */
  readonly available: readonly string[];

  constructor(iface: string, available: readonly string[], options?: { cause?: unknown }) {
    super(iface, `no capture interface named ${JSON.stringify(iface)}; available: ${available.join(', ') || '(none)'}`, options);
    this.available = available;
  }
}

export class CaptureFilterError extends LiveCaptureError {
  override readonly code = 'AI_ERR_CAPTURE_FILTER';
  readonly filter: string;

  constructor(iface: string, filter: string, reason: string, options?: { cause?: unknown }) {
    super(iface, `BPF filter ${JSON.stringify(filter)} for ${iface} does not compile: ${reason}; fix it (syntax: man 7 pcap-filter)`, options);
    this.filter = filter;
  }
}

export class CaptureOpenError extends LiveCaptureError {
  override readonly code = 'AI_ERR_CAPTURE_OPEN';
}

export class CaptureReadError extends LiveCaptureError {
  override readonly code = 'AI_ERR_CAPTURE_READ';
}

export class CaptureLibraryError extends LiveCaptureError {
  override readonly code = 'AI_ERR_CAPTURE_LIBRARY';
}

export class CaptureModeError extends LiveCaptureError {
  override readonly code = 'AI_ERR_CAPTURE_MODE';
}
