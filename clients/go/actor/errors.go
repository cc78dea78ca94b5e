package actor

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/actorgrpc/actorgrpc/clients/go/actorgrpc"
	"github.com/actorgrpc/actorgrpc/clients/go/internal/wire"
)

// Exception is an error a command raises with a type of its own, as a
// Python command raises an exception: the caller gets UNKNOWN with the
// message "Type: Message", and Type as the exception type (Failure.type on
// the stream, ErrorInfo metadata["exception_type"] on a unary call).
//
//	return nil, &actor.Exception{Type: "ValueError", Message: "kaput"}
type Exception struct {
	Type    string
	Message string
}

func (e *Exception) Error() string {
	if e.Message == "" {
		return e.Type
	}
	return e.Type + ": " + e.Message
}

// Raise is an *Exception with a formatted message.
func Raise(typ, format string, a ...any) error {
	return &Exception{Type: typ, Message: fmt.Sprintf(format, a...)}
}

// InvalidArgument is the error of a command whose arguments are wrong
// (INVALID_ARGUMENT, like a call that does not fit the command's parameters).
func InvalidArgument(format string, a ...any) error {
	return &protocolError{code: codes.InvalidArgument, class: "InvalidArgument", msg: fmt.Sprintf(format, a...)}
}

// protocolError is a failure with the protocol's code and error class (the
// class names are Python's, so that every client maps them alike).
type protocolError struct {
	code    codes.Code
	class   string // "CommandNotFound", "ActorNotHosted", ...
	msg     string
	excType string // for a command that raised
}

func (e *protocolError) Error() string { return e.msg }

func notHosted(aid string) *protocolError {
	return &protocolError{code: codes.NotFound, class: "ActorNotHosted", msg: fmt.Sprintf("no actor '%s' at this address", aid)}
}

func commandNotFound(action string) *protocolError {
	return &protocolError{code: codes.Unimplemented, class: "CommandNotFound", msg: fmt.Sprintf("unknown command '%s'", action)}
}

func badArguments(action, why string) *protocolError {
	return &protocolError{code: codes.InvalidArgument, class: "InvalidArgument",
		msg: fmt.Sprintf("bad arguments for command '%s': %s", action, why)}
}

func tooLarge(msg string) *protocolError {
	return &protocolError{code: codes.ResourceExhausted, class: "MessageTooLarge", msg: msg}
}

// failureOf describes any error a call ended with, as the protocol does.
func failureOf(err error) *protocolError {
	var pe *protocolError
	if errors.As(err, &pe) {
		return pe
	}
	var ex *Exception
	if errors.As(err, &ex) {
		return &protocolError{code: codes.Unknown, class: "CommandError", msg: ex.Error(), excType: ex.Type}
	}
	// A call the actor made to another actor failed: pass its failure on,
	// as Python re-raises a remote error.
	var remote *actorgrpc.Error
	if errors.As(err, &remote) {
		class := remote.ErrorClass
		if class == "" {
			class = classOfCode[remote.Code]
		}
		return &protocolError{code: remote.Code, class: class, msg: remote.Message, excType: remote.ExceptionType}
	}
	typ := errorType(err)
	return &protocolError{code: codes.Unknown, class: "CommandError", msg: typ + ": " + err.Error(), excType: typ}
}

// classOfCode is Python's error class of each code, for a remote failure
// that did not say its class.
var classOfCode = map[codes.Code]string{
	codes.NotFound: "ActorNotFound", codes.Unimplemented: "CommandNotFound",
	codes.InvalidArgument: "InvalidArgument", codes.ResourceExhausted: "MessageTooLarge",
	codes.AlreadyExists: "ActorAlreadyExists", codes.Unknown: "CommandError",
	codes.Unavailable: "ActorUnavailable", codes.DeadlineExceeded: "ActorTimeout",
	codes.PermissionDenied: "PermissionDenied", codes.Unauthenticated: "Unauthenticated",
	codes.Canceled: "ActorUnavailable",
}

// errorType names a Go error's type for callers: "PathError" for an
// *fs.PathError, "Error" for what errors.New and fmt.Errorf make.
func errorType(err error) string {
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name := t.Name()
	if name == "" || !isExported(name) {
		return "Error"
	}
	return name
}

func isExported(name string) bool { return name[0] >= 'A' && name[0] <= 'Z' }

// failure is the Failure of a reply on the stream. Its type is what
// Python's servers put there, and what the arbiter passes on as the
// exception type when it forwards the reply: the exception's type for a
// command that raised, "ActorNotHosted" for an aid not hosted here (the one
// error class a sender acts on), nothing for the other errors.
func (e *protocolError) failure() wire.Failure {
	typ := ""
	switch {
	case e.code == codes.Unknown:
		typ = e.excType
	case e.class == "ActorNotHosted":
		typ = e.class
	}
	return wire.Failure{Code: int32(e.code), Message: e.msg, Type: typ}
}

var upperBoundary = regexp.MustCompile(`([a-z0-9])([A-Z])`)

// reason is the ErrorInfo reason of an error class: "ActorNotFound" →
// "ACTOR_NOT_FOUND", as Python's servers write it.
func reason(class string) string {
	return strings.ToUpper(upperBoundary.ReplaceAllString(class, "${1}_${2}"))
}

// status is the gRPC status of a unary call that failed, with the
// google.rpc.Status details every actorgrpc server sends.
func (e *protocolError) status() *status.Status {
	md := map[string]string{"error_class": e.class}
	if e.excType != "" {
		md["exception_type"] = e.excType
	}
	st := status.New(e.code, e.msg)
	if withDetails, err := st.WithDetails(&errdetails.ErrorInfo{Domain: "actorgrpc.v1", Reason: reason(e.class), Metadata: md}); err == nil {
		return withDetails
	}
	return st
}
