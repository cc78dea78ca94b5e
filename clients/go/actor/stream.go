package actor

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/wire"
)

// maxFramesInFlight is how many request frames of one stream may wait for
// the actor's loop: frames are read ahead a little, no more.
const maxFramesInFlight = 4

// streamSession is one MailboxService.Stream: frames of envelopes in, frames
// of replies out. The handler goroutine reads frames and hands each to the
// actor's loop, which runs its calls in order and queues their replies
// together; a Concurrent command's reply follows when it finishes.
type streamSession struct {
	a      *Actor
	ss     grpc.ServerStream
	limit  int
	writer *replyWriter
	slots  chan struct{} // frames in flight to the loop
	// inflight counts the stream's Concurrent calls that will still reply.
	inflight sync.WaitGroup
}

func (m *mailbox) stream(_ any, ss grpc.ServerStream) error {
	a := m.a
	s := &streamSession{a: a, ss: ss, limit: m.limit,
		writer: newReplyWriter(ss, m.limit), slots: make(chan struct{}, maxFramesInFlight)}
	m.track(s, true)
	defer m.track(s, false)
	defer s.writer.close()
	for {
		var data []byte
		if err := ss.RecvMsg(&data); err != nil {
			if errors.Is(err, io.EOF) {
				// The client closed its side: finish what runs, then end the
				// stream (which its replies leave before).
				s.waitFrames()
				s.inflight.Wait()
				return nil
			}
			return err
		}
		envelopes, err := readFrame(data)
		if err != nil {
			return failureOf(err).status().Err()
		}
		// Read no further while replies pile up, or frames wait for the loop.
		if s.writer.backlog() > maxQueuedReplyFrames {
			if err := s.writer.waitIdle(); err != nil {
				return err
			}
		}
		select {
		case s.slots <- struct{}{}:
		case <-ss.Context().Done():
			return status.FromContextError(ss.Context().Err()).Err()
		}
		if !a.submit(ss.Context(), func() {
			s.handleFrame(envelopes)
			<-s.slots
		}) {
			return status.FromContextError(ss.Context().Err()).Err()
		}
	}
}

// waitFrames waits until the loop has handled every frame read.
func (s *streamSession) waitFrames() {
	for range maxFramesInFlight {
		s.slots <- struct{}{}
	}
}

// envelope is one entry of a frame: an Envelope, or one that did not parse
// (answered INVALID_ARGUMENT by its id, if it is an ask).
type envelope struct {
	*pb.Envelope
	bad  error
	id   uint64
	tell bool
}

// readFrame reads a frame's envelopes. The common case is one parse of the
// whole frame; a frame that does not parse (bad UTF-8 in one string, a
// broken envelope) is split into its envelopes, each parsed alone: the good
// ones run, each bad one gets its own INVALID_ARGUMENT, and the stream lives
// on. A frame that is not a list of envelopes at all ends the stream.
func readFrame(data []byte) ([]envelope, error) {
	var req pb.StreamRequest
	if err := proto.Unmarshal(data, &req); err == nil {
		out := make([]envelope, len(req.GetEnvelopes()))
		for i, e := range req.GetEnvelopes() {
			out[i] = envelope{Envelope: e}
		}
		return out, nil
	} else if entries, ok := wire.SplitEntries(data); !ok {
		return nil, InvalidArgument("malformed StreamRequest frame: %s", clip(err.Error()))
	} else {
		out := make([]envelope, len(entries))
		for i, entry := range entries {
			e := &pb.Envelope{}
			if err := proto.Unmarshal(entry, e); err != nil {
				id, tell := wire.ScanIDAndTell(entry)
				out[i] = envelope{bad: InvalidArgument("malformed envelope: %s", clip(err.Error())), id: id, tell: tell}
				continue
			}
			out[i] = envelope{Envelope: e}
		}
		return out, nil
	}
}

// clip keeps a parser's message short.
func clip(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}

// handleFrame runs on the actor's loop: every call of the frame, in order.
func (s *streamSession) handleFrame(envelopes []envelope) {
	var out [][]byte
	run := replyRun{limit: s.limit}
	for _, env := range envelopes {
		// batch_results_json answers the calls of one batch envelope only.
		run.flush(&out)
		if env.bad != nil {
			if !env.tell {
				out = append(out, wire.AppendFailure(nil, env.id, failureOf(env.bad).failure()))
			}
			continue
		}
		s.handleEnvelope(env.Envelope, &out, &run)
	}
	run.flush(&out)
	s.writer.push(out...)
}

