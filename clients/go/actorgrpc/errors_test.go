package actorgrpc

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/actorgrpc/actorgrpc/clients/go/internal/wire"
)

var allSentinels = map[string]error{
	"ErrNotFound": ErrNotFound, "ErrActorNotHosted": ErrActorNotHosted, "ErrUnimplemented": ErrUnimplemented,
	"ErrInvalidArgument": ErrInvalidArgument, "ErrAlreadyExists": ErrAlreadyExists,
	"ErrCommandFailed": ErrCommandFailed, "ErrSpawnFailed": ErrSpawnFailed, "ErrUnavailable": ErrUnavailable,
	"ErrDeadlineExceeded": ErrDeadlineExceeded, "ErrPermissionDenied": ErrPermissionDenied,
	"ErrUnauthenticated": ErrUnauthenticated, "ErrResourceExhausted": ErrResourceExhausted,
	"ErrTooLarge": ErrTooLarge, "ErrCanceled": ErrCanceled,
}

// matching lists the sentinels err matches, by name.
func matching(err error) []string {
	var out []string
	for name, s := range allSentinels {
		if errors.Is(err, s) {
			out = append(out, name)
		}
	}
	return sortedCopy(out)
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// withInfo is a status with the protocol's ErrorInfo, as servers send it.
func withInfo(t *testing.T, code codes.Code, msg, domain, reason string, md map[string]string) error {
	t.Helper()
	st, err := status.New(code, msg).WithDetails(&errdetails.ErrorInfo{Domain: domain, Reason: reason, Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	return st.Err()
}

// Without details, the code alone decides: each maps to its sentinel only.
func TestCodesMapToTheirSentinels(t *testing.T) {
	for code, want := range map[codes.Code][]string{
		codes.NotFound:          {"ErrNotFound"},
		codes.Unimplemented:     {"ErrUnimplemented"},
		codes.InvalidArgument:   {"ErrInvalidArgument"},
		codes.AlreadyExists:     {"ErrAlreadyExists"},
		codes.Unknown:           {"ErrCommandFailed"},
		codes.Unavailable:       {"ErrUnavailable"},
		codes.DeadlineExceeded:  {"ErrDeadlineExceeded"},
		codes.PermissionDenied:  {"ErrPermissionDenied"},
		codes.Unauthenticated:   {"ErrUnauthenticated"},
		codes.ResourceExhausted: {"ErrResourceExhausted", "ErrTooLarge"}, // gRPC's own size limit
		codes.Canceled:          {"ErrCanceled"},
		codes.Internal:          nil,
	} {
		err := wrap("send", "w1", status.Error(code, "ValueError: text"))
		if got := matching(err); !reflect.DeepEqual(got, sortedCopy(want)) {
			t.Errorf("%s matches %v, want %v", CodeName(code), got, want)
		}
		if got := status.Code(err); got != code {
			t.Errorf("status.Code(wrapped %s) = %s", CodeName(code), got)
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != code || e.Message != "ValueError: text" || e.Op != "send" || e.Target != "w1" {
			t.Errorf("%s: errors.As gives %#v", CodeName(code), e)
		}
		// Messages are never parsed.
		if e.ExceptionType != "" || e.Reason != "" || e.ErrorClass != "" {
			t.Errorf("%s without details: %#v", CodeName(code), e)
		}
	}
}

// With a google.rpc.Status ErrorInfo (the trailer grpc-status-details-bin),
// the reason and its metadata say more than the code.
func TestDetailsRefineTheCode(t *testing.T) {
	md := map[string]string{"error_class": "CommandError", "exception_type": "ValueError"}
	err := wrap("send", "w1", withInfo(t, codes.Unknown, "ValueError: kaput", "actorgrpc.v1", "COMMAND_ERROR", md))
	var e *Error
	if !errors.As(err, &e) || e.Reason != ReasonCommandError || e.ErrorClass != "CommandError" ||
		e.ExceptionType != "ValueError" || !reflect.DeepEqual(e.Metadata, md) {
		t.Fatalf("details: %#v", e)
	}
	if got := matching(err); !reflect.DeepEqual(got, []string{"ErrCommandFailed"}) {
		t.Errorf("a command error matches %v", got)
	}

	for _, c := range []struct {
		code   codes.Code
		reason string
		md     map[string]string
		want   []string
	}{
		{codes.Unknown, "SPAWN_ERROR", map[string]string{"error_class": "SpawnError"}, []string{"ErrCommandFailed", "ErrSpawnFailed"}},
		{codes.NotFound, "ACTOR_NOT_HOSTED", map[string]string{"error_class": "ActorNotHosted"}, []string{"ErrActorNotHosted", "ErrNotFound"}},
		{codes.NotFound, "ACTOR_NOT_FOUND", map[string]string{"error_class": "ActorNotFound"}, []string{"ErrNotFound"}},
		{codes.ResourceExhausted, "MESSAGE_TOO_LARGE", nil, []string{"ErrResourceExhausted", "ErrTooLarge"}},
		// A queue over its limit is not a message too large.
		{codes.ResourceExhausted, "RESOURCE_EXHAUSTED", nil, []string{"ErrResourceExhausted"}},
		{codes.DeadlineExceeded, "ACTOR_TIMEOUT", nil, []string{"ErrDeadlineExceeded"}},
		{codes.Unauthenticated, "UNAUTHENTICATED", nil, []string{"ErrUnauthenticated"}},
	} {
		err := wrap("send", "", withInfo(t, c.code, "m", "actorgrpc.v1", c.reason, c.md))
		if got := matching(err); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s/%s matches %v, want %v", CodeName(c.code), c.reason, got, c.want)
		}
	}

	// Another domain's ErrorInfo is not ours: the code alone decides.
	err = wrap("send", "", withInfo(t, codes.Unknown, "m", "example.com", "SPAWN_ERROR", map[string]string{"exception_type": "X"}))
	if errors.As(err, &e); e.Reason != "" || e.ExceptionType != "" || errors.Is(err, ErrSpawnFailed) {
		t.Errorf("a foreign ErrorInfo was read: %#v", e)
	}
}

// GRPCStatus gives the details back: an *Error survives a trip through a status.
func TestErrorStatusRoundTrip(t *testing.T) {
	e := &Error{Op: "send", Target: "w1", Code: codes.Unknown, Message: "ValueError: kaput",
		Reason: ReasonCommandError, ErrorClass: "CommandError", ExceptionType: "ValueError",
		Metadata: map[string]string{"error_class": "CommandError", "exception_type": "ValueError"}}
	back := statusError("send", "w1", e.GRPCStatus())
	if !reflect.DeepEqual(back, e) {
		t.Errorf("round trip\n%#v\nwant\n%#v", back, e)
	}
}

// A Failure on the stream: its type is the exception's for a command that
// raised, else the server's error class.
func TestFailuresOnTheStream(t *testing.T) {
	e := failureError("send", "w1", &wire.Failure{Code: int32(codes.Unknown), Message: "ValueError: kaput", Type: "ValueError"})
	if e.ExceptionType != "ValueError" || e.ErrorClass != "" || !errors.Is(e, ErrCommandFailed) {
		t.Errorf("a command that raised: %#v", e)
	}
	e = failureError("send", "w1", &wire.Failure{Code: int32(codes.NotFound), Message: "no actor 'a1' at this address", Type: "ActorNotHosted"})
	if got := matching(e); !reflect.DeepEqual(got, []string{"ErrActorNotHosted", "ErrNotFound"}) || e.ExceptionType != "" {
		t.Errorf("not hosted: %#v matches %v", e, got)
	}
	e = failureError("send", "w1", &wire.Failure{Code: int32(codes.Unknown), Message: "m", Type: "SpawnError"})
	if !errors.Is(e, ErrSpawnFailed) || e.ExceptionType != "" {
		t.Errorf("a spawn error: %#v", e)
	}
	// A Failure without a code is still a failure.
	if e = failureError("send", "", &wire.Failure{Message: "m"}); e.Code != codes.Unknown {
		t.Errorf("a Failure without code: %s", CodeName(e.Code))
	}
}

func TestErrorMatchesContextErrors(t *testing.T) {
	if err := wrap("send", "", status.Error(codes.DeadlineExceeded, "")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("DEADLINE_EXCEEDED does not match context.DeadlineExceeded")
	}
	if err := wrap("send", "", status.Error(codes.Canceled, "")); !errors.Is(err, context.Canceled) {
		t.Errorf("CANCELLED does not match context.Canceled")
	}
	if err := wrap("send", "", context.DeadlineExceeded); !errors.Is(err, ErrDeadlineExceeded) {
		t.Errorf("a bare context.DeadlineExceeded does not map to ErrDeadlineExceeded")
	}
	if err := wrap("send", "", status.Error(codes.NotFound, "")); errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("NOT_FOUND matches context.DeadlineExceeded")
	}
}

func TestErrorText(t *testing.T) {
	err := wrap("send", "w1", status.Error(codes.Unknown, "ValueError: kaput"))
	if got, want := err.Error(), "actorgrpc: send w1: UNKNOWN: ValueError: kaput"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestCodeNames(t *testing.T) {
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		name := CodeName(c)
		back, ok := ParseCode(name)
		if !ok || back != c {
			t.Errorf("ParseCode(CodeName(%d) = %q) = %v, %v", c, name, back, ok)
		}
	}
	if _, ok := ParseCode("NOPE"); ok {
		t.Errorf("ParseCode accepted NOPE")
	}
}
