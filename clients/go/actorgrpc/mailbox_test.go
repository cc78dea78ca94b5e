package actorgrpc

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/actorgrpc/actorgrpc/clients/go/internal/wire"
)

// gatedStream stands for gRPC's client stream: SendMsg takes a permit, so
// a test decides when writes go through.
type gatedStream struct {
	grpc.ClientStream
	permits chan struct{}
	sent    chan []byte
}

func (g *gatedStream) SendMsg(m any) error {
	<-g.permits
	g.sent <- m.([]byte)
	return nil
}

// progressTimeout bounds what returns at once (microseconds) on a loaded
// machine: a call that blocks instead never returns before it.
const progressTimeout = 5 * time.Second

// A lone ask is written by its caller; an ask made while another is pending
// is queued for the writer, and its caller does not wait for the write: a
// burst then gathers into frames instead of leaving one call per frame.
func TestOnlyALoneAskIsWrittenByItsCaller(t *testing.T) {
	stream := &gatedStream{permits: make(chan struct{}, 10), sent: make(chan []byte, 10)}
	m := newMailboxConn("test", DefaultMaxMessageBytes, 100, func(*mailboxConn) {})
	m.stream = stream
	go m.writeLoop()
	defer m.markClosed(errors.New("test over"))
	k := wire.EnvKey{Target: "a1", Action: "echo"}

	stream.permits <- struct{}{}
	if _, _, err := m.ask(k, []byte(`[1]`), nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stream.sent: // written by the caller, before ask returned
	default:
		t.Fatal("a lone ask was not written when its call returned")
	}

	// The first ask is still pending (no reply): the next one is the writer's.
	returned := make(chan error, 1)
	go func() {
		_, _, err := m.ask(k, []byte(`[2]`), nil)
		returned <- err
	}()
	select {
	case err := <-returned:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(progressTimeout):
		t.Fatal("an ask made while another was pending waited for its own write")
	}
	stream.permits <- struct{}{} // the writer's frame goes
	select {
	case <-stream.sent:
	case <-time.After(progressTimeout):
		t.Fatal("the writer did not write the second ask")
	}
}