func (s *streamSession) handleEnvelope(env *pb.Envelope, out *[][]byte, run *replyRun) {
	a := s.a
	tell := env.GetTell()
	fail := func(id uint64, err error) {
		if tell {
			a.logf("a told %s failed: %v", env.GetAction(), err)
			return
		}
		run.flush(out)
		*out = append(*out, wire.AppendFailure(nil, id, failureOf(err).failure()))
	}
	if target := env.GetTarget(); (target != "" && target != a.AID()) || a.closed() {
		if tell {
			return
		}
		aid := target
		for _, id := range callIDs(env) {
			fail(id, notHosted(aid))
		}
		return
	}
	timeout := time.Duration(env.GetTimeoutSeconds() * float64(time.Second))
	action := env.GetAction()
	switch form := env.GetArguments().(type) {
	case *pb.Envelope_BatchArgsJson:
		calls, err := batchArgs(form.BatchArgsJson)
		if err != nil {
			a.processed.Add(1)
			fail(env.GetId(), err) // which ids it held is unknown
			return
		}
		for i, c := range calls {
			id := env.GetId() + uint64(i)
			if a.closed() {
				fail(id, notHosted(a.AID()))
				continue
			}
			args, ok := c.([]any)
			if !ok {
				a.processed.Add(1)
				fail(id, InvalidArgument("every element of batch_args_json must be a JSON array (the positional arguments)"))
				continue
			}
			s.call(id, tell, true, action, args, nil, timeout, out, run)
		}
	case *pb.Envelope_ArgsJson:
		args, kwargs, err := jsonArgs(form.ArgsJson, env.GetKwargsJson())
		if err != nil {
			a.processed.Add(1)
			fail(env.GetId(), err)
			return
		}
		s.call(env.GetId(), tell, true, action, args, kwargs, timeout, out, run)
	case *pb.Envelope_Values:
		args, kwargs, err := valueArgs(form.Values.GetArgs(), form.Values.GetKwargs())
		if err != nil {
			a.processed.Add(1)
			fail(env.GetId(), err)
			return
		}
		s.call(env.GetId(), tell, false, action, args, kwargs, timeout, out, run)
	default:
		s.call(env.GetId(), tell, false, action, nil, nil, timeout, out, run)
	}
}

// callIDs are the ids of an envelope's calls (several for a batch).
func callIDs(env *pb.Envelope) []uint64 {
	if b := env.GetBatchArgsJson(); b != nil {
		n := 0
		if wire.SplitJSONArray(b, func([]byte) { n++ }) == nil && n > 0 {
			ids := make([]uint64, n)
			for i := range ids {
				ids[i] = env.GetId() + uint64(i)
			}
			return ids
		}
	}
	return []uint64{env.GetId()}
}

// call starts one call and queues its reply: now, or when it finishes.
func (s *streamSession) call(id uint64, tell, asJSON bool, action string, args []any, kwargs map[string]any,
	timeout time.Duration, out *[][]byte, run *replyRun) {
	a := s.a
	if !tell {
		s.inflight.Add(1)
	}
	finish := func(result any, err error) {
		if tell {
			if err != nil {
				a.logf("a told %s failed: %v", action, err)
			}
			return
		}
		s.writer.push(s.reply(id, asJSON, action, result, err))
		s.inflight.Done()
	}
	done, result, err := a.start(action, args, kwargs, timeout, finish)
	if !done {
		return // its goroutine replies
	}
	if tell {
		if err != nil {
			a.logf("a told %s failed: %v", action, err)
		}
		return
	}
	defer s.inflight.Done()
	if err == nil && asJSON {
		data, encErr := encodeResult(action, result)
		if encErr == nil && wire.ReplySize(id, len(data)) <= s.limit {
			run.add(id, data, out)
			return
		}
		if encErr != nil {
			err = encErr
		}
	}
	run.flush(out)
	*out = append(*out, s.reply(id, asJSON, action, result, err))
}

// reply is the encoded Reply of one call's outcome.
func (s *streamSession) reply(id uint64, asJSON bool, action string, result any, err error) []byte {
	if err == nil {
		if asJSON {
			data, encErr := encodeResult(action, result)
			if encErr == nil && wire.ReplySize(id, len(data)) <= s.limit {
				return wire.AppendResultJSON(nil, id, data)
			}
			err = encErr
		} else {
			v, encErr := valueResult(action, result)
			if encErr == nil {
				data := marshalValue(v)
				if wire.ReplySize(id, len(data)) <= s.limit {
					return wire.AppendResultValue(nil, id, data)
				}
			}
			err = encErr
		}
		if err == nil {
			err = tooLarge(fmt.Sprintf("the result of '%s' exceeds the maximum message size (%d bytes)", action, s.limit+frameOverhead))
		}
	}
	return wire.AppendFailure(nil, id, failureOf(err).failure())
}
