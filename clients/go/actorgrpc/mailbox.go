package actorgrpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/actorgrpc/actorgrpc/clients/go/internal/wire"
)

// Bounds and timing margins of a mailbox stream.
const (
	// maxFrameCalls is the most calls in one frame: it bounds the latency a
	// full frame adds to the calls at its end (Python's MAX_BATCH).
	maxFrameCalls = 1024
	// frameOverhead is room kept for a frame's own framing bytes.
	frameOverhead = 64
	// maxQueuedFrames is how many frames may wait for the writer before a
	// tell waits for room: it bounds what a fast teller can make us hold.
	maxQueuedFrames = 4
	// connectTimeout bounds the connection to a mailbox: a live actor's
	// mailbox answers in a millisecond; an address that does not within 5 s
	// is not served (Python's CONNECT_TIMEOUT).
	connectTimeout = 5 * time.Second
	// statusWait is how long a failed write waits for the read side to report
	// the stream's status (UNAVAILABLE ...), which says more than the write's
	// io.EOF; the read side normally reports within microseconds.
	statusWait = time.Second
	// closeFlushTimeout bounds how long Close waits for queued tells to be
	// written to a live stream.
	closeFlushTimeout = time.Second
)

var streamDesc = grpc.StreamDesc{StreamName: "Stream", ServerStreams: true, ClientStreams: true}

const streamMethod = "/actorgrpc.v1.MailboxService/Stream"

// errNotDelivered marks a call that never left: the stream to the address
// could not be opened. Like ActorNotHosted, a name may be resolved again.
var errNotDelivered = errors.New("not delivered")

// mailboxConn is one long-lived MailboxService.Stream to one address, shared
// by every caller: calls are multiplexed by id, queued in call order (which
// gives per-sender ordering), batched into frames by one writer goroutine
// and answered through one reader goroutine.
type mailboxConn struct {
	address    string
	maxPending int
	onClosed   func(*mailboxConn) // the router forgets the connection

	ready   chan struct{} // closed once connected, or once connecting failed
	connErr error         // why it could not connect (set before ready closes)
	cc      *grpc.ClientConn
	stream  grpc.ClientStream
	cancel  context.CancelFunc

	mu         sync.Mutex
	nextID     uint64
	pending    map[uint64]*call
	queue      frameQueue
	writerIdle bool
	writing    bool          // a frame is in SendMsg (the writer's, or a caller's)
	wake       chan struct{} // wakes an idle writer
	room       chan struct{} // closed (and replaced) when frames leave the queue
	closed     bool
	closeErr   error // what pending and new calls fail with once closed

	// written is the id of the last ask handed to gRPC: later ones never left.
	written atomic.Uint64

	writerDone   chan struct{}
	readerDone   chan struct{}
	directWrites sync.WaitGroup // callers in SendMsg (see ask)
	shutdownOnce sync.Once
}

func newMailboxConn(address string, maxMessageBytes, maxPending int, onClosed func(*mailboxConn)) *mailboxConn {
	return &mailboxConn{
		address:    address,
		maxPending: maxPending,
		onClosed:   onClosed,
		ready:      make(chan struct{}),
		pending:    make(map[uint64]*call),
		queue:      frameQueue{maxBytes: maxMessageBytes - frameOverhead, maxCalls: maxFrameCalls},
		wake:       make(chan struct{}, 1),
		room:       make(chan struct{}),
		writerDone: make(chan struct{}),
		readerDone: make(chan struct{}),
	}
}

// connect opens the channel and the stream; callers wait on ready.
func (m *mailboxConn) connect(dialOpts []grpc.DialOption) {
	defer close(m.ready)
	fail := func(err error) {
		m.connErr = fmt.Errorf("%w: could not open a stream to the actor mailbox at %s: %v",
			errNotDelivered, m.address, err)
		m.mu.Lock()
		m.closed = true
		m.closeErr = m.connErr
		m.mu.Unlock()
		close(m.writerDone)
		close(m.readerDone)
		m.onClosed(m)
	}
	cc, err := grpc.NewClient(m.address, dialOpts...)
	if err != nil {
		fail(err)
		return
	}
	// The stream lives as long as the connection; only its opening is bounded.
	ctx, cancel := context.WithCancel(context.Background())
	timer := time.AfterFunc(connectTimeout, cancel)
	stream, err := cc.NewStream(ctx, &streamDesc, streamMethod, grpc.ForceCodecV2(wire.RawCodec{}))
	if !timer.Stop() && err == nil {
		err = fmt.Errorf("no stream within %v", connectTimeout)
	}
	if err != nil {
		cancel()
		cc.Close()
		fail(err)
		return
	}
	m.cc, m.stream, m.cancel = cc, stream, cancel
	go m.writeLoop()
	go m.readLoop()
}

