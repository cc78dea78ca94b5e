package actorgrpc

import (
	"crypto/tls"
	"fmt"
	"math"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// DefaultMaxMessageBytes is the largest message sent or accepted unless
// WithMaxMessageBytes says otherwise: the arbiter's default (4 MiB).
const DefaultMaxMessageBytes = 4 << 20

// DefaultTimeout bounds a call whose context has no deadline (Python's
// default send timeout).
const DefaultTimeout = 5 * time.Second

// DefaultMaxPending is how many asks may wait for their replies on the
// stream to one actor address; one more fails with ErrResourceExhausted.
const DefaultMaxPending = 100_000

// Option configures Dial.
type Option func(*options)

type options struct {
	dial            []grpc.DialOption
	maxMessageBytes int
	maxPending      int
	defaultTimeout  time.Duration
	token           string
	tokenSet        bool
	tlsFiles        *TLSFiles
	tlsConfig       *tls.Config
}

func buildOptions(opts []Option) (options, error) {
	o := options{
		maxMessageBytes: DefaultMaxMessageBytes,
		maxPending:      DefaultMaxPending,
		defaultTimeout:  DefaultTimeout,
	}
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case o.maxMessageBytes <= 2*frameOverhead || o.maxMessageBytes > math.MaxInt32:
		return o, fmt.Errorf("max message bytes %d: expected %d to %d", o.maxMessageBytes, 2*frameOverhead+1, math.MaxInt32)
	case o.maxPending <= 0:
		return o, fmt.Errorf("max pending %d: expected a positive number", o.maxPending)
	case o.defaultTimeout <= 0:
		return o, fmt.Errorf("default timeout %v: expected a positive duration", o.defaultTimeout)
	}
	return o, nil
}

// dialOptions are the options of every connection the client makes: to the
// arbiter and to every actor mailbox it reaches directly (the same
// credentials for all).
func (o *options) dialOptions() ([]grpc.DialOption, error) {
	out := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(o.maxMessageBytes),
			grpc.MaxCallSendMsgSize(o.maxMessageBytes)),
	}
	creds, err := o.credentialOptions()
	if err != nil {
		return nil, err
	}
	out = append(out, creds...)
	return append(out, o.dial...), nil
}

// WithDialOptions passes gRPC dial options through, after the client's own
// (so they can override them), to every connection the client makes.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dial = append(o.dial, opts...) }
}

// WithMaxMessageBytes sets the largest message sent or accepted (default
// 4 MiB, the arbiter's default; use the arbiter's --max-message-bytes). A
// call that would not fit in one message is refused before sending
// (ErrTooLarge), and a frame of batched calls never exceeds it.
func WithMaxMessageBytes(n int) Option {
	return func(o *options) { o.maxMessageBytes = n }
}

// WithMaxPending bounds the asks waiting for replies on the stream to one
// actor address (default DefaultMaxPending).
func WithMaxPending(n int) Option {
	return func(o *options) { o.maxPending = n }
}

// WithDefaultTimeout sets the time a call may take when its context has no
// deadline and its Command no Timeout (default 5 s).
func WithDefaultTimeout(d time.Duration) Option {
	return func(o *options) { o.defaultTimeout = d }
}
