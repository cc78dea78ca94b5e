package actor

import (
	"context"
	"fmt"
	"sync"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
)

// peers is the actor's own client, dialed on first use.
type peers struct {
	mu     sync.Mutex
	client *actorgrpc.Client
}

// Client is the actor's client of its arbiter and of other actors (dialed on
// first use, closed when the actor stops): it presents the arbiter's
// internal credential and uses the arbiter's TLS, so it may call any actor
// the arbiter runs, directly (Send, Tell) or through the arbiter. Use it from
// Concurrent commands: a call that waits would block the actor's loop.
func (a *Actor) Client(ctx context.Context) (*actorgrpc.Client, error) {
	a.peers.mu.Lock()
	defer a.peers.mu.Unlock()
	if a.peers.client != nil {
		return a.peers.client, nil
	}
	if a.boot == nil {
		return nil, fmt.Errorf("actor: no client before the actor runs")
	}
	opts := []actorgrpc.Option{actorgrpc.WithToken(a.boot.GetCredential())}
	if max := int(a.boot.GetMaxMessageBytes()); max > 2*frameOverhead {
		opts = append(opts, actorgrpc.WithMaxMessageBytes(max))
	}
	config, err := clientTLS(a.boot.GetTls())
	if err != nil {
		return nil, err
	}
	if config != nil {
		opts = append(opts, actorgrpc.WithTLSConfig(config))
	}
	c, err := actorgrpc.Dial(ctx, a.boot.GetMonitorAddress(), opts...)
	if err != nil {
		return nil, err
	}
	a.peers.client = c
	return c, nil
}

func (p *peers) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client != nil {
		p.client.Close()
		p.client = nil
	}
}