// waitReady waits until the stream is open; errNotDelivered if it cannot be.
func (m *mailboxConn) waitReady(ctx context.Context) error {
	select {
	case <-m.ready:
		return m.connErr
	default:
	}
	select {
	case <-m.ready:
		return m.connErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ask queues a call and returns it, or an error if it could not be queued
// (the stream is closed, too many calls are pending). The caller waits on
// call.done and calls forget if it gives up first.
func (m *mailboxConn) ask(k wire.EnvKey, args, kwargs []byte) (*call, uint64, error) {
	c := newCall()
	m.mu.Lock()
	if m.closed {
		err := m.closedError()
		m.mu.Unlock()
		c.release()
		return nil, 0, err
	}
	if len(m.pending) >= m.maxPending {
		m.mu.Unlock()
		c.release()
		return nil, 0, localError("send", "", codes.ResourceExhausted, ReasonResourceExhausted,
			"%d calls are already pending on the stream to %s (the limit)", m.maxPending, m.address)
	}
	m.nextID++
	id := m.nextID
	m.pending[id] = c
	m.enqueueLocked(k, id, args, kwargs)
	if m.writing || len(m.pending) > 1 || m.queue.len() != 1 || m.queue.frames[0].size() > directWriteMax {
		m.wakeWriterLocked()
		m.mu.Unlock()
		return c, id, nil
	}
	// A lone ask (no other call pending, nothing being written): the caller
	// writes it at once, without handing it to the writer goroutine (one
	// goroutine switch less, often one thread wake-up less, on every
	// sequential round trip). Calls made while others are pending go
	// through the writer, which lets a burst gather into a few frames:
	// writing each at once, alone, would cost the receiver a frame per call.
	m.writing = true
	m.directWrites.Add(1) // before closed can be set: close waits for it
	data, lastID := m.popLocked()
	m.mu.Unlock()
	err := m.stream.SendMsg(data)
	m.directWrites.Done()
	if err != nil {
		go m.writeFailed(err) // the call fails with the stream's status
		return c, id, nil
	}
	m.written.Store(lastID)
	m.mu.Lock()
	m.writing = false
	if m.queue.len() > 0 {
		m.wakeWriterLocked() // what queued meanwhile leaves with the writer
	}
	m.mu.Unlock()
	return c, id, nil
}

// directWriteMax bounds the frame a caller writes itself: gRPC's SendMsg
// waits when the stream's send quota is used up, and a small frame of an
// idle stream never meets that wait.
const directWriteMax = 16 << 10

// tell queues a fire-and-forget call, first waiting (within ctx) while too
// many frames wait for the writer.
func (m *mailboxConn) tell(ctx context.Context, k wire.EnvKey, args, kwargs []byte) error {
	m.mu.Lock()
	for !m.closed && m.queue.len() > maxQueuedFrames {
		room := m.room
		m.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return ctx.Err()
		}
		m.mu.Lock()
	}
	if m.closed {
		err := m.closedError()
		m.mu.Unlock()
		return err
	}
	m.enqueueLocked(k, 0, args, kwargs)
	m.wakeWriterLocked()
	m.mu.Unlock()
	return nil
}

// closedError is what a call made on a closed stream fails with: it never
// left, so it is also errNotDelivered (a name may be resolved again).
func (m *mailboxConn) closedError() error {
	if errors.Is(m.closeErr, errNotDelivered) {
		return m.closeErr
	}
	return fmt.Errorf("%w: %w", errNotDelivered, m.closeErr)
}

func (m *mailboxConn) enqueueLocked(k wire.EnvKey, id uint64, args, kwargs []byte) {
	if len(kwargs) == 0 {
		m.queue.pushCall(k, id, args)
	} else {
		m.queue.pushEnvelope(k, id, args, kwargs)
	}
}

// wakeWriterLocked wakes the writer goroutine if it waits.
func (m *mailboxConn) wakeWriterLocked() {
	if m.writerIdle {
		m.writerIdle = false
		m.wake <- struct{}{}
	}
}

// popLocked takes the oldest frame, and lets tells waiting for room go on.
func (m *mailboxConn) popLocked() ([]byte, uint64) {
	data, lastID := m.queue.pop()
	if m.queue.len() <= maxQueuedFrames {
		close(m.room)
		m.room = make(chan struct{})
	}
	return data, lastID
}

// forget drops a call its caller gave up on; it reports false when the
// reader already took it (its outcome is being set: wait on done).
func (m *mailboxConn) forget(id uint64, c *call) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pending[id] == c {
		delete(m.pending, id)
		return true
	}
	return false
}

// writeLoop writes one frame at a time: whatever is queued while a frame is
// being written leaves together in the next one. (A caller may write a lone
// ask itself: writing says that someone is in SendMsg.)
func (m *mailboxConn) writeLoop() {
	defer close(m.writerDone)
	m.mu.Lock()
	for {
		for (m.queue.len() == 0 || m.writing) && !m.closed {
			m.writerIdle = true
			m.mu.Unlock()
			<-m.wake
			// Let the goroutines that are ready to queue calls do so before
			// the frame is taken: a burst then leaves in a few large frames
			// instead of many small ones (a frame costs the receiver far more
			// than a call in it). With nothing else to run this returns at once.
			runtime.Gosched()
			m.mu.Lock()
		}
		if m.closed {
			m.mu.Unlock()
			return
		}
		m.writing = true
		data, lastID := m.popLocked()
		m.mu.Unlock()
		if err := m.stream.SendMsg(data); err != nil {
			m.writeFailed(err)
			return
		}
		if lastID != 0 {
			m.written.Store(lastID)
		}
		m.mu.Lock()
		m.writing = false
	}
}

