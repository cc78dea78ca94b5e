package actorgrpc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/actorgrpc/actorgrpc/clients/go/internal/wire"
)

// Sentinel errors. Every error a Client method returns for a failed call is
// an *Error, which matches with errors.Is the sentinel of its gRPC status code
// and, when the server said more (a google.rpc.ErrorInfo, or a stream
// Failure's type), the sentinel of that reason too:
//
//	if errors.Is(err, actorgrpc.ErrNotFound) { ... }
var (
	// ErrNotFound: no live actor has that aid or name (NOT_FOUND).
	ErrNotFound = errors.New("actorgrpc: actor not found")
	// ErrActorNotHosted: the address no longer hosts that incarnation and the
	// command did not run (NOT_FOUND, type "ActorNotHosted"); also ErrNotFound.
	// Send retries a name once on it; an explicit aid or ActorRef is not retried.
	ErrActorNotHosted = errors.New("actorgrpc: actor not hosted at that address")
	// ErrUnimplemented: the actor has no such command (UNIMPLEMENTED).
	ErrUnimplemented = errors.New("actorgrpc: unknown command")
	// ErrInvalidArgument: malformed request, bad hook reference, bad
	// arguments, or a value that is not JSON-shaped (INVALID_ARGUMENT).
	ErrInvalidArgument = errors.New("actorgrpc: invalid argument")
	// ErrAlreadyExists: the name is taken by a live actor (ALREADY_EXISTS).
	ErrAlreadyExists = errors.New("actorgrpc: name already taken")
	// ErrCommandFailed: the command raised; the message is "Type: text" and
	// Error.ExceptionType the type, when the server says it (UNKNOWN).
	ErrCommandFailed = errors.New("actorgrpc: command failed")
	// ErrSpawnFailed: the actor could not start (reason SPAWN_ERROR); also
	// ErrCommandFailed, as Python's SpawnError is a CommandError.
	ErrSpawnFailed = errors.New("actorgrpc: spawn failed")
	// ErrUnavailable: the actor died while handling the call, the stream to
	// it broke, or the arbiter is shutting down or unreachable (UNAVAILABLE).
	ErrUnavailable = errors.New("actorgrpc: unavailable")
	// ErrDeadlineExceeded: the deadline passed (DEADLINE_EXCEEDED). Such an
	// error also matches context.DeadlineExceeded.
	ErrDeadlineExceeded = errors.New("actorgrpc: deadline exceeded")
	// ErrPermissionDenied: a module or hook the operator did not allow, or a
	// token whose role does not allow the call (PERMISSION_DENIED).
	ErrPermissionDenied = errors.New("actorgrpc: permission denied")
	// ErrUnauthenticated: a missing or wrong token (UNAUTHENTICATED).
	ErrUnauthenticated = errors.New("actorgrpc: unauthenticated")
	// ErrResourceExhausted: a message or a queue over its limit
	// (RESOURCE_EXHAUSTED).
	ErrResourceExhausted = errors.New("actorgrpc: resource exhausted")
	// ErrTooLarge: a message larger than the maximum message size
	// (RESOURCE_EXHAUSTED with reason MESSAGE_TOO_LARGE, or without details:
	// gRPC's own size limit); also ErrResourceExhausted.
	ErrTooLarge = errors.New("actorgrpc: message too large")
	// ErrCanceled: the caller canceled the call, or closed the client
	// (CANCELLED). Such an error also matches context.Canceled.
	ErrCanceled = errors.New("actorgrpc: canceled")
)

// codeSentinels is where gRPC codes map to sentinel errors.
var codeSentinels = map[codes.Code]error{
	codes.NotFound:          ErrNotFound,
	codes.Unimplemented:     ErrUnimplemented,
	codes.InvalidArgument:   ErrInvalidArgument,
	codes.AlreadyExists:     ErrAlreadyExists,
	codes.Unknown:           ErrCommandFailed,
	codes.Unavailable:       ErrUnavailable,
	codes.DeadlineExceeded:  ErrDeadlineExceeded,
	codes.PermissionDenied:  ErrPermissionDenied,
	codes.Unauthenticated:   ErrUnauthenticated,
	codes.ResourceExhausted: ErrResourceExhausted,
	codes.Canceled:          ErrCanceled,
}

// The reasons of the protocol's ErrorInfo (docs/actor-protocol.md §1).
const (
	ReasonActorNotFound      = "ACTOR_NOT_FOUND"
	ReasonActorNotHosted     = "ACTOR_NOT_HOSTED"
	ReasonCommandNotFound    = "COMMAND_NOT_FOUND"
	ReasonInvalidArgument    = "INVALID_ARGUMENT"
	ReasonMessageTooLarge    = "MESSAGE_TOO_LARGE"
	ReasonAlreadyExists      = "ACTOR_ALREADY_EXISTS"
	ReasonCommandError       = "COMMAND_ERROR"
	ReasonSpawnError         = "SPAWN_ERROR"
	ReasonActorUnavailable   = "ACTOR_UNAVAILABLE"
	ReasonActorTimeout       = "ACTOR_TIMEOUT"
	ReasonPermissionDenied   = "PERMISSION_DENIED"
	ReasonResourceExhausted  = "RESOURCE_EXHAUSTED"
	ReasonUnauthenticated    = "UNAUTHENTICATED"
	errorDomain              = "actorgrpc.v1"
	metadataErrorClass       = "error_class"
	metadataExceptionType    = "exception_type"
	errorClassActorNotHosted = notHostedType
	errorClassSpawnError     = "SpawnError"
)

