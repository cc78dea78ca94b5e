// Package actorgrpc is the Go client of an actorgrpc arbiter and its actors:
// spawn actors, send them commands, inspect them and stop them.
//
// Commands go straight to the actor's mailbox (Send, Tell): the client asks
// the arbiter where a target is once, then keeps one multiplexed, batched
// stream per actor address, as Python's own actors do. SendViaArbiter makes
// the arbiter forward the call instead (one unary call per message: simple,
// slower). Values sent to actors are JSON-shaped (see Send); results come
// back as nil, bool, float64, string, []any or map[string]any. Failures are
// *Error values that match sentinel errors with errors.Is:
//
//	c, err := actorgrpc.Dial(ctx, "127.0.0.1:7070")
//	...
//	defer c.Close()
//	w, err := c.Spawn(ctx, actorgrpc.SpawnOptions{Name: "w1"})
//	sum, err := c.Send(ctx, "w1", "add", 2, 3) // float64(5)
//	_, err = c.Send(ctx, "nobody", "ping")     // errors.Is(err, actorgrpc.ErrNotFound)
//
// The generated stubs are in package actorgrpcv1; Client.Arbiter gives direct
// access to them.
package actorgrpc

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
)

// Client talks to one arbiter and, directly, to its actors. It is safe for
// concurrent use.
type Client struct {
	address string
	opts    options
	conn    *grpc.ClientConn
	arbiter pb.ArbiterServiceClient
	router  *router
}

// Dial connects to the arbiter at address ("host:port") and waits until the
// connection is ready or ctx ends, so that a wrong address fails here, not at
// the first call. Every connection the client makes (to the arbiter and to
// each actor's mailbox) uses the same credentials: see WithToken and WithTLS.
// Without WithTLS it is plaintext: actorgrpc binds to loopback by default.
func Dial(ctx context.Context, address string, opts ...Option) (*Client, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, localError("dial", address, codes.InvalidArgument, ReasonInvalidArgument, "%v", err)
	}
	dialOpts, err := o.dialOptions()
	if err != nil {
		return nil, localError("dial", address, codes.InvalidArgument, ReasonInvalidArgument, "%v", err)
	}
	conn, err := grpc.NewClient(address, dialOpts...)
	if err != nil {
		return nil, localError("dial", address, codes.InvalidArgument, ReasonInvalidArgument, "%v", err)
	}
	conn.Connect()
	for {
		state := conn.GetState()
		if state == connectivity.Ready {
			break
		}
		if !conn.WaitForStateChange(ctx, state) {
			why := connectionError(conn)
			conn.Close()
			return nil, localError("dial", address, codes.Unavailable, ReasonActorUnavailable,
				"arbiter not reachable (connection %s: %v)%s", state, ctx.Err(), why)
		}
	}
	arbiter := pb.NewArbiterServiceClient(conn)
	return &Client{
		address: address,
		opts:    o,
		conn:    conn,
		arbiter: arbiter,
		router:  newRouter(arbiter, address, dialOpts, o.maxMessageBytes, o.maxPending),
	}, nil
}

// probeTimeout bounds the health check that tells why a connection failed.
const probeTimeout = 500 * time.Millisecond

// connectionError says why a connection is not ready (a refused connection,
// a failed TLS handshake, ...): what a fail-fast call on it reports.
func connectionError(conn *grpc.ClientConn) string {
	if conn.GetState() != connectivity.TransientFailure {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	_, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if st, ok := status.FromError(err); ok && st.Code() == codes.Unavailable {
		return ": " + st.Message()
	}
	return ""
}

// Close closes the client: tells still queued are written (within a second),
// calls in flight fail with ErrCanceled, and every connection is closed.
func (c *Client) Close() error {
	c.router.close()
	if err := c.conn.Close(); err != nil {
		return fmt.Errorf("actorgrpc: close: %w", err)
	}
	return nil
}

// Address is the arbiter's address, as given to Dial.
func (c *Client) Address() string { return c.address }

// Arbiter is the generated ArbiterService stub on the client's connection,
// for requests the client does not cover. Its errors are raw gRPC status
// errors.
func (c *Client) Arbiter() pb.ArbiterServiceClient { return c.arbiter }

// Conn is the client's gRPC connection to the arbiter (e.g. for the health
// service).
func (c *Client) Conn() *grpc.ClientConn { return c.conn }
