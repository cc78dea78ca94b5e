package actorgrpc

import (
	"fmt"
	"strings"

	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
)

// The wire's enums as Go types. Every name shown to a person (String, JSON,
// actorctl) is the enum value's name without its prefix, in lower case:
// "running", "process", "permanent", exactly as Python's CLI shows them.

// State is an actor's life-cycle state. Its numbers are the wire's
// (ActorState): pulsar's ACTOR_STATES plus one, so that zero means "not set".
type State int32

// The states of an actor, in life-cycle order.
const (
	StateUnspecified State = State(pb.ActorState_ACTOR_STATE_UNSPECIFIED)
	StateInitial     State = State(pb.ActorState_ACTOR_STATE_INITIAL)
	StateInactive    State = State(pb.ActorState_ACTOR_STATE_INACTIVE)
	StateStarting    State = State(pb.ActorState_ACTOR_STATE_STARTING)
	StateRunning     State = State(pb.ActorState_ACTOR_STATE_RUNNING)
	StateStopping    State = State(pb.ActorState_ACTOR_STATE_STOPPING)
	StateClosed      State = State(pb.ActorState_ACTOR_STATE_CLOSED)
	StateTerminated  State = State(pb.ActorState_ACTOR_STATE_TERMINATED)
)

// Kind is what hosts an actor (ActorKind on the wire).
type Kind int32

// The kinds of actors.
const (
	// KindUnspecified spawns a process actor (the server's default).
	KindUnspecified Kind = Kind(pb.ActorKind_ACTOR_KIND_UNSPECIFIED)
	KindProcess     Kind = Kind(pb.ActorKind_ACTOR_KIND_PROCESS)
	KindThread      Kind = Kind(pb.ActorKind_ACTOR_KIND_THREAD)
	KindMonitor     Kind = Kind(pb.ActorKind_ACTOR_KIND_MONITOR)
	KindArbiter     Kind = Kind(pb.ActorKind_ACTOR_KIND_ARBITER)
	// KindExec is a program in any language that speaks the actor protocol,
	// registered by the operator (SpawnOptions.Program).
	KindExec Kind = Kind(pb.ActorKind_ACTOR_KIND_EXEC)
)

// RestartType says which exits a supervisor restarts (Erlang/OTP's restart types).
type RestartType int32

// The restart types.
const (
	// RestartUnspecified is the supervisor's default: temporary for actors
	// spawned directly, permanent for a monitor's workers.
	RestartUnspecified RestartType = RestartType(pb.RestartType_RESTART_TYPE_UNSPECIFIED)
	RestartTemporary   RestartType = RestartType(pb.RestartType_RESTART_TYPE_TEMPORARY)
	RestartTransient   RestartType = RestartType(pb.RestartType_RESTART_TYPE_TRANSIENT)
	RestartPermanent   RestartType = RestartType(pb.RestartType_RESTART_TYPE_PERMANENT)
)

// enumNames is the short lower-case name of every value of one wire enum.
type enumNames struct {
	what   string
	byNum  map[int32]string
	byName map[string]int32
}

func newEnumNames(what, prefix string, wire map[int32]string) enumNames {
	e := enumNames{what: what, byNum: map[int32]string{}, byName: map[string]int32{}}
	for n, full := range wire {
		short := strings.ToLower(strings.TrimPrefix(full, prefix))
		e.byNum[n] = short
		e.byName[short] = n
	}
	return e
}

func (e enumNames) name(n int32) string {
	if s, ok := e.byNum[n]; ok {
		return s
	}
	return fmt.Sprintf("%s(%d)", e.what, n)
}

func (e enumNames) parse(s string) (int32, error) {
	if n, ok := e.byName[strings.ToLower(s)]; ok {
		return n, nil
	}
	return 0, fmt.Errorf("actorgrpc: unknown %s %q", strings.ToLower(e.what), s)
}

var (
	stateNames   = newEnumNames("State", "ACTOR_STATE_", pb.ActorState_name)
	kindNames    = newEnumNames("Kind", "ACTOR_KIND_", pb.ActorKind_name)
	restartNames = newEnumNames("RestartType", "RESTART_TYPE_", pb.RestartType_name)
)

// String is the state's short name: "running", "closed", ...
func (s State) String() string { return stateNames.name(int32(s)) }

// MarshalText writes the short name, so that JSON shows "running", not 4.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a short name as written by MarshalText.
func (s *State) UnmarshalText(b []byte) error {
	n, err := stateNames.parse(string(b))
	*s = State(n)
	return err
}

// ParseState reads a state's short name ("running"); case does not matter.
func ParseState(name string) (State, error) {
	n, err := stateNames.parse(name)
	return State(n), err
}

// String is the kind's short name: "process", "thread", "exec", ...
func (k Kind) String() string { return kindNames.name(int32(k)) }

// MarshalText writes the short name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a short name as written by MarshalText.
func (k *Kind) UnmarshalText(b []byte) error {
	n, err := kindNames.parse(string(b))
	*k = Kind(n)
	return err
}

// ParseKind reads a kind's short name ("process", "thread", "exec"); "" is
// KindUnspecified.
func ParseKind(name string) (Kind, error) {
	if name == "" {
		return KindUnspecified, nil
	}
	n, err := kindNames.parse(name)
	return Kind(n), err
}

// String is the restart type's short name: "temporary", "transient", "permanent".
func (r RestartType) String() string { return restartNames.name(int32(r)) }

// MarshalText writes the short name.
func (r RestartType) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a short name as written by MarshalText.
func (r *RestartType) UnmarshalText(b []byte) error {
	n, err := restartNames.parse(string(b))
	*r = RestartType(n)
	return err
}

// ParseRestartType reads a restart type's short name; "" is RestartUnspecified.
func ParseRestartType(name string) (RestartType, error) {
	if name == "" {
		return RestartUnspecified, nil
	}
	n, err := restartNames.parse(name)
	return RestartType(n), err
}
