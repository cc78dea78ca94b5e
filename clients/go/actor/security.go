package actor

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"

	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
)

// tokenCheck is the mailbox's token check: the SHA-256 digests of the tokens
// the arbiter accepts, with roles (the actor never sees the tokens).
type tokenCheck struct {
	digests [][]byte
	roles   []pb.TokenRole
}

func newTokenCheck(accepted []*pb.AcceptedToken) (*tokenCheck, error) {
	t := &tokenCheck{}
	for _, a := range accepted {
		d, err := hex.DecodeString(a.GetSha256Hex())
		if err != nil || len(d) != sha256.Size {
			return nil, fmt.Errorf("accepted token digest %q is not a hex SHA-256", a.GetSha256Hex())
		}
		t.digests = append(t.digests, d)
		t.roles = append(t.roles, a.GetRole())
	}
	return t, nil
}

// role is the role of token, or UNSPECIFIED when it is not accepted. Every
// digest is compared, in constant time: how long this takes says nothing
// about the token.
func (t *tokenCheck) role(token string) pb.TokenRole {
	if token == "" {
		return pb.TokenRole_TOKEN_ROLE_UNSPECIFIED
	}
	sum := sha256.Sum256([]byte(token))
	found := pb.TokenRole_TOKEN_ROLE_UNSPECIFIED
	for i, d := range t.digests {
		if subtle.ConstantTimeCompare(sum[:], d) == 1 {
			found = t.roles[i]
		}
	}
	return found
}

// check lets a call through, or says why not. Without accepted tokens there
// is no authentication (an arbiter without --auth-token-file); health checks
// are always open.
func (t *tokenCheck) check(ctx context.Context, method string) error {
	if len(t.digests) == 0 || strings.HasPrefix(method, "/grpc.health.v1.Health/") {
		return nil
	}
	token := ""
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		for _, v := range md.Get("authorization") {
			if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
				token = strings.TrimSpace(v[7:])
			}
		}
	}
	switch role := t.role(token); role {
	case pb.TokenRole_TOKEN_ROLE_ADMIN, pb.TokenRole_TOKEN_ROLE_INTERNAL:
		return nil
	case pb.TokenRole_TOKEN_ROLE_UNSPECIFIED:
		return (&protocolError{code: codes.Unauthenticated, class: "Unauthenticated",
			msg: `missing or wrong token: send "authorization: Bearer TOKEN"`}).status().Err()
	default:
		name := strings.ToLower(strings.TrimPrefix(role.String(), "TOKEN_ROLE_"))
		return (&protocolError{code: codes.PermissionDenied, class: "PermissionDenied",
			msg: fmt.Sprintf("the %s token may not call %s", name, method)}).status().Err()
	}
}

func (t *tokenCheck) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := t.check(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (t *tokenCheck) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := t.check(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return handler(srv, ss)
}

// serverTLS is what the mailbox serves with: the arbiter's certificate, and
// client certificates required when the arbiter requires them (mTLS).
func serverTLS(files *pb.TlsFiles) (credentials.TransportCredentials, error) {
	if files == nil || files.GetCertFile() == "" {
		return nil, nil
	}
	pair, err := tls.LoadX509KeyPair(files.GetCertFile(), files.GetKeyFile())
	if err != nil {
		return nil, fmt.Errorf("the TLS certificate %s / key %s: %w", files.GetCertFile(), files.GetKeyFile(), err)
	}
	config := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}
	if files.GetClientCaFile() != "" {
		pool, err := certPool(files.GetClientCaFile())
		if err != nil {
			return nil, err
		}
		config.ClientCAs, config.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return credentials.NewTLS(config), nil
}

// clientTLS is what the actor connects to its monitor (and other actors)
// with: the CA to verify them, and under mTLS the certificate it serves.
func clientTLS(files *pb.TlsFiles) (*tls.Config, error) {
	if files == nil || files.GetCertFile() == "" {
		return nil, nil
	}
	config := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: files.GetServerName()}
	ca := files.GetCaFile()
	if ca == "" {
		ca = files.GetCertFile() // a self-signed certificate is its own CA
	}
	pool, err := certPool(ca)
	if err != nil {
		return nil, err
	}
	config.RootCAs = pool
	if files.GetClientCaFile() != "" {
		pair, err := tls.LoadX509KeyPair(files.GetCertFile(), files.GetKeyFile())
		if err != nil {
			return nil, fmt.Errorf("the TLS certificate %s / key %s: %w", files.GetCertFile(), files.GetKeyFile(), err)
		}
		config.Certificates = []tls.Certificate{pair}
	}
	return config, nil
}

func certPool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("the CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}
