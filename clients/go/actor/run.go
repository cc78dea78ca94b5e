package actor

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/wire"
)

// Timing margins of the end of an actor.
const (
	// drainTimeout bounds the wait for replies queued before a stop (the
	// answer to "stop" itself) to be written: they leave in microseconds.
	drainTimeout = 500 * time.Millisecond
	// graceTimeout bounds a graceful stop of the server (Python's grace of
	// 0.5 s): clients' streams are long-lived, then they are cut.
	graceTimeout = 500 * time.Millisecond
)

// defaultMaxMessageBytes is the arbiter's default, for a boot that says none.
const defaultMaxMessageBytes = 4 << 20

// Run boots the actor (its ActorBoot comes from $ACTORGRPC_BOOT_FD), serves
// its mailbox and beats until it stops. It returns nil after a stop (a
// StopOrder, the stop command, Stop, or ctx ending, as SIGTERM does in
// Main), ErrMonitorLost when the monitor is gone, a *StartError when the
// actor could not start. An Actor runs once: its process is its life.
func (a *Actor) Run(ctx context.Context) error {
	boot, err := ReadBoot()
	if err != nil {
		return &StartError{err}
	}
	return a.RunWithBoot(ctx, boot)
}

// RunWithBoot is Run with the boot message given (for tests and tools).
func (a *Actor) RunWithBoot(ctx context.Context, boot *pb.ActorBoot) error {
	a.boot = boot
	a.setExtra(boot.GetExtra())
	maxMessage := int(boot.GetMaxMessageBytes())
	if maxMessage <= 2*frameOverhead {
		maxMessage = defaultMaxMessageBytes
	}

	// The monitor first: a start that fails is reported to it.
	clientConfig, err := clientTLS(boot.GetTls())
	if err != nil {
		return &StartError{err}
	}
	cc, err := grpc.NewClient(boot.GetMonitorAddress(), dialOptions(clientConfig, boot.GetCredential(), maxMessage)...)
	if err != nil {
		return &StartError{err}
	}
	defer cc.Close()
	hbCtx, hbCancel := context.WithCancel(context.Background())
	defer hbCancel()
	stream, err := pb.NewMonitorServiceClient(cc).Heartbeat(hbCtx)
	if err != nil {
		return fmt.Errorf("%w: could not reach the monitor at %s: %v", ErrMonitorLost, boot.GetMonitorAddress(), err)
	}
	h := &heartbeat{a: a, stream: stream}

	a.state.Store(int32(pb.ActorState_ACTOR_STATE_STARTING))
	server, lis, err := a.serve(maxMessage)
	if err != nil {
		return a.failStart(h, err)
	}
	go func() { _ = server.Serve(lis) }()
	go a.loop()
	running := a.onStart == nil
	if running {
		a.startedAt = time.Now()
		a.state.Store(int32(pb.ActorState_ACTOR_STATE_RUNNING))
	}
	if err := h.hello(running); err != nil {
		server.Stop()
		return fmt.Errorf("%w: the hello to the monitor failed: %v", ErrMonitorLost, err)
	}
	if !running {
		if err := a.runStartHook(ctx); err != nil {
			server.Stop()
			return a.failStart(h, err)
		}
		a.startedAt = time.Now()
		a.state.Store(int32(pb.ActorState_ACTOR_STATE_RUNNING))
		_ = h.beatNow()
	}
	a.logf("running at %s (%s)", a.address, Runtime)
	go h.readOrders(hbCtx)
	go a.watchStdin()

	select {
	case <-a.stopReq:
	case <-ctx.Done():
		a.Stop("signal", 0)
	case <-a.lost:
		a.logf("stopping: %s", a.lostReason)
		a.state.Store(int32(pb.ActorState_ACTOR_STATE_TERMINATED))
		a.cancel()
		server.Stop()
		a.peers.close()
		return fmt.Errorf("%w: %s", ErrMonitorLost, a.lostReason)
	}
	a.logf("stopping: %s", a.stopReason)
	a.stopGracefully(server, h)
	return nil
}

// failStart tells the monitor why the actor cannot start (its hello first,
// if it has not said it): the spawn fails with that message.
func (a *Actor) failStart(h *heartbeat, err error) error {
	if a.State() < pb.ActorState_ACTOR_STATE_RUNNING && a.address == "" {
		_ = h.hello(false)
	}
	f := failureOf(err)
	typ := f.excType
	if typ == "" {
		typ = "SpawnError"
	}
	h.fail(int32(f.code), f.msg, typ)
	a.state.Store(int32(pb.ActorState_ACTOR_STATE_TERMINATED))
	return &StartError{err}
}

