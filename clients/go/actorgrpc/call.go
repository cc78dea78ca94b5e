package actorgrpc

import (
	"encoding/json"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/actorgrpc/actorgrpc/clients/go/internal/wire"
)

// call is one ask waiting for its reply on a mailbox stream.
type call struct {
	done chan struct{} // closed once the outcome below is set
	// The outcome, set by settle (the reader) or by the stream failing.
	value   any
	failure *wire.Failure
	invalid string // why the reply's result could not be read
	err     error  // set instead when the stream failed
}

var callPool = sync.Pool{New: func() any { return &call{} }}

func newCall() *call {
	c := callPool.Get().(*call)
	c.done = make(chan struct{})
	return c
}

// release returns c to the pool; only once nobody else can touch it (its
// done channel is closed and it is out of the pending map).
func (c *call) release() {
	*c = call{}
	callPool.Put(c)
}

// notHostedType is Failure.type when the address no longer hosts the target:
// the command did not run, so a name may be resolved again and retried.
const notHostedType = "ActorNotHosted"

// settle reads a reply's outcome into the call. The reader does it, not the
// caller: decoding JSON needs a deep stack, which the one reader goroutine
// has grown once, where each caller's (often fresh) goroutine would grow its
// own, at a cost larger than the decoding itself.
func (c *call) settle(o *wire.Outcome) {
	switch {
	case o.Failure != nil:
		c.failure = o.Failure
	case o.JSON != nil:
		if err := json.Unmarshal(o.JSON, &c.value); err != nil {
			c.invalid = "the reply's result_json is not valid JSON: " + err.Error()
		}
	case o.Value != nil:
		var v structpb.Value
		if err := proto.Unmarshal(o.Value, &v); err != nil {
			c.invalid = "the reply's result is not a google.protobuf.Value: " + err.Error()
		} else {
			c.value = v.AsInterface()
		}
	}
	// A reply with no outcome is null: protobuf's default for a Value.
}

// result is the call's outcome: its JSON-shaped value, or its *Error.
func (c *call) result(op, target, action string) (any, error) {
	switch {
	case c.err != nil:
		return nil, c.err
	case c.failure != nil:
		return nil, failureError(op, target, c.failure)
	case c.invalid != "":
		return nil, &Error{Op: op, Target: target, Code: codes.Unknown, Message: action + ": " + c.invalid}
	}
	return c.value, nil
}