// reasonSentinels refine the code's sentinel when the server names a reason.
var reasonSentinels = map[string]error{
	ReasonActorNotFound:     ErrNotFound,
	ReasonActorNotHosted:    ErrActorNotHosted,
	ReasonCommandNotFound:   ErrUnimplemented,
	ReasonInvalidArgument:   ErrInvalidArgument,
	ReasonMessageTooLarge:   ErrTooLarge,
	ReasonAlreadyExists:     ErrAlreadyExists,
	ReasonCommandError:      ErrCommandFailed,
	ReasonSpawnError:        ErrSpawnFailed,
	ReasonActorUnavailable:  ErrUnavailable,
	ReasonActorTimeout:      ErrDeadlineExceeded,
	ReasonPermissionDenied:  ErrPermissionDenied,
	ReasonResourceExhausted: ErrResourceExhausted,
	ReasonUnauthenticated:   ErrUnauthenticated,
}

// Error is a failed call: its gRPC status code and message, what the server
// said about it in its error details, and which operation on which target
// failed.
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
	// Reason is the ErrorInfo's reason ("COMMAND_ERROR", ...), empty when the
	// server sent no details.
	Reason string
	// ErrorClass is the server's error class ("SpawnError", "ActorNotHosted"),
	// from ErrorInfo metadata["error_class"] or a stream Failure's type.
	ErrorClass string
	// ExceptionType is the type of the exception a command raised
	// ("ValueError"), from ErrorInfo metadata["exception_type"] or a stream
	// Failure's type; empty when the server did not say.
	ExceptionType string
	// Metadata is the ErrorInfo's metadata, if any.
	Metadata map[string]string
}

// Error formats as "actorgrpc: send w1: UNKNOWN: ValueError: kaput".
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

// Is reports whether target is the sentinel of e's code or of its reason
// (see ErrNotFound & co), or the context error that a DEADLINE_EXCEEDED /
// CANCELLED status stands for.
func (e *Error) Is(target error) bool {
	if s, ok := codeSentinels[e.Code]; ok && s == target {
		return true
	}
	if s, ok := reasonSentinels[e.Reason]; ok && s == target {
		return true
	}
	switch target {
	case ErrTooLarge:
		// gRPC's own size limit sends no details: RESOURCE_EXHAUSTED without a
		// reason is a message too large.
		return e.Code == codes.ResourceExhausted && (e.Reason == "" || e.Reason == ReasonMessageTooLarge)
	case ErrSpawnFailed:
		return e.ErrorClass == errorClassSpawnError
	case ErrActorNotHosted:
		return e.Code == codes.NotFound && e.ErrorClass == errorClassActorNotHosted
	case context.DeadlineExceeded:
		return e.Code == codes.DeadlineExceeded
	case context.Canceled:
		return e.Code == codes.Canceled
	}
	return false
}

// GRPCStatus makes status.FromError and status.Code work on an *Error.
func (e *Error) GRPCStatus() *status.Status {
	st := status.New(e.Code, e.Message)
	if e.Reason == "" {
		return st
	}
	md := map[string]string{}
	for k, v := range e.Metadata {
		md[k] = v
	}
	if e.ErrorClass != "" {
		md[metadataErrorClass] = e.ErrorClass
	}
	if e.ExceptionType != "" {
		md[metadataExceptionType] = e.ExceptionType
	}
	if withDetails, err := st.WithDetails(&errdetails.ErrorInfo{Domain: errorDomain, Reason: e.Reason, Metadata: md}); err == nil {
		return withDetails
	}
	return st
}

// wrap turns the error of a gRPC call into an *Error: the one boundary where
// errors are mapped, from the status code and the status details, never from
// the message.
func wrap(op, target string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
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
	return statusError(op, target, st)
}

// statusError is the *Error of a gRPC status, with its ErrorInfo if any.
func statusError(op, target string, st *status.Status) *Error {
	e := &Error{Op: op, Target: target, Code: st.Code(), Message: st.Message()}
	for _, d := range st.Details() {
		info, ok := d.(*errdetails.ErrorInfo)
		if !ok || (info.GetDomain() != errorDomain && info.GetDomain() != "") {
			continue
		}
		e.Reason = info.GetReason()
		e.Metadata = info.GetMetadata()
		e.ErrorClass = e.Metadata[metadataErrorClass]
		e.ExceptionType = e.Metadata[metadataExceptionType]
		break
	}
	return e
}

// failureError is the *Error of a Failure on the mailbox stream: its type is
// an exception's type for a command that raised (UNKNOWN), else the server's
// error class ("ActorNotHosted").
func failureError(op, target string, f *wire.Failure) *Error {
	e := &Error{Op: op, Target: target, Code: codes.Code(f.Code), Message: f.Message}
	if e.Code == codes.OK {
		e.Code = codes.Unknown // a Failure is never a success
	}
	if e.Code == codes.Unknown && f.Type != errorClassSpawnError {
		e.ExceptionType = f.Type
	} else {
		e.ErrorClass = f.Type
	}
	return e
}

// localError reports a request the client refused or gave up on, with the
// code and reason the server would have used.
func localError(op, target string, code codes.Code, reason, format string, a ...any) *Error {
	return &Error{Op: op, Target: target, Code: code, Reason: reason, Message: fmt.Sprintf(format, a...)}
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
