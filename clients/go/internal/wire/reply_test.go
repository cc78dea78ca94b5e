package wire_test

import (
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/wire"
)

func TestParseReplies(t *testing.T) {
	resp := &pb.StreamResponse{Replies: []*pb.Reply{
		{Id: 1, Outcome: &pb.Reply_ResultJson{ResultJson: []byte(`"pong"`)}},
		{Id: 5, Outcome: &pb.Reply_BatchResultsJson{BatchResultsJson: []byte(`[1, {"a": [2, "]"]}, "x\"]"]`)}},
		{Id: 9, Outcome: &pb.Reply_Failure{Failure: &pb.Failure{Code: 2, Message: "ValueError: kaput", Type: "ValueError"}}},
		{Id: 10, Outcome: &pb.Reply_Result{Result: structpb.NewStringValue("v")}},
		{Id: 11},
	}}
	data, err := proto.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	var got []wire.Outcome
	if err := wire.ParseReplies(data, func(o wire.Outcome) { got = append(got, o) }); err != nil {
		t.Fatal(err)
	}
	ids := []uint64{}
	for _, o := range got {
		ids = append(ids, o.ID)
	}
	if want := []uint64{1, 5, 6, 7, 9, 10, 11}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("ids %v, want %v", ids, want)
	}
	if string(got[0].JSON) != `"pong"` || string(got[1].JSON) != `1` ||
		string(got[2].JSON) != `{"a": [2, "]"]}` || string(got[3].JSON) != `"x\"]"` {
		t.Errorf("results %q %q %q %q", got[0].JSON, got[1].JSON, got[2].JSON, got[3].JSON)
	}
	if f := got[4].Failure; f == nil || f.Code != 2 || f.Message != "ValueError: kaput" || f.Type != "ValueError" {
		t.Errorf("failure %+v", f)
	}
	var v structpb.Value
	if err := proto.Unmarshal(got[5].Value, &v); err != nil || v.GetStringValue() != "v" {
		t.Errorf("value %v, %v", &v, err)
	}
	if got[6].JSON != nil || got[6].Value != nil || got[6].Failure != nil {
		t.Errorf("a reply without outcome: %+v", got[6])
	}
	if err := wire.ParseReplies([]byte{0x0a, 0x05, 0x08}, func(wire.Outcome) {}); err == nil {
		t.Error("a truncated frame parsed")
	}
}

func TestSplitJSONArray(t *testing.T) {
	for in, want := range map[string][]string{
		`[]`:                      nil,
		` [ ] `:                   nil,
		`[1]`:                     {`1`},
		`[ 1 , "a,b" ,[2,[3]] ]`:  {`1`, `"a,b"`, `[2,[3]]`},
		`[{"k":"}"},"\\",null]`:   {`{"k":"}"}`, `"\\"`, `null`},
		`["\"]", {"a":{"b":[]}}]`: {`"\"]"`, `{"a":{"b":[]}}`},
	} {
		var got []string
		if err := wire.SplitJSONArray([]byte(in), func(e []byte) { got = append(got, string(e)) }); err != nil {
			t.Errorf("%s: %v", in, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
	for _, in := range []string{``, `{}`, `[1`, `[1,]`, `[1] x`, `[[1]`, `"[1]"`} {
		if err := wire.SplitJSONArray([]byte(in), func([]byte) {}); err == nil {
			t.Errorf("%q split without error", in)
		}
	}
}

// The server side's encoders write what the generated types read, and what
// ParseReplies reads back.
func TestReplyEncoders(t *testing.T) {
	value, err := proto.Marshal(structpb.NewStringValue("v"))
	if err != nil {
		t.Fatal(err)
	}
	var buf []byte
	buf = wire.AppendResultJSON(buf, 3, []byte(`"x"`))
	buf = wire.AppendBatchResults(buf, 1<<40, [][]byte{[]byte(`1`), []byte(`{"a":[2]}`)})
	buf = wire.AppendFailure(buf, 20, wire.Failure{Code: 5, Message: "no actor 'a' at this address", Type: "ActorNotHosted"})
	buf = wire.AppendFailure(buf, 21, wire.Failure{Message: "no code, no type"})
	buf = wire.AppendResultValue(buf, 22, value)
	var resp pb.StreamResponse
	if err := proto.Unmarshal(buf, &resp); err != nil {
		t.Fatal(err)
	}
	r := resp.GetReplies()
	if len(r) != 5 || r[0].GetId() != 3 || string(r[0].GetResultJson()) != `"x"` ||
		r[1].GetId() != 1<<40 || string(r[1].GetBatchResultsJson()) != `[1,{"a":[2]}]` ||
		r[2].GetFailure().GetCode() != 5 || r[2].GetFailure().GetType() != "ActorNotHosted" ||
		r[3].GetFailure().GetMessage() != "no code, no type" || r[4].GetResult().GetStringValue() != "v" {
		t.Errorf("replies %v", r)
	}
	var ids []uint64
	if err := wire.ParseReplies(buf, func(o wire.Outcome) { ids = append(ids, o.ID) }); err != nil {
		t.Fatal(err)
	}
	if want := []uint64{3, 1 << 40, 1<<40 + 1, 20, 21, 22}; !reflect.DeepEqual(ids, want) {
		t.Errorf("ids %v, want %v", ids, want)
	}
	for _, n := range []int{0, 1, 127, 128, 20000} {
		if got := len(wire.AppendResultJSON(nil, 1<<50, make([]byte, n))); got != wire.ReplySize(1<<50, n) {
			t.Errorf("ReplySize(%d) = %d, the reply is %d bytes", n, wire.ReplySize(1<<50, n), got)
		}
	}
}

func TestSplitEntriesAndScan(t *testing.T) {
	a := wire.AppendEnvelope(nil, 7, &wire.EnvKey{Action: "x\xff", Tell: true}, []byte(`[]`), nil)
	b := wire.AppendEnvelope(nil, 1<<40, &wire.EnvKey{Target: "t", Action: "ping", Timeout: 2}, []byte(`[1]`), nil)
	entries, ok := wire.SplitEntries(append(append([]byte{}, a...), b...))
	if !ok || len(entries) != 2 {
		t.Fatalf("%d entries, %v", len(entries), ok)
	}
	if id, tell := wire.ScanIDAndTell(entries[0]); id != 7 || !tell {
		t.Errorf("first: %d, %v", id, tell)
	}
	if id, tell := wire.ScanIDAndTell(entries[1]); id != 1<<40 || tell {
		t.Errorf("second: %d, %v", id, tell)
	}
	for _, bad := range [][]byte{{0x12, 0x00}, {0x0a, 0x05, 0x01}, {0xff}} {
		if _, ok := wire.SplitEntries(bad); ok {
			t.Errorf("%x split", bad)
		}
	}
	if id, tell := wire.ScanIDAndTell([]byte{0x08}); id != 0 || tell {
		t.Errorf("a truncated entry: %d, %v", id, tell)
	}
}