// runStartHook runs OnStart's function on the actor's loop (so it may set up
// the actor's state), within ctx.
func (a *Actor) runStartHook(ctx context.Context) (err error) {
	if !a.onLoop(ctx, func() {
		defer func() {
			if r := recover(); r != nil {
				err = &Exception{Type: "Panic", Message: fmt.Sprint(r)}
			}
		}()
		err = a.onStart(ctx, a)
	}) {
		return ctx.Err()
	}
	return err
}

// serve starts the mailbox server on the boot's host, any free port.
func (a *Actor) serve(maxMessage int) (*grpc.Server, net.Listener, error) {
	boot := a.boot
	tokens, err := newTokenCheck(boot.GetAcceptedTokens())
	if err != nil {
		return nil, nil, err
	}
	creds, err := serverTLS(boot.GetTls())
	if err != nil {
		return nil, nil, err
	}
	lis, err := net.Listen("tcp", net.JoinHostPort(boot.GetMailboxHost(), "0"))
	if err != nil {
		return nil, nil, fmt.Errorf("cannot serve on %s: %w", boot.GetMailboxHost(), err)
	}
	port := lis.Addr().(*net.TCPAddr).Port
	a.address = net.JoinHostPort(boot.GetMailboxHost(), strconv.Itoa(port))
	opts := []grpc.ServerOption{
		grpc.ForceServerCodecV2(wire.ServerCodec{}),
		grpc.MaxRecvMsgSize(maxMessage),
		grpc.MaxSendMsgSize(maxMessage),
		grpc.ChainUnaryInterceptor(tokens.unary),
		grpc.ChainStreamInterceptor(tokens.stream),
	}
	if creds != nil {
		opts = append(opts, grpc.Creds(creds))
	}
	server := grpc.NewServer(opts...)
	a.mailbox = &mailbox{a: a, limit: maxMessage - frameOverhead, sessions: map[*streamSession]bool{}}
	server.RegisterService(a.mailbox.serviceDesc(), a.mailbox)
	healthpb.RegisterHealthServer(server, health.NewServer()) // SERVING
	return server, lis, nil
}

// dialOptions are the options of the actor's own connections: the arbiter's
// TLS, and its internal credential on every call.
func dialOptions(config *tls.Config, credential string, maxMessage int) []grpc.DialOption {
	opts := []grpc.DialOption{grpc.WithDefaultCallOptions(
		grpc.MaxCallRecvMsgSize(maxMessage), grpc.MaxCallSendMsgSize(maxMessage))}
	if config != nil {
		opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(config)))
	} else {
		opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	if credential != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer(credential)))
	}
	return opts
}

// watchStdin: end of file on stdin means the arbiter is gone.
func (a *Actor) watchStdin() {
	_, _ = io.Copy(io.Discard, os.Stdin)
	a.monitorLost("stdin ended: the arbiter is gone")
}

// stopGracefully: state stopping (and a beat saying so), running commands
// cancelled and given the stop's time to end, the replies written, a last
// beat, the heartbeat closed, the server stopped.
func (a *Actor) stopGracefully(server *grpc.Server, h *heartbeat) {
	deadline := time.Now().Add(a.stopTimeout)
	a.state.Store(int32(pb.ActorState_ACTOR_STATE_STOPPING))
	_ = h.beatNow()
	a.cancel()
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	// On the loop, behind what it runs: from then on no call starts, and the
	// Concurrent ones still running are all counted.
	if a.onLoop(ctx, func() { a.state.Store(int32(pb.ActorState_ACTOR_STATE_CLOSED)) }) {
		finished := make(chan struct{})
		go func() { a.wg.Wait(); close(finished) }()
		select {
		case <-finished:
		case <-ctx.Done():
			a.logf("commands still running after %v: stopping anyway", a.stopTimeout)
		}
	} else {
		a.logf("the actor's loop is still busy after %v: stopping anyway", a.stopTimeout)
		a.state.Store(int32(pb.ActorState_ACTOR_STATE_CLOSED))
	}
	a.mailbox.drain(drainTimeout)
	a.peers.close()
	_ = h.beatNow()
	_ = h.stream.CloseSend()
	stopped := make(chan struct{})
	go func() { server.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(graceTimeout):
		server.Stop()
	}
}

// bearer presents the actor's credential on every call it makes.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }
