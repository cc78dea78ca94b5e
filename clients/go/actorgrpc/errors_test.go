package actorgrpc

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestErrorIsItsSentinelOnly(t *testing.T) {
	all := []error{ErrNotFound, ErrUnimplemented, ErrInvalidArgument, ErrAlreadyExists,
		ErrCommandFailed, ErrUnavailable, ErrDeadlineExceeded, ErrPermissionDenied,
		ErrTooLarge, ErrCanceled}
	cases := map[codes.Code]error{
		codes.NotFound:          ErrNotFound,
		codes.Unimplemented:     ErrUnimplemented,
		codes.InvalidArgument:   ErrInvalidArgument,
		codes.AlreadyExists:     ErrAlreadyExists,
		codes.Unknown:           ErrCommandFailed,
		codes.Unavailable:       ErrUnavailable,
		codes.DeadlineExceeded:  ErrDeadlineExceeded,
		codes.PermissionDenied:  ErrPermissionDenied,
		codes.ResourceExhausted: ErrTooLarge,
		codes.Canceled:          ErrCanceled,
		codes.Internal:          nil,
	}
	for code, want := range cases {
		err := wrap("send", "w1", status.Error(code, "text"))
		for _, s := range all {
			if got := errors.Is(err, s); got != (s == want) {
				t.Errorf("%s: errors.Is(err, %v) = %v", CodeName(code), s, got)
			}
		}
		if got := status.Code(err); got != code {
			t.Errorf("status.Code(wrapped %s) = %s", CodeName(code), got)
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != code || e.Message != "text" || e.Op != "send" || e.Target != "w1" {
			t.Errorf("%s: errors.As gives %#v", CodeName(code), e)
		}
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
	// Without details the exception type is unknown: messages are never parsed.
	var e *Error
	errors.As(err, &e)
	if e.ExceptionType != "" || e.Reason != "" {
		t.Errorf("a status without details gave exception type %q, reason %q", e.ExceptionType, e.Reason)
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
