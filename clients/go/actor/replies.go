package actor

import (
	"sync"

	"google.golang.org/grpc"

	"github.com/actorgrpc/actorgrpc/clients/go/internal/wire"
)

// Bounds of a stream's replies.
const (
	// maxReplyBatch is the most replies in one frame (Python's MAX_REPLY_BATCH).
	maxReplyBatch = 1024
	// maxQueuedReplyFrames is how many reply frames may wait for the network
	// before the stream reads no more requests: a client that does not read
	// its replies is held back by gRPC's flow control, not by our memory.
	maxQueuedReplyFrames = 2
)

// replyWriter writes a stream's replies, one frame at a time, from one
// goroutine (gRPC allows one writer per stream): replies queued while a
// frame is written leave together in the next one.
type replyWriter struct {
	ss    grpc.ServerStream
	limit int // bytes of one frame

	mu      sync.Mutex
	frames  [][]byte // the last one takes new replies
	counts  []int
	writing bool
	idle    *sync.Cond // signalled when the queue empties or the writer stops
	wake    chan struct{}
	done    bool
	err     error
	stopped chan struct{}
}

func newReplyWriter(ss grpc.ServerStream, limit int) *replyWriter {
	w := &replyWriter{ss: ss, limit: limit, wake: make(chan struct{}, 1), stopped: make(chan struct{})}
	w.idle = sync.NewCond(&w.mu)
	go w.run()
	return w
}

// push queues encoded Reply entries (each at most the frame limit: the
// caller checked), in order.
func (w *replyWriter) push(entries ...[]byte) {
	if len(entries) == 0 {
		return
	}
	w.mu.Lock()
	if w.done {
		w.mu.Unlock()
		return // the stream is over: replies have nowhere to go
	}
	for _, e := range entries {
		n := len(w.frames)
		if n == 0 || w.counts[n-1] >= maxReplyBatch || len(w.frames[n-1])+len(e) > w.limit {
			w.frames = append(w.frames, make([]byte, 0, max(len(e), 256)))
			w.counts = append(w.counts, 0)
			n++
		}
		w.frames[n-1] = append(w.frames[n-1], e...)
		w.counts[n-1]++
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// backlog is how many frames wait to be written.
func (w *replyWriter) backlog() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.frames)
}

func (w *replyWriter) run() {
	defer close(w.stopped)
	for {
		w.mu.Lock()
		for len(w.frames) == 0 && !w.done {
			w.writing = false
			w.idle.Broadcast()
			w.mu.Unlock()
			<-w.wake
			w.mu.Lock()
		}
		if len(w.frames) == 0 { // done, and nothing left to write
			w.writing = false
			w.idle.Broadcast()
			w.mu.Unlock()
			return
		}
		frame := w.frames[0]
		w.frames, w.counts = w.frames[1:], w.counts[1:]
		w.writing = true
		w.mu.Unlock()
		if err := w.ss.SendMsg(frame); err != nil {
			w.mu.Lock()
			w.err, w.done, w.frames, w.counts = err, true, nil, nil
			w.writing = false
			w.idle.Broadcast()
			w.mu.Unlock()
			return
		}
	}
}

// waitIdle waits until everything queued is written; the stream's error if
// a write failed.
func (w *replyWriter) waitIdle() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for (len(w.frames) > 0 || w.writing) && w.err == nil {
		w.idle.Wait()
	}
	return w.err
}

// close writes what is queued, then stops the writer and waits for it: the
// stream's handler may return only then.
func (w *replyWriter) close() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	<-w.stopped
}

// replyRun collects the JSON results of consecutive successful calls (of
// one batch envelope: consecutive ids), which leave as one Reply
// (batch_results_json, or result_json for one).
type replyRun struct {
	limit   int
	firstID uint64
	results [][]byte
	size    int
}

func (r *replyRun) add(id uint64, result []byte, out *[][]byte) {
	if len(r.results) > 0 && id != r.firstID+uint64(len(r.results)) {
		r.flush(out) // not the next call of the run: a reply of its own
	}
	if len(r.results) == 0 {
		r.firstID, r.size = id, 0
	}
	r.results = append(r.results, result)
	r.size += len(result) + 1
	if r.size > r.limit/2 { // well within a frame
		r.flush(out)
	}
}

func (r *replyRun) flush(out *[][]byte) {
	if len(r.results) == 0 {
		return
	}
	if len(r.results) == 1 {
		*out = append(*out, wire.AppendResultJSON(nil, r.firstID, r.results[0]))
	} else {
		*out = append(*out, wire.AppendBatchResults(nil, r.firstID, r.results))
	}
	r.results = r.results[:0]
}
