package actor

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
)

// frameOverhead is room kept for a frame's own framing bytes.
const frameOverhead = 64

// callTimeout bounds a unary Call without timeout_seconds or deadline
// (Python's default send timeout).
const callTimeout = 5 * time.Second

// mailbox is the actor's MailboxService.
type mailbox struct {
	a     *Actor
	limit int // bytes of one reply frame

	mu       sync.Mutex
	sessions map[*streamSession]bool
}

// mailboxServiceDesc serves MailboxService with a Stream handler of its own,
// which reads and writes frames as bytes (wire.ServerCodec), and the
// generated Call.
func (m *mailbox) serviceDesc() *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: pb.MailboxService_ServiceDesc.ServiceName,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Call",
			Handler: func(_ any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
				req := new(pb.CallRequest)
				if err := dec(req); err != nil {
					return nil, err
				}
				if interceptor == nil {
					return m.call(ctx, req)
				}
				info := &grpc.UnaryServerInfo{Server: m, FullMethod: pb.MailboxService_Call_FullMethodName}
				return interceptor(ctx, req, info, func(ctx context.Context, req any) (any, error) {
					return m.call(ctx, req.(*pb.CallRequest))
				})
			},
		}},
		Streams: []grpc.StreamDesc{{
			StreamName:    "Stream",
			Handler:       m.stream,
			ServerStreams: true,
			ClientStreams: true,
		}},
		Metadata: "actorgrpc/v1/mailbox.proto",
	}
}

// call is MailboxService.Call: one command, for grpcurl and simple clients.
func (m *mailbox) call(ctx context.Context, req *pb.CallRequest) (*pb.CallResponse, error) {
	a := m.a
	if target := req.GetTarget(); (target != "" && target != a.AID()) || a.closed() {
		return nil, notHosted(target).status().Err()
	}
	args, kwargs, err := valueArgs(req.GetArgs(), req.GetKwargs())
	if err != nil {
		return nil, failureOf(err).status().Err()
	}
	timeout := time.Duration(req.GetTimeoutSeconds() * float64(time.Second))
	if timeout <= 0 {
		timeout = callTimeout
		if deadline, ok := ctx.Deadline(); ok {
			timeout = time.Until(deadline)
		}
	}
	type outcome struct {
		result any
		err    error
	}
	got := make(chan outcome, 1)
	finish := func(result any, err error) { got <- outcome{result, err} }
	if !a.submit(ctx, func() {
		if done, result, err := a.start(req.GetAction(), args, kwargs, timeout, finish); done {
			finish(result, err)
		}
	}) {
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	var o outcome
	select {
	case o = <-got:
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	if o.err != nil {
		return nil, failureOf(o.err).status().Err()
	}
	v, err := valueResult(req.GetAction(), o.result)
	if err != nil {
		return nil, failureOf(err).status().Err()
	}
	return &pb.CallResponse{Result: v}, nil
}

func (m *mailbox) track(s *streamSession, open bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if open {
		m.sessions[s] = true
	} else {
		delete(m.sessions, s)
	}
}

// drain waits (within timeout) until every stream has written its replies:
// the answer to "stop" leaves before the actor does.
func (m *mailbox) drain(timeout time.Duration) {
	m.mu.Lock()
	sessions := make([]*streamSession, 0, len(m.sessions))
	for s := range m.sessions {
		sessions = append(sessions, s)
	}
	m.mu.Unlock()
	done := make(chan struct{})
	go func() {
		for _, s := range sessions {
			s.writer.waitIdle()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
	}
}
