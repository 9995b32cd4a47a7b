// The drop-rate bench says why a line has no rate (bench/node/frame-path.ts): session 17's
// live-generator lines came back empty with nothing to say where the frames stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { whyNoRate, type GeneratorOutcome } from '../bench/node/frame-path.ts';

const live = (o: Partial<GeneratorOutcome> = {}): GeneratorOutcome => ({ command: 'xdp-live-frames.py in r', exitCode: 0, signal: null, expectedExit: 0, frames: 1_000_000, stderr: '', ...o });
const COUNTER = "xdp-filter's hit counts";

test('a round that dropped frames through a generator that ran as planned has a rate', () => {
  assert.equal(whyNoRate({ generator: live(), queued: 900, lost: 100, received: 900, dropped: 900 }, COUNTER), null);
  assert.equal(whyNoRate({ generator: live({ command: 'hping3', exitCode: 124, expectedExit: 124, frames: undefined }), sent: 10, received: 10, dropped: 10 }, COUNTER), null);
  assert.equal(whyNoRate({ sent: 10, received: 10, dropped: 10 }, COUNTER), null);
});

test('a failed generator is the reason, with the last line it wrote, even when stray packets were dropped', () => {
  const why = whyNoRate({ generator: live({ exitCode: 1, frames: undefined, stderr: 'Traceback (most recent call last):\n  ...\nOSError: [Errno 22] bpf(10): Invalid argument\n' }), queued: 0, lost: 0, received: 2, dropped: 2 }, COUNTER);
  assert.equal(why, 'the generator (xdp-live-frames.py in r) exited with 1 (expected 0): OSError: [Errno 22] bpf(10): Invalid argument');
  assert.match(whyNoRate({ generator: live({ exitCode: 127, stderr: '' }), dropped: 0 }, COUNTER)!, /was not found \(exit 127\), printing nothing on stderr$/);
  assert.match(whyNoRate({ generator: live({ exitCode: null, signal: 'SIGKILL' }), dropped: 0 }, COUNTER)!, /was killed by SIGKILL/);
  assert.match(whyNoRate({ generator: live({ frames: 0 }), dropped: 0 }, COUNTER)!, /ran no frames/);
});

test('with the generator fine, the first stage where the frames stopped', () => {
  assert.equal(whyNoRate({ generator: live(), queued: 0, lost: 0, received: 0, dropped: 0 }, COUNTER), "the generator ran 1000000 frames but none reached the relay's out0: the relay's redirect program did not send them (is it attached to in0, redirecting to out0?)");
  assert.match(whyNoRate({ generator: live(), queued: 0, lost: 5000, received: 0, dropped: 0 }, COUNTER)!, /could hand none of its frames to the defender's veth \(tx_dropped 5000\)/);
  assert.match(whyNoRate({ generator: live(), queued: 5000, lost: 0, received: 0, dropped: 0 }, COUNTER)!, /received none of the frames \(the relay queued 5000 to it\)/);
  assert.match(whyNoRate({ generator: live(), queued: 5000, lost: 0, received: 5000, dropped: 0 }, COUNTER)!, /received 5000 frames and xdp-filter's hit counts counted none dropped/);
  assert.match(whyNoRate({ sent: 0, received: 0, dropped: 0 }, COUNTER)!, /attacker's eth0 sent no packets/);
});