// writeFailed: the stream is over. gRPC's SendMsg says io.EOF without the
// status; the read side ends with the status and reports it, unless it does
// not within statusWait.
func (m *mailboxConn) writeFailed(err error) {
	select {
	case <-m.readerDone:
	case <-time.After(statusWait):
	}
	m.fail(streamLost(m.address, err))
}

// readLoop reads reply frames and completes their calls.
func (m *mailboxConn) readLoop() {
	defer close(m.readerDone)
	var outcomes []wire.Outcome
	var calls []*call
	for {
		var data []byte
		if err := m.stream.RecvMsg(&data); err != nil {
			m.fail(streamLost(m.address, err))
			return
		}
		outcomes = outcomes[:0]
		if err := wire.ParseReplies(data, func(o wire.Outcome) { outcomes = append(outcomes, o) }); err != nil {
			m.fail(streamLost(m.address, err))
			return
		}
		// One lock per frame; the callers are woken outside it.
		calls = calls[:0]
		m.mu.Lock()
		for i := range outcomes {
			c, ok := m.pending[outcomes[i].ID]
			if ok {
				delete(m.pending, outcomes[i].ID)
			}
			calls = append(calls, c)
		}
		m.mu.Unlock()
		for i, c := range calls {
			if c != nil {
				c.settle(&outcomes[i])
				close(c.done)
			}
		}
	}
}

// streamLost is the error of calls pending when the stream ends. A stream
// refused for its credentials says so (the calls did not run); any other end
// is UNAVAILABLE: the actor may have died, and the call may or may not have run.
func streamLost(address string, err error) error {
	st, ok := status.FromError(err)
	if ok && (st.Code() == codes.Unauthenticated || st.Code() == codes.PermissionDenied) {
		return statusError("send", "", st)
	}
	detail := ""
	switch {
	case errors.Is(err, io.EOF):
		detail = ": the actor closed the stream"
	case ok:
		detail = fmt.Sprintf(": %s %s", CodeName(st.Code()), st.Message())
	default:
		detail = ": " + err.Error()
	}
	return localError("send", "", codes.Unavailable, ReasonActorUnavailable,
		"the connection to the actor at %s was lost while the call was pending (the actor may have died)%s",
		address, detail)
}

// fail ends the connection: every pending call fails with err, queued tells
// are dropped (they are fire and forget), and the router forgets it.
func (m *mailboxConn) fail(err error) {
	m.markClosed(err)
	m.shutdown()
}

// markClosed fails every pending call with err and refuses new ones; the
// first error wins.
func (m *mailboxConn) markClosed(err error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	m.closeErr = err
	pending := m.pending
	m.pending = make(map[uint64]*call)
	m.queue.clear()
	close(m.room)
	if m.writerIdle {
		m.writerIdle = false
		m.wake <- struct{}{}
	}
	m.mu.Unlock()
	// A call still queued never left: it did not run, and a name may be
	// resolved again for it (as when the stream could not open).
	written := m.written.Load()
	notSent := fmt.Errorf("%w: %w", errNotDelivered, err)
	for id, c := range pending {
		c.err = err
		if id > written {
			c.err = notSent
		}
		close(c.done)
	}
}

// shutdown ends the stream and the channel (once).
func (m *mailboxConn) shutdown() {
	m.shutdownOnce.Do(func() {
		m.cancel()
		m.cc.Close()
		m.onClosed(m)
	})
}

// close lets the queued tells leave, then half-closes the stream so that the
// actor runs what it received before the stream ends (all within
// closeFlushTimeout); pending asks fail at once with ErrCanceled.
func (m *mailboxConn) close() {
	<-m.ready
	if m.connErr != nil {
		return
	}
	deadline := time.NewTimer(closeFlushTimeout)
	defer deadline.Stop()
	m.mu.Lock()
	for !m.closed && m.queue.len() > 0 {
		room := m.room
		m.mu.Unlock()
		select {
		case <-room:
		case <-deadline.C:
			m.shutdownNow()
			return
		}
		m.mu.Lock()
	}
	m.mu.Unlock()
	m.markClosed(localError("send", "", codes.Canceled, "", "the client was closed while the call was pending"))
	// No SendMsg may run with CloseSend: the writer's and callers' are over.
	written := make(chan struct{})
	go func() {
		<-m.writerDone
		m.directWrites.Wait()
		close(written)
	}()
	select {
	case <-written:
	case <-deadline.C:
		m.shutdownNow()
		return
	}
	if m.stream.CloseSend() == nil {
		select {
		case <-m.readerDone:
		case <-deadline.C:
		}
	}
	m.shutdown()
}

func (m *mailboxConn) shutdownNow() {
	m.markClosed(localError("send", "", codes.Canceled, "", "the client was closed while the call was pending"))
	m.shutdown()
}
