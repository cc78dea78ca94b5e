package actorgrpc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Sentinel errors, one per gRPC status code of the actorgrpc contract. Every
// error a Client method returns for a failed call is an *Error, which matches
// the sentinel of its code with errors.Is:
//
//	if errors.Is(err, actorgrpc.ErrNotFound) { ... }
var (
	// ErrNotFound: no live actor has that aid or name (NOT_FOUND).
	ErrNotFound = errors.New("actorgrpc: actor not found")
	// ErrUnimplemented: the actor has no such command (UNIMPLEMENTED).
	ErrUnimplemented = errors.New("actorgrpc: unknown command")
	// ErrInvalidArgument: malformed request, bad hook reference or bad
	// arguments for the command (INVALID_ARGUMENT).
	ErrInvalidArgument = errors.New("actorgrpc: invalid argument")
	// ErrAlreadyExists: the name is taken by a live actor (ALREADY_EXISTS).
	ErrAlreadyExists = errors.New("actorgrpc: name already taken")
	// ErrCommandFailed: the command raised; the message is "Type: text" (UNKNOWN).
	ErrCommandFailed = errors.New("actorgrpc: command failed")
	// ErrUnavailable: the actor died while handling the call, the arbiter is
	// shutting down or cannot be reached (UNAVAILABLE).
	ErrUnavailable = errors.New("actorgrpc: unavailable")
	// ErrDeadlineExceeded: the deadline passed (DEADLINE_EXCEEDED). Such an
	// error also matches context.DeadlineExceeded.
	ErrDeadlineExceeded = errors.New("actorgrpc: deadline exceeded")
	// ErrPermissionDenied: a module or hook outside what the operator allowed
	// (PERMISSION_DENIED).
	ErrPermissionDenied = errors.New("actorgrpc: permission denied")
	// ErrTooLarge: a message larger than the configured maximum
	// (RESOURCE_EXHAUSTED).
	ErrTooLarge = errors.New("actorgrpc: message too large")
	// ErrCanceled: the caller canceled the call (CANCELLED). Such an error also
	// matches context.Canceled.
	ErrCanceled = errors.New("actorgrpc: canceled")
)

// sentinels is the one place where gRPC codes map to sentinel errors.
var sentinels = map[codes.Code]error{
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
}

// Error is a failed call: its gRPC status code and message, and which
// operation on which target failed.
type Error struct {
	// Op is the Client method that failed: "spawn", "send", "info", ...
	Op string
	// Target is the actor the call was about (aid or name), if any.
	Target string
	// Code is the gRPC status code.
	Code codes.Code
	// Message is the status message; for ErrCommandFailed it is
	// "ExceptionType: text".
	Message string
}

// Error formats as "actorgrpc: send w1.boom: UNKNOWN: ValueError: kaput".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("actorgrpc: ")
	b.WriteString(e.Op)
	if e.Target != "" {
		b.WriteString(" ")
		b.WriteString(e.Target)
	}
	fmt.Fprintf(&b, ": %s", CodeName(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Is reports whether target is the sentinel of e's code (see ErrNotFound & co),
// or the context error that a DEADLINE_EXCEEDED / CANCELLED status stands for.
func (e *Error) Is(target error) bool {
	if s, ok := sentinels[e.Code]; ok && s == target {
		return true
	}
	switch e.Code {
	case codes.DeadlineExceeded:
		return target == context.DeadlineExceeded
	case codes.Canceled:
		return target == context.Canceled
	}
	return false
}

// GRPCStatus makes status.FromError and status.Code work on an *Error.
func (e *Error) GRPCStatus() *status.Status {
	return status.New(e.Code, e.Message)
}

// ExceptionType is the Python exception class of a failed command ("ValueError"
// for the message "ValueError: kaput"), or "" when the error is not
// ErrCommandFailed.
func (e *Error) ExceptionType() string {
	if e.Code != codes.Unknown {
		return ""
	}
	typ, _, found := strings.Cut(e.Message, ": ")
	if !found || strings.ContainsAny(typ, " \t\n") {
		return ""
	}
	return typ
}

// wrap turns the error of a gRPC call into an *Error; it is the one boundary
// where errors are mapped.
func wrap(op, target string, err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		// Not a status: a context error from before the call was made, or a
		// local failure. Map context errors to their status twin.
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			st = status.New(codes.DeadlineExceeded, err.Error())
		case errors.Is(err, context.Canceled):
			st = status.New(codes.Canceled, err.Error())
		default:
			st = status.New(codes.Unknown, err.Error())
		}
	}
	return &Error{Op: op, Target: target, Code: st.Code(), Message: st.Message()}
}

// localError reports a request the client refused to send (e.g. a value that
// has no JSON shape) with the code the server would have used.
func localError(op, target string, code codes.Code, format string, a ...any) error {
	return &Error{Op: op, Target: target, Code: code, Message: fmt.Sprintf(format, a...)}
}

// codeNames are the canonical names of google.rpc.Code, as used in the
// conformance cases and by every gRPC implementation's documentation.
var codeNames = [...]string{
	codes.OK:                 "OK",
	codes.Canceled:           "CANCELLED",
	codes.Unknown:            "UNKNOWN",
	codes.InvalidArgument:    "INVALID_ARGUMENT",
	codes.DeadlineExceeded:   "DEADLINE_EXCEEDED",
	codes.NotFound:           "NOT_FOUND",
	codes.AlreadyExists:      "ALREADY_EXISTS",
	codes.PermissionDenied:   "PERMISSION_DENIED",
	codes.ResourceExhausted:  "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION",
	codes.Aborted:            "ABORTED",
	codes.OutOfRange:         "OUT_OF_RANGE",
	codes.Unimplemented:      "UNIMPLEMENTED",
	codes.Internal:           "INTERNAL",
	codes.Unavailable:        "UNAVAILABLE",
	codes.DataLoss:           "DATA_LOSS",
	codes.Unauthenticated:    "UNAUTHENTICATED",
}

// CodeName is the canonical upper-case name of a gRPC code ("NOT_FOUND").
func CodeName(c codes.Code) string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("CODE(%d)", uint32(c))
}

// ParseCode is the inverse of CodeName.
func ParseCode(name string) (codes.Code, bool) {
	for c, n := range codeNames {
		if n == name {
			return codes.Code(c), true
		}
	}
	return 0, false
}
