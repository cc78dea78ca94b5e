package actorgrpc

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/wire"
)

// decodeFrames pops every frame of q and parses it with the generated types.
func decodeFrames(t *testing.T, q *frameQueue) []*pb.StreamRequest {
	t.Helper()
	var out []*pb.StreamRequest
	for q.len() > 0 {
		data, _ := q.pop()
		if len(data) > q.maxBytes {
			t.Errorf("a frame of %d bytes exceeds the limit of %d", len(data), q.maxBytes)
		}
		var req pb.StreamRequest
		if err := proto.Unmarshal(data, &req); err != nil {
			t.Fatalf("frame does not parse: %v", err)
		}
		out = append(out, &req)
	}
	return out
}

func TestFramesCoalesceConsecutiveCalls(t *testing.T) {
	q := &frameQueue{maxBytes: 1 << 20, maxCalls: 100}
	ask := wire.EnvKey{Target: "a1", Action: "echo", Timeout: 5}
	q.pushCall(ask, 1, []byte(`[1]`))
	q.pushCall(ask, 2, []byte(`["two"]`))
	q.pushCall(ask, 3, []byte(`[]`))
	// Not consecutive: a new envelope.
	q.pushCall(ask, 7, []byte(`[7]`))
	// Keyword arguments: an envelope of their own, which ends the batch.
	q.pushEnvelope(ask, 8, []byte(`[]`), []byte(`{"k":1}`))
	q.pushCall(ask, 9, []byte(`[9]`))
	// Another action, then tells (id 0) that coalesce with each other.
	q.pushCall(wire.EnvKey{Target: "a1", Action: "add", Timeout: 5}, 10, []byte(`[1,2]`))
	tell := wire.EnvKey{Target: "a1", Action: "count", Tell: true}
	q.pushCall(tell, 0, []byte(`[1]`))
	q.pushCall(tell, 0, []byte(`[2]`))

	frames := decodeFrames(t, q)
	if len(frames) != 1 {
		t.Fatalf("%d frames, want 1", len(frames))
	}
	envs := frames[0].GetEnvelopes()
	type env struct {
		id              uint64
		action          string
		tell            bool
		timeout         float64
		args, kw, batch string
	}
	var got []env
	for _, e := range envs {
		if e.GetTarget() != "a1" {
			t.Errorf("envelope %d has target %q", e.GetId(), e.GetTarget())
		}
		got = append(got, env{e.GetId(), e.GetAction(), e.GetTell(), e.GetTimeoutSeconds(),
			string(e.GetArgsJson()), string(e.GetKwargsJson()), string(e.GetBatchArgsJson())})
	}
	want := []env{
		{id: 1, action: "echo", timeout: 5, batch: `[[1],["two"],[]]`},
		{id: 7, action: "echo", timeout: 5, args: `[7]`},
		{id: 8, action: "echo", timeout: 5, args: `[]`, kw: `{"k":1}`},
		{id: 9, action: "echo", timeout: 5, args: `[9]`},
		{id: 10, action: "add", timeout: 5, args: `[1,2]`},
		{id: 0, action: "count", tell: true, batch: `[[1],[2]]`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("envelopes\n%+v\nwant\n%+v", got, want)
	}
}

func TestFramesRespectTheirLimits(t *testing.T) {
	// By count: 10 calls at most per frame.
	q := &frameQueue{maxBytes: 1 << 20, maxCalls: 10}
	k := wire.EnvKey{Target: "a", Action: "echo"}
	for id := uint64(1); id <= 25; id++ {
		q.pushCall(k, id, []byte(`[0]`))
	}
	frames := decodeFrames(t, q)
	if len(frames) != 3 {
		t.Fatalf("25 calls, 10 per frame: %d frames", len(frames))
	}
	next := uint64(1)
	for _, f := range frames {
		for _, e := range f.GetEnvelopes() {
			var batch [][]any
			if err := json.Unmarshal(e.GetBatchArgsJson(), &batch); err != nil {
				t.Fatalf("batch %q: %v", e.GetBatchArgsJson(), err)
			}
			if e.GetId() != next {
				t.Errorf("a batch starts at id %d, want %d", e.GetId(), next)
			}
			next += uint64(len(batch))
		}
	}
	if next != 26 {
		t.Errorf("frames hold calls up to id %d, want 25", next-1)
	}

	// By size: every frame stays within maxBytes, with single and batched calls.
	q = &frameQueue{maxBytes: 300, maxCalls: 1000}
	arg := []byte(`["` + strings.Repeat("x", 50) + `"]`)
	for id := uint64(1); id <= 40; id++ {
		if id%7 == 0 {
			q.pushEnvelope(k, id, arg, []byte(`{"a":1}`))
		} else {
			q.pushCall(k, id, arg)
		}
	}
	calls := 0
	for _, f := range decodeFrames(t, q) { // checks each frame's size
		for _, e := range f.GetEnvelopes() {
			if b := e.GetBatchArgsJson(); b != nil {
				var batch []any
				json.Unmarshal(b, &batch)
				calls += len(batch)
			} else {
				calls++
			}
		}
	}
	if calls != 40 {
		t.Errorf("%d calls in the frames, want 40", calls)
	}
}

// callSize is never less than what a call adds to a frame, alone or batched.
func TestCallSizeBoundsTheEncoding(t *testing.T) {
	k := wire.EnvKey{Target: "a1b2c3", Action: "echo", Timeout: 12.5}
	args, kwargs := []byte(`["hello"]`), []byte(`{"k":"v"}`)
	q := &frameQueue{maxBytes: 1 << 20, maxCalls: 10}
	q.pushEnvelope(k, 1<<62, args, kwargs)
	data, lastID := q.pop()
	if got, bound := len(data), callSize(&k, args, kwargs); got > bound {
		t.Errorf("an envelope of %d bytes; callSize says %d", got, bound)
	}
	if lastID != 1<<62 {
		t.Errorf("the frame's last ask is %d", lastID)
	}
}
