package actorgrpc

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
)

// arbiterTarget is the name of the arbiter itself: it resolves to the
// arbiter's own address without asking anyone.
const arbiterTarget = "arbiter"

// maxResolveWait caps how long a resolution waits for an actor that its
// supervisor is restarting (GetActor's own limit; Python's MAX_RESTART_WAIT).
const maxResolveWait = 60 * time.Second

// route is where an actor is: its aid at a mailbox address.
type route struct {
	aid     string
	address string
}

// router resolves targets to routes (GetActor, cached by target) and keeps
// one mailbox stream per address. The arbiter is asked for addresses only,
// never on the message path.
type router struct {
	arbiter    pb.ArbiterServiceClient
	dialOpts   []grpc.DialOption
	maxMessage int
	maxPending int

	mu        sync.RWMutex
	routes    map[string]route
	conns     map[string]*mailboxConn
	resolving map[string]*resolution
	closed    bool
}

// resolution is one GetActor in flight, shared by the callers that need it.
type resolution struct {
	done  chan struct{}
	route route
	err   error
}

func newRouter(arbiter pb.ArbiterServiceClient, arbiterAddress string, dialOpts []grpc.DialOption, maxMessage, maxPending int) *router {
	return &router{
		arbiter:    arbiter,
		dialOpts:   dialOpts,
		maxMessage: maxMessage,
		maxPending: maxPending,
		routes:     map[string]route{arbiterTarget: {aid: arbiterTarget, address: arbiterAddress}},
		conns:      map[string]*mailboxConn{},
		resolving:  map[string]*resolution{},
	}
}

// cached is the route of target if known.
func (r *router) cached(target string) (route, bool) {
	r.mu.RLock()
	rt, ok := r.routes[target]
	r.mu.RUnlock()
	return rt, ok
}

// resolve asks the arbiter where target is, waiting up to wait for an actor
// that is starting or being restarted. Concurrent resolutions of one target
// share one GetActor, bounded by its own timeout so that no caller's
// cancellation fails the others; each caller waits within its own ctx.
func (r *router) resolve(ctx context.Context, target string, wait time.Duration) (route, error) {
	wait = min(max(wait, 0), maxResolveWait)
	r.mu.Lock()
	res, ok := r.resolving[target]
	if !ok {
		res = &resolution{done: make(chan struct{})}
		r.resolving[target] = res
		go r.getActor(target, wait, res)
	}
	r.mu.Unlock()
	select {
	case <-res.done:
		return res.route, res.err
	case <-ctx.Done():
		return route{}, wrap("send", target, ctx.Err())
	}
}

// getActorGrace is how much longer than its wait a GetActor may take: the
// arbiter answers a resolution in about a millisecond.
const getActorGrace = 5 * time.Second

func (r *router) getActor(target string, wait time.Duration, res *resolution) {
	ctx, cancel := context.WithTimeout(context.Background(), wait+getActorGrace)
	defer cancel()
	resp, err := r.arbiter.GetActor(ctx, &pb.GetActorRequest{Target: target, WaitSeconds: wait.Seconds()})
	if err != nil {
		res.err = wrap("send", target, err)
	} else if ref := resp.GetActor().GetActor(); ref.GetAddress() == "" {
		res.err = localError("send", target, codes.NotFound, ReasonActorNotFound, "actor %q is not running", target)
	} else {
		res.route = route{aid: ref.GetAid(), address: ref.GetAddress()}
	}
	r.mu.Lock()
	if res.err == nil {
		r.routes[target] = res.route
	}
	delete(r.resolving, target)
	r.mu.Unlock()
	close(res.done)
}

// forget drops the cached route of target if it is still rt.
func (r *router) forget(target string, rt route) {
	r.mu.Lock()
	if r.routes[target] == rt && target != arbiterTarget {
		delete(r.routes, target)
	}
	r.mu.Unlock()
}

// conn is the open (or opening) stream to address, opened on first use.
func (r *router) conn(address string) (*mailboxConn, error) {
	r.mu.RLock()
	m, ok := r.conns[address]
	r.mu.RUnlock()
	if ok {
		return m, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, localError("send", "", codes.Canceled, "", "the client is closed")
	}
	if m, ok = r.conns[address]; ok {
		return m, nil
	}
	m = newMailboxConn(address, r.maxMessage, r.maxPending, r.connClosed)
	r.conns[address] = m
	go m.connect(r.dialOpts)
	return m, nil
}

// connClosed forgets a connection that ended, and every route through it:
// actors come and go on new ports, and the next call resolves afresh.
func (r *router) connClosed(m *mailboxConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conns[m.address] == m {
		delete(r.conns, m.address)
	}
	for target, rt := range r.routes {
		if rt.address == m.address && target != arbiterTarget {
			delete(r.routes, target)
		}
	}
}

// close closes every mailbox stream (their queued tells leave first).
func (r *router) close() {
	r.mu.Lock()
	r.closed = true
	conns := make([]*mailboxConn, 0, len(r.conns))
	for _, m := range r.conns {
		conns = append(conns, m)
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, m := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.close()
		}()
	}
	wg.Wait()
}
