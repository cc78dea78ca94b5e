package actorgrpc

import (
	"encoding/json"
	"testing"

	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
)

// Every value of the wire's enums has a short lower-case name that parses back.
func TestEnumNamesRoundTrip(t *testing.T) {
	for n := range pb.ActorState_name {
		s := State(n)
		back, err := ParseState(s.String())
		if err != nil || back != s {
			t.Errorf("state %d: %q parses back as %d, %v", n, s, back, err)
		}
	}
	for n := range pb.ActorKind_name {
		k := Kind(n)
		if back, err := ParseKind(k.String()); err != nil || back != k {
			t.Errorf("kind %d: %q parses back as %d, %v", n, k, back, err)
		}
	}
	for n := range pb.RestartType_name {
		r := RestartType(n)
		if back, err := ParseRestartType(r.String()); err != nil || back != r {
			t.Errorf("restart type %d: %q parses back as %d, %v", n, r, back, err)
		}
	}
}

// The names are Python's: the enum value's name without its prefix, lower case.
func TestEnumNamesArePythons(t *testing.T) {
	for got, want := range map[string]string{
		StateRunning.String():     "running",
		StateClosed.String():      "closed",
		StateTerminated.String():  "terminated",
		KindProcess.String():      "process",
		KindExec.String():         "exec",
		RestartPermanent.String(): "permanent",
		State(42).String():        "State(42)",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if _, err := ParseKind("fork"); err == nil {
		t.Error(`ParseKind("fork") succeeded`)
	}
	if k, err := ParseKind(""); err != nil || k != KindUnspecified {
		t.Errorf(`ParseKind("") = %v, %v`, k, err)
	}
}

func TestActorRefJSON(t *testing.T) {
	data, err := json.Marshal(ActorRef{Name: "w", State: StateRunning})
	if err != nil || string(data) != `{"aid":"","name":"w","address":"","state":"running"}` {
		t.Fatalf("marshal: %s, %v", data, err)
	}
	var ref ActorRef
	if err := json.Unmarshal(data, &ref); err != nil || ref.State != StateRunning {
		t.Fatalf("unmarshal: %+v, %v", ref, err)
	}
}

// A summary's JSON has Python's `ps --json` keys and short names.
func TestSummaryJSON(t *testing.T) {
	s := summaryFromPB(&pb.ActorSummary{
		Actor:         &pb.ActorRef{Aid: "a1", Name: "w", State: pb.ActorState_ACTOR_STATE_TERMINATED},
		Kind:          pb.ActorKind_ACTOR_KIND_EXEC,
		Restart:       pb.RestartType_RESTART_TYPE_PERMANENT,
		UptimeSeconds: 1.5,
		CrashReport:   &pb.CrashReport{ExitCode: -9, ExitDescription: "killed by SIGKILL"},
	})
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got["kind"] != "exec" || got["restart"] != "permanent" || got["uptime_seconds"] != 1.5 {
		t.Errorf("summary JSON %s", data)
	}
	if actor, _ := got["actor"].(map[string]any); actor["state"] != "terminated" {
		t.Errorf("actor %v", got["actor"])
	}
	if cr, _ := got["crash_report"].(map[string]any); cr["exit_code"] != -9.0 || cr["exit_description"] != "killed by SIGKILL" {
		t.Errorf("crash_report %v", got["crash_report"])
	}
	if _, ok := got["created_at"]; ok {
		t.Errorf("an unset created_at is written: %s", data)
	}
}
