package actor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
)

// Arguments bind to declared parameters as Python's signatures do, with
// the same words when they do not fit.
func TestBind(t *testing.T) {
	cmd := &command{name: "greet"}
	Params("a")(cmd)
	Optional("name", "world")(cmd)
	for _, c := range []struct {
		args   []any
		kwargs map[string]any
		want   map[string]any
		err    string
	}{
		{[]any{1.0}, nil, map[string]any{"a": 1.0, "name": "world"}, ""},
		{[]any{1.0, "go"}, nil, map[string]any{"a": 1.0, "name": "go"}, ""},
		{nil, map[string]any{"a": 2.0, "name": "kw"}, map[string]any{"a": 2.0, "name": "kw"}, ""},
		{nil, nil, nil, "bad arguments for command 'greet': missing a required argument: 'a'"},
		{[]any{1.0, 2.0, 3.0}, nil, nil, "bad arguments for command 'greet': too many positional arguments"},
		{[]any{1.0}, map[string]any{"nope": 1.0}, nil, "bad arguments for command 'greet': got an unexpected keyword argument 'nope'"},
		{[]any{1.0}, map[string]any{"a": 1.0}, nil, "bad arguments for command 'greet': multiple values for argument 'a'"},
	} {
		call := &Call{Args: c.args, Kwargs: c.kwargs}
		err := cmd.bind(call)
		if c.err != "" {
			var pe *protocolError
			if !errors.As(err, &pe) || pe.code != codes.InvalidArgument || pe.msg != c.err {
				t.Errorf("%v %v: %v, want %q", c.args, c.kwargs, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v %v: %v", c.args, c.kwargs, err)
			continue
		}
		for k, v := range c.want {
			if call.Arg(k) != v {
				t.Errorf("%v %v: %s = %v, want %v", c.args, c.kwargs, k, call.Arg(k), v)
			}
		}
	}
	// A command without declared parameters takes anything, as sent.
	raw := &command{name: "raw"}
	if err := raw.bind(&Call{Args: []any{1.0, 2.0}, Kwargs: map[string]any{"k": 1.0}}); err != nil {
		t.Errorf("undeclared parameters: %v", err)
	}
}

// Errors are described as Python's servers describe them.
func TestFailures(t *testing.T) {
	for _, c := range []struct {
		err                  error
		code                 codes.Code
		msg, class, excType  string
		failureType, reasonS string
	}{
		{&Exception{Type: "ValueError", Message: "kaput"}, codes.Unknown, "ValueError: kaput", "CommandError", "ValueError", "ValueError", "COMMAND_ERROR"},
		{fmt.Errorf("wrapped: %w", &Exception{Type: "KeyError"}), codes.Unknown, "KeyError", "CommandError", "KeyError", "KeyError", "COMMAND_ERROR"},
		{errors.New("plain"), codes.Unknown, "Error: plain", "CommandError", "Error", "Error", "COMMAND_ERROR"},
		{&fs.PathError{Op: "open", Path: "/x", Err: fs.ErrNotExist}, codes.Unknown, "PathError: open /x: file does not exist", "CommandError", "PathError", "PathError", "COMMAND_ERROR"},
		{InvalidArgument("bad %d", 1), codes.InvalidArgument, "bad 1", "InvalidArgument", "", "", "INVALID_ARGUMENT"},
		{commandNotFound("fly"), codes.Unimplemented, "unknown command 'fly'", "CommandNotFound", "", "", "COMMAND_NOT_FOUND"},
		{notHosted("a1"), codes.NotFound, "no actor 'a1' at this address", "ActorNotHosted", "", "ActorNotHosted", "ACTOR_NOT_HOSTED"},
		{tooLarge("big"), codes.ResourceExhausted, "big", "MessageTooLarge", "", "", "MESSAGE_TOO_LARGE"},
	} {
		pe := failureOf(c.err)
		f := pe.failure()
		if pe.code != c.code || pe.msg != c.msg || pe.class != c.class || pe.excType != c.excType ||
			f.Type != c.failureType || f.Code != int32(c.code) || f.Message != c.msg {
			t.Errorf("%v: %+v, failure %+v", c.err, pe, f)
		}
		st := pe.status()
		var info *errdetails.ErrorInfo
		for _, d := range st.Details() {
			info, _ = d.(*errdetails.ErrorInfo)
		}
		if st.Code() != c.code || info == nil || info.GetDomain() != "actorgrpc.v1" || info.GetReason() != c.reasonS ||
			info.GetMetadata()["error_class"] != c.class || info.GetMetadata()["exception_type"] != c.excType {
			t.Errorf("%v: status %v, details %v", c.err, st, info)
		}
	}
}

// Servers refuse integers beyond ±(2^53 - 1) too, with the protocol's words.
func TestArgumentsNumberPolicy(t *testing.T) {
	args, _, err := jsonArgs([]byte(`[1, 2.5, "12345678901234567890", [9007199254740991], {"f": 1e300}]`), nil)
	if err != nil || args[3].([]any)[0] != 9007199254740991.0 || args[2] != "12345678901234567890" {
		t.Errorf("in range: %v, %v", args, err)
	}
	for _, text := range []string{`[9007199254740992]`, `[{"a": [-9007199254740993]}]`, `[123456789012345678901234567890]`} {
		_, _, err := jsonArgs([]byte(text), nil)
		if err == nil || !strings.Contains(err.Error(), "is out of range: JSON-shaped values carry integers within ±(2^53 - 1)") {
			t.Errorf("%s: %v", text, err)
		}
	}
	for _, text := range []string{`{}`, `[1`, `"x"`} {
		if _, _, err := jsonArgs([]byte(text), nil); err == nil {
			t.Errorf("%s accepted as args_json", text)
		}
	}
	if _, _, err := jsonArgs([]byte(`[]`), []byte(`[1]`)); err == nil {
		t.Error("an array accepted as kwargs_json")
	}
	if _, err := batchArgs([]byte(`{"a": 1}`)); err == nil {
		t.Error("an object accepted as batch_args_json")
	}
}

func TestTokenCheck(t *testing.T) {
	digest := func(token string) string {
		sum := sha256.Sum256([]byte(token))
		return hex.EncodeToString(sum[:])
	}
	check, err := newTokenCheck([]*pb.AcceptedToken{
		{Sha256Hex: digest("admin-token-0123456789"), Role: pb.TokenRole_TOKEN_ROLE_ADMIN},
		{Sha256Hex: digest("read-token-0123456789"), Role: pb.TokenRole_TOKEN_ROLE_READ},
		{Sha256Hex: digest("internal-0123456789"), Role: pb.TokenRole_TOKEN_ROLE_INTERNAL},
	})
	if err != nil {
		t.Fatal(err)
	}
	const method = "/actorgrpc.v1.MailboxService/Stream"
	for token, want := range map[string]codes.Code{
		"admin-token-0123456789": codes.OK,
		"internal-0123456789":    codes.OK,
		"read-token-0123456789":  codes.PermissionDenied,
		"wrong-token-0123456789": codes.Unauthenticated,
		"":                       codes.Unauthenticated,
	} {
		ctx := context.Background()
		if token != "" {
			ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", "Bearer "+token))
		}
		if got := status.Code(check.check(ctx, method)); got != want {
			t.Errorf("token %q: %s, want %s", token, got, want)
		}
		if err := check.check(ctx, "/grpc.health.v1.Health/Check"); err != nil {
			t.Errorf("health with token %q: %v", token, err)
		}
	}
	open, _ := newTokenCheck(nil)
	if err := open.check(context.Background(), method); err != nil {
		t.Errorf("no accepted tokens: %v", err)
	}
	if _, err := newTokenCheck([]*pb.AcceptedToken{{Sha256Hex: "zz"}}); err == nil {
		t.Error("a digest that is not hex accepted")
	}
}

func TestParseBoot(t *testing.T) {
	boot, err := ParseBoot([]byte(`{"aid": "a1", "name": "w", "monitor_address": "127.0.0.1:1", "secret": "s",
		"extra": {"k": [1]}, "accepted_tokens": [{"sha256_hex": "00", "role": "TOKEN_ROLE_ADMIN"}], "unknown_field": 1}`))
	if err != nil || boot.GetAid() != "a1" || boot.GetMailboxHost() != "127.0.0.1" ||
		boot.GetExtra().AsMap()["k"] == nil || boot.GetAcceptedTokens()[0].GetRole() != pb.TokenRole_TOKEN_ROLE_ADMIN {
		t.Errorf("%v, %v", boot, err)
	}
	for _, bad := range []string{`not json`, `{"name": "w", "monitor_address": "m", "secret": "s"}`,
		`{"aid": "a", "secret": "s"}`, `{"aid": "a", "monitor_address": "m"}`} {
		if _, err := ParseBoot([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestExitCodes(t *testing.T) {
	for err, want := range map[error]int{
		nil: 0, ErrMonitorLost: 4, fmt.Errorf("x: %w", ErrMonitorLost): 4,
		&StartError{errors.New("bind")}: 3, errors.New("other"): 1,
	} {
		if got := ExitCode(err); got != want {
			t.Errorf("ExitCode(%v) = %d, want %d", err, got, want)
		}
	}
}
