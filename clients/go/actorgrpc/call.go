package actorgrpc

import (
	"encoding/json"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/wire"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// call is one ask waiting for its reply on a mailbox stream.
type call struct {
	done chan struct{} // closed once the outcome below is set
	out  wire.Outcome
	err  error // set instead of out when the stream failed
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

// result decodes the call's outcome: its JSON-shaped value, or its *Error.
func (c *call) result(op, target, action string) (any, error) {
	if c.err != nil {
		return nil, c.err
	}
	o := &c.out
	switch {
	case o.Failure != nil:
		return nil, failureError(op, target, o.Failure)
	case o.JSON != nil:
		var v any
		if err := json.Unmarshal(o.JSON, &v); err != nil {
			return nil, &Error{Op: op, Target: target, Code: codes.Unknown,
				Message: action + ": the reply's result_json is not valid JSON: " + err.Error()}
		}
		return v, nil
	case o.Value != nil:
		var v structpb.Value
		if err := proto.Unmarshal(o.Value, &v); err != nil {
			return nil, &Error{Op: op, Target: target, Code: codes.Unknown,
				Message: action + ": the reply's result is not a google.protobuf.Value: " + err.Error()}
		}
		return v.AsInterface(), nil
	}
	// A reply with no outcome: protobuf's default for a Value is null.
	return nil, nil
}
