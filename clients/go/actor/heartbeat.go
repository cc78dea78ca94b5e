package actor

import (
	"context"
	"os"
	"sync"
	"time"

	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
)

// heartbeat is the actor's life line to its monitor: MonitorService.Heartbeat.
type heartbeat struct {
	a      *Actor
	stream pb.MonitorService_HeartbeatClient
	mu     sync.Mutex // one writer at a time
}

func (h *heartbeat) send(req *pb.HeartbeatRequest) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stream.Send(req)
}

// hello says who the actor is. An actor already running says so with a
// first beat: the spawn then completes with this one message; one that
// still starts (a start hook) beats when it runs, or sends a failure.
func (h *heartbeat) hello(running bool) error {
	a := h.a
	hello := &pb.Hello{
		Aid:     a.AID(),
		Name:    a.Name(),
		Pid:     int32(os.Getpid()),
		Address: a.address,
		Kind:    pb.ActorKind_ACTOR_KIND_EXEC,
		Secret:  a.boot.GetSecret(),
		Runtime: Runtime,
	}
	if running {
		hello.Beat = &pb.Beat{State: a.State()}
	}
	return h.send(&pb.HeartbeatRequest{Message: &pb.HeartbeatRequest_Hello{Hello: hello}})
}

// fail tells the monitor why the actor cannot start (after its hello, which
// must come first), and closes our side.
func (h *heartbeat) fail(code int32, message, typ string) {
	_ = h.send(&pb.HeartbeatRequest{Message: &pb.HeartbeatRequest_Failure{Failure: &pb.Failure{Code: code, Message: message, Type: typ}}})
	_ = h.stream.CloseSend()
	// The failure must reach the monitor before the process exits: wait for
	// the monitor to end the stream.
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		for {
			if _, err := h.stream.Recv(); err != nil {
				return
			}
		}
	}()
	select {
	case <-ended:
	case <-time.After(failureFlushTimeout):
	}
}

// failureFlushTimeout bounds the wait for the monitor to take a start
// failure (it answers in a millisecond).
const failureFlushTimeout = 2 * time.Second

// beatNow sends the actor's state and load (measured off the loop: for the
// state changes of a stop, when the loop may be busy).
func (h *heartbeat) beatNow() error {
	a := h.a
	rss, cpu := a.load.measure()
	return h.send(&pb.HeartbeatRequest{Message: &pb.HeartbeatRequest_Beat{Beat: &pb.Beat{
		State: a.State(), MemoryRssBytes: rss, CpuPercent: cpu,
		MailboxDepth: a.depth.Load(), Processed: a.processed.Load(),
	}}})
}

// readOrders waits for the welcome (an actor not welcomed in time stops
// itself), then beats every interval and obeys stop orders, until the
// stream ends: then the monitor is gone.
func (h *heartbeat) readOrders(ctx context.Context) {
	a := h.a
	welcomed := make(chan *pb.Welcome, 1)
	go func() {
		for {
			resp, err := h.stream.Recv()
			if err != nil {
				a.monitorLost("the heartbeat stream to the monitor ended: " + err.Error())
				return
			}
			switch m := resp.GetMessage().(type) {
			case *pb.HeartbeatResponse_Welcome:
				select {
				case welcomed <- m.Welcome:
				default:
				}
			case *pb.HeartbeatResponse_Stop:
				a.logf("stop ordered by the monitor: %s", m.Stop.GetReason())
				a.Stop("ordered by its monitor: "+m.Stop.GetReason(), time.Duration(m.Stop.GetTimeoutSeconds()*float64(time.Second)))
			}
		}
	}()
	timer := time.NewTimer(welcomeTimeout)
	defer timer.Stop()
	var welcome *pb.Welcome
	select {
	case welcome = <-welcomed:
	case <-timer.C:
		a.monitorLost("the monitor did not welcome this actor")
		return
	case <-ctx.Done():
		return
	}
	interval := time.Duration(welcome.GetHeartbeatIntervalSeconds() * float64(time.Second))
	if interval <= 0 {
		interval = time.Second
	}
	h.beatForever(ctx, interval)
}

// beatForever beats every interval with a snapshot taken on the actor's
// loop: a loop blocked by a command stops the beats, and the monitor then
// declares the actor hung, as it would a Python actor whose loop is blocked.
func (h *heartbeat) beatForever(ctx context.Context, interval time.Duration) {
	a := h.a
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
		case <-ctx.Done():
			return
		}
		var beat *pb.Beat
		if !a.onLoop(ctx, func() {
			byAction := make(map[string]int64, len(a.byAction))
			for k, v := range a.byAction {
				byAction[k] = v
			}
			beat = &pb.Beat{State: a.State(), MailboxDepth: a.depth.Load(),
				Processed: a.processed.Load(), ProcessedByAction: byAction}
		}) {
			return
		}
		beat.MemoryRssBytes, beat.CpuPercent = a.load.measure()
		if err := h.send(&pb.HeartbeatRequest{Message: &pb.HeartbeatRequest_Beat{Beat: beat}}); err != nil {
			a.monitorLost("a beat could not be sent: " + err.Error())
			return
		}
	}
}
