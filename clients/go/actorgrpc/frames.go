package actorgrpc

import (
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/actorgrpc/actorgrpc/clients/go/internal/wire"
)

// A frame is one StreamRequest being assembled: whatever callers queue while
// the writer is busy leaves together in the next frame. Consecutive calls of
// one command to one actor without keyword arguments (same wire.EnvKey, and for
// asks consecutive ids) share one envelope, batch_args_json, whose call i has
// id firstID + i: a burst costs one envelope, not one per message.
type frame struct {
	buf    []byte // envelopes already closed
	calls  int    // calls in the frame (a batch counts each of its calls)
	lastID uint64 // the id of its last ask (ids grow in queue order), 0 if none

	// The batch the frame ends with, while more calls may join it.
	open    bool
	key     wire.EnvKey
	firstID uint64
	n       int    // calls in the batch
	parts   []byte // their argument arrays, comma-separated
}

// size is the frame's encoded size if it were closed now (at most).
func (f *frame) size() int {
	if !f.open {
		return len(f.buf)
	}
	return len(f.buf) + f.batchSize()
}

func (f *frame) batchSize() int {
	return len(f.parts) + 2 + len(f.key.Target) + len(f.key.Action) + wire.EnvelopeOverhead
}

// closeBatch encodes the open batch: args_json for a lone call (what any
// server understands), batch_args_json for several.
func (f *frame) closeBatch() {
	if !f.open {
		return
	}
	f.open = false
	if f.n == 1 {
		f.buf = wire.AppendEnvelope(f.buf, f.firstID, &f.key, f.parts, nil)
	} else {
		f.buf = wire.AppendEnvelopeHead(f.buf, f.firstID, &f.key, wire.FieldEnvBatchArgs, len(f.parts)+2, 0)
		f.buf = append(f.buf, '[')
		f.buf = append(f.buf, f.parts...)
		f.buf = append(f.buf, ']')
	}
	f.parts = f.parts[:0]
}

// bytes closes the frame and returns the StreamRequest.
func (f *frame) bytes() []byte {
	f.closeBatch()
	return f.buf
}

// frameQueue holds the frames waiting for the writer, oldest first; only the
// last one takes new calls. A frame holds at most maxCalls calls and
// maxBytes bytes.
type frameQueue struct {
	maxBytes int
	maxCalls int
	frames   []*frame
}

func (q *frameQueue) len() int { return len(q.frames) }

// room returns the frame that can take size more bytes, starting one if needed.
func (q *frameQueue) room(size int) *frame {
	if n := len(q.frames); n > 0 {
		f := q.frames[n-1]
		if f.calls < q.maxCalls && f.size()+size <= q.maxBytes {
			return f
		}
		f.closeBatch() // it leaves as it is
	}
	f := &frame{buf: make([]byte, 0, 512)}
	q.frames = append(q.frames, f)
	return f
}

// pushCall queues a call without keyword arguments whose positional
// arguments are the JSON array args (id 0 for a tell).
func (q *frameQueue) pushCall(k wire.EnvKey, id uint64, args []byte) {
	if n := len(q.frames); n > 0 {
		f := q.frames[n-1]
		if f.open && f.key == k && (id == 0 || f.firstID+uint64(f.n) == id) &&
			f.calls < q.maxCalls && f.size()+len(args)+1 <= q.maxBytes {
			f.parts = append(f.parts, ',')
			f.parts = append(f.parts, args...)
			f.n++
			f.calls++
			f.lastID = max(f.lastID, id)
			return
		}
	}
	f := q.room(len(args) + 2 + len(k.Target) + len(k.Action) + wire.EnvelopeOverhead)
	f.closeBatch()
	f.open, f.key, f.firstID, f.n = true, k, id, 1
	f.parts = append(f.parts[:0], args...)
	f.calls++
	f.lastID = max(f.lastID, id)
}

// pushEnvelope queues a call with keyword arguments: an envelope of its own.
func (q *frameQueue) pushEnvelope(k wire.EnvKey, id uint64, args, kwargs []byte) {
	size := wire.EnvelopeBodySize(id, &k, len(args), len(kwargs))
	f := q.room(size + protowire.SizeTag(wire.FieldFrameEntries) + protowire.SizeVarint(uint64(size)))
	f.closeBatch()
	f.buf = wire.AppendEnvelope(f.buf, id, &k, args, kwargs)
	f.calls++
	f.lastID = max(f.lastID, id)
}

// pop removes the oldest frame; its StreamRequest and the id of its last ask.
func (q *frameQueue) pop() ([]byte, uint64) {
	f := q.frames[0]
	q.frames[0] = nil
	q.frames = q.frames[1:]
	if len(q.frames) == 0 {
		q.frames = q.frames[:0:0] // let the backing array go
	}
	return f.bytes(), f.lastID
}

func (q *frameQueue) clear() { q.frames = nil }

// callSize is the most bytes one call can add to a frame: a call larger than
// a frame's limit is refused before it is queued.
func callSize(k *wire.EnvKey, args, kwargs []byte) int {
	size := wire.EnvelopeBodySize(1<<63, k, len(args)+2, len(kwargs))
	return size + protowire.SizeTag(wire.FieldFrameEntries) + protowire.SizeVarint(uint64(size))
}
