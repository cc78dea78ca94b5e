package actor_test

import (
	"encoding/json"
	"io"
	"reflect"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/testenv"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/wire"
)

// mailboxStub talks to an actor's mailbox with the generated stubs, as a
// client in any language (or grpcurl) would.
func mailboxStub(t *testing.T, address string) (pb.MailboxServiceClient, *grpc.ClientConn) {
	t.Helper()
	cc, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return pb.NewMailboxServiceClient(cc), cc
}

func list(t *testing.T, values ...any) *structpb.ListValue {
	t.Helper()
	l, err := structpb.NewList(values)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// The stream, envelope by envelope: every argument form, batches, tells,
// aids not hosted, numbers out of range, malformed batches.
func TestRawStream(t *testing.T) {
	c := testenv.Client(t)
	ref := spawnGo(t, c, "raw", actorgrpc.SpawnOptions{})
	stub, _ := mailboxStub(t, ref.Address)
	stream, err := stub.Stream(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	envelopes := []*pb.Envelope{
		{Id: 1, Action: "echo", Arguments: &pb.Envelope_Values{Values: &pb.Arguments{Args: list(t, "v")}}},
		{Id: 2, Target: ref.AID, Action: "add", Arguments: &pb.Envelope_ArgsJson{ArgsJson: []byte(`[1]`)}, KwargsJson: []byte(`{"b": 2}`)},
		{Id: 10, Action: "echo", Arguments: &pb.Envelope_BatchArgsJson{BatchArgsJson: []byte(`[[1], ["two"], [], 5, [3]]`)}},
		{Id: 20, Target: "not-" + ref.AID, Action: "ping", Arguments: &pb.Envelope_BatchArgsJson{BatchArgsJson: []byte(`[[], []]`)}},
		{Tell: true, Action: "remember", Arguments: &pb.Envelope_ArgsJson{ArgsJson: []byte(`["told", 1]`)}},
		{Tell: true, Action: "no_such_command"}, // a tell gets no reply, not even a failure
		{Id: 30, Action: "echo", Arguments: &pb.Envelope_ArgsJson{ArgsJson: []byte(`[9007199254740993]`)}},
		{Id: 31, Action: "echo", Arguments: &pb.Envelope_BatchArgsJson{BatchArgsJson: []byte(`{"not": "an array"}`)}},
		{Id: 32, Action: "remember", Arguments: &pb.Envelope_ArgsJson{ArgsJson: []byte(`["told", 2]`)}},
		{Id: 33, Action: "ping"}, // no arguments at all: answered with Reply.result
	}
	if err := stream.Send(&pb.StreamRequest{Envelopes: envelopes}); err != nil {
		t.Fatal(err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	// What each ask got: a value (from result, result_json or
	// batch_results_json, and which form), or a failure.
	type outcome struct {
		form  string
		value any
		code  codes.Code
		typ   string
	}
	got := map[uint64]outcome{}
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			break // the actor ends the stream once it has answered everything
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resp.GetReplies() {
			switch o := r.GetOutcome().(type) {
			case *pb.Reply_ResultJson:
				var v any
				if err := json.Unmarshal(o.ResultJson, &v); err != nil {
					t.Errorf("result_json %q: %v", o.ResultJson, err)
				}
				got[r.GetId()] = outcome{form: "json", value: v}
			case *pb.Reply_Result:
				got[r.GetId()] = outcome{form: "value", value: o.Result.AsInterface()}
			case *pb.Reply_Failure:
				got[r.GetId()] = outcome{form: "failure", code: codes.Code(o.Failure.GetCode()), typ: o.Failure.GetType()}
			case *pb.Reply_BatchResultsJson:
				var results []any
				if err := json.Unmarshal(o.BatchResultsJson, &results); err != nil {
					t.Errorf("batch_results_json %q: %v", o.BatchResultsJson, err)
				}
				for i, v := range results {
					got[r.GetId()+uint64(i)] = outcome{form: "json", value: v}
				}
			}
		}
	}
	want := map[uint64]outcome{
		1:  {form: "value", value: "v"}, // the values form is answered in kind
		2:  {form: "json", value: 3.0},
		10: {form: "json", value: 1.0}, 11: {form: "json", value: "two"}, 12: {form: "json"},
		13: {form: "failure", code: codes.InvalidArgument}, // 5 is not an argument array
		14: {form: "json", value: 3.0},
		20: {form: "failure", code: codes.NotFound, typ: "ActorNotHosted"},
		21: {form: "failure", code: codes.NotFound, typ: "ActorNotHosted"},
		30: {form: "failure", code: codes.InvalidArgument}, // 2^53 + 1
		31: {form: "failure", code: codes.InvalidArgument}, // not a batch
		32: {form: "json", value: 1.0},                     // the tell before it ran first
		33: {form: "value", value: "pong"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("replies\n%v\nwant\n%v", got, want)
	}
}

// MailboxService.Call (what grpcurl uses): results, and errors with the
// google.rpc.Status details every server sends.
func TestUnaryCall(t *testing.T) {
	c := testenv.Client(t)
	ref := spawnGo(t, c, "unary", actorgrpc.SpawnOptions{})
	stub, cc := mailboxStub(t, ref.Address)
	resp, err := stub.Call(ctxFor(t), &pb.CallRequest{Action: "add", Args: list(t, 2, 3)})
	if err != nil || resp.GetResult().GetNumberValue() != 5 {
		t.Errorf("add: %v, %v", resp, err)
	}
	kwargs, _ := structpb.NewStruct(map[string]any{"name": "grpcurl"})
	resp, err = stub.Call(ctxFor(t), &pb.CallRequest{Target: ref.AID, Action: "greet", Kwargs: kwargs})
	if err != nil || resp.GetResult().GetStringValue() != "hello grpcurl! from "+ref.Name {
		t.Errorf("greet: %v, %v", resp, err)
	}
	for _, tc := range []struct {
		req                    *pb.CallRequest
		code                   codes.Code
		reason, class, excType string
	}{
		{&pb.CallRequest{Action: "boom", Args: list(t, "kaput")}, codes.Unknown, "COMMAND_ERROR", "CommandError", "ValueError"},
		{&pb.CallRequest{Action: "fly"}, codes.Unimplemented, "COMMAND_NOT_FOUND", "CommandNotFound", ""},
		{&pb.CallRequest{Target: "elsewhere", Action: "ping"}, codes.NotFound, "ACTOR_NOT_HOSTED", "ActorNotHosted", ""},
		{&pb.CallRequest{Action: "add", Args: list(t, 1)}, codes.InvalidArgument, "INVALID_ARGUMENT", "InvalidArgument", ""},
		{&pb.CallRequest{Action: "sleep", Args: list(t, 3), TimeoutSeconds: 0.1}, codes.DeadlineExceeded, "ACTOR_TIMEOUT", "ActorTimeout", ""},
	} {
		_, err := stub.Call(ctxFor(t), tc.req)
		st := status.Convert(err)
		var info *errdetails.ErrorInfo
		for _, d := range st.Details() {
			info, _ = d.(*errdetails.ErrorInfo)
		}
		if st.Code() != tc.code || info == nil || info.GetDomain() != "actorgrpc.v1" || info.GetReason() != tc.reason ||
			info.GetMetadata()["error_class"] != tc.class || info.GetMetadata()["exception_type"] != tc.excType {
			t.Errorf("%s: %v, details %v", tc.req.GetAction(), st, info)
		}
	}
	// Health checking is served, and open.
	health, err := healthpb.NewHealthClient(cc).Check(ctxFor(t), &healthpb.HealthCheckRequest{})
	if err != nil || health.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health: %v, %v", health, err)
	}
}

// A frame that does not parse is salvaged envelope by envelope: the good
// ones run, a bad one (here: an action that is not UTF-8) is answered
// INVALID_ARGUMENT by its id, and the stream lives on; bytes that are not a
// frame at all end the stream with INVALID_ARGUMENT.
func TestMalformedFrames(t *testing.T) {
	c := testenv.Client(t)
	ref := spawnGo(t, c, "malformed", actorgrpc.SpawnOptions{})
	cc, err := grpc.NewClient(ref.Address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	desc := &grpc.StreamDesc{StreamName: "Stream", ServerStreams: true, ClientStreams: true}
	open := func() grpc.ClientStream {
		st, err := cc.NewStream(ctxFor(t), desc, "/actorgrpc.v1.MailboxService/Stream", grpc.ForceCodecV2(wire.RawCodec{}))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	good := wire.AppendEnvelope(nil, 1, &wire.EnvKey{Action: "ping"}, []byte(`[]`), nil)
	bad := wire.AppendEnvelope(nil, 2, &wire.EnvKey{Action: "pi\xffng"}, []byte(`[]`), nil)
	after := wire.AppendEnvelope(nil, 3, &wire.EnvKey{Action: "echo"}, []byte(`["still here"]`), nil)
	st := open()
	if err := st.SendMsg(append(append(good, bad...), after...)); err != nil {
		t.Fatal(err)
	}
	got := map[uint64]string{}
	for len(got) < 3 {
		var data []byte
		if err := st.RecvMsg(&data); err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		if err := wire.ParseReplies(data, func(o wire.Outcome) {
			if o.Failure != nil {
				got[o.ID] = codes.Code(o.Failure.Code).String()
			} else {
				got[o.ID] = string(o.JSON)
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	if want := map[uint64]string{1: `"pong"`, 2: "InvalidArgument", 3: `"still here"`}; !reflect.DeepEqual(got, want) {
		t.Errorf("replies %v, want %v", got, want)
	}
	st.CloseSend()

	st = open()
	if err := st.SendMsg([]byte{0xff, 0x00, 0x13}); err != nil {
		t.Fatal(err)
	}
	var data []byte
	if err := st.RecvMsg(&data); status.Code(err) != codes.InvalidArgument {
		t.Errorf("bytes that are not a frame: %v", err)
	}
	// The actor is fine.
	if got, err := c.Send(ctxFor(t), ref.Name, "ping"); err != nil || got != "pong" {
		t.Errorf("ping after the malformed frames: %#v, %v", got, err)
	}
}
