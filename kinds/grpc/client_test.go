package grpc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
	mdef "github.com/mikros-go/mikros/core/definition"
	"github.com/mikros-go/mikros/core/servicetest"
	merrors "github.com/mikros-go/mikros/features/errors"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	"github.com/mikros-go/mikros/kinds/grpc/grpctls"
	grpclib "google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// startLoopback runs e on a loopback TCP port with a kind built with opts;
// clients(port) gives the definition's [clients] tables, which may point
// at the service itself.
func startLoopback(t *testing.T, e *echo, clients func(port int) string, env map[string]string, opts ...mgrpc.Option) (*servicetest.Service, *mgrpc.Kind) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	k := mgrpc.New(append(opts, mgrpc.WithListener(ln))...)
	def := definition
	if clients != nil {
		def += clients(ln.Addr().(*net.TCPAddr).Port)
	}
	svc := servicetest.Start(t, e, def, core.WithKinds(k), servicetest.Env(env))
	if err := svc.Err(); err != nil {
		t.Fatal(err)
	}
	return svc, k
}

// self is a [clients] table that points at the service itself.
func self(name, extra string) func(int) string {
	return func(port int) string {
		return fmt.Sprintf("\n[clients.%s]\nhost = \"127.0.0.1\"\nport = %d\n%s\n", name, port, extra)
	}
}

func TestClientTurnsStatusesIntoErrors(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		want    *merrors.Error // nil for success
		details map[string]string
	}{
		{name: "success"},
		{
			name: "an error of the model",
			err:  merrors.New(merrors.NotFound, "order 42 not found").WithCode("ORDER_NOT_FOUND").WithDetail("order", "42").WithCause(io.EOF),
			want: merrors.New(merrors.NotFound, "order 42 not found").WithCode("ORDER_NOT_FOUND"), details: map[string]string{"order": "42"},
		},
		{
			name: "an error of the model without a code",
			err:  merrors.New(merrors.PermissionDenied, "not yours"),
			want: merrors.New(merrors.PermissionDenied, "not yours"),
		},
		{
			name: "a status without ErrorInfo",
			err:  status.Error(codes.FailedPrecondition, "no stock"),
			want: merrors.New(merrors.FailedPrecondition, "no stock"),
		},
		{
			name: "a plain error",
			err:  errors.New("disk on fire"),
			want: merrors.New(merrors.Internal, "internal error"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := &echo{echo: func(_ context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
				if tt.err != nil {
					return nil, tt.err
				}
				return in, nil
			}}
			_, k := startLoopback(t, e, self("self", ""), nil, mgrpc.WithClients("self"))
			conn, err := k.Client("self")
			if err != nil {
				t.Fatal(err)
			}
			got, err := call(t.Context(), conn, "hi")
			if tt.want == nil {
				if err != nil || got != "hi" {
					t.Fatalf("got %q %v", got, err)
				}
				return
			}
			e2, ok := errors.AsType[*merrors.Error](err)
			if !ok {
				t.Fatalf("%T %v is not an error of the model", err, err)
			}
			if e2.Kind() != tt.want.Kind() || e2.Code() != tt.want.Code() || e2.Message() != tt.want.Message() ||
				!maps.Equal(e2.Details(), tt.details) {
				t.Errorf("got %s %q %q %v, want %s %q %q %v", e2.Kind(), e2.Code(), e2.Message(), e2.Details(),
					tt.want.Kind(), tt.want.Code(), tt.want.Message(), tt.details)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("errors.Is(%v, %v) is false", err, tt.want)
			}
			if status.Code(e2.Cause()) != codes.Code(tt.want.Kind().GRPCCode()) {
				t.Errorf("the cause is %v, want the status", e2.Cause())
			}
			if strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "disk on fire") {
				t.Errorf("the server's cause crossed the wire: %v", err)
			}
		})
	}
}

func TestClientStreamErrors(t *testing.T) {
	e := &echo{repeat: func(in *wrapperspb.StringValue, ss grpclib.ServerStream) error {
		if err := ss.SendMsg(in); err != nil {
			return err
		}
		return merrors.New(merrors.OutOfRange, "no more").WithCode("END_OF_LIST")
	}}
	_, k := startLoopback(t, e, self("self", ""), nil)
	conn, err := k.Client("self")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	cs, err := conn.NewStream(ctx, repeatDesc, repeatMethod)
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.SendMsg(wrapperspb.String("x")); err != nil {
		t.Fatal(err)
	}
	if err := cs.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if err := cs.RecvMsg(new(wrapperspb.StringValue)); err != nil {
		t.Fatal(err)
	}
	err = cs.RecvMsg(new(wrapperspb.StringValue))
	if !errors.Is(err, merrors.New(merrors.OutOfRange, "").WithCode("END_OF_LIST")) {
		t.Fatalf("got %T %v, want OutOfRange END_OF_LIST", err, err)
	}
}

func TestClientDeadline(t *testing.T) {
	e := &echo{echo: func(ctx context.Context, _ *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		d, ok := ctx.Deadline()
		if !ok {
			return wrapperspb.String("none"), nil
		}
		return wrapperspb.String(time.Until(d).String()), nil
	}}
	tables := func(port int) string {
		return self("plain", "")(port) + self("short", `timeout = "300ms"`)(port) + self("none", `timeout = "0s"`)(port)
	}
	_, k := startLoopback(t, e, tables, nil, mgrpc.WithClients("plain", "short", "none"))
	tests := []struct {
		client   string
		ctx      time.Duration // the caller's own deadline, 0 for none
		min, max time.Duration // bounds of the deadline the server sees; max 0 for none
	}{
		{client: "plain", min: 4 * time.Second, max: mgrpc.DefaultClientTimeout},
		{client: "short", min: 100 * time.Millisecond, max: 300 * time.Millisecond},
		{client: "none"},
		{client: "plain", ctx: time.Minute, min: 50 * time.Second, max: time.Minute},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.client, "/", tt.ctx), func(t *testing.T) {
			conn, err := k.Client(tt.client)
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			if tt.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctx)
				defer cancel()
			}
			got, err := call(ctx, conn, "")
			if err != nil {
				t.Fatal(err)
			}
			if tt.max == 0 {
				if got != "none" {
					t.Errorf("deadline %s, want none", got)
				}
				return
			}
			d, err := time.ParseDuration(got)
			if err != nil || d < tt.min || d > tt.max {
				t.Errorf("deadline %s, want between %s and %s", got, tt.min, tt.max)
			}
		})
	}
}

func TestClientAddress(t *testing.T) {
	tables := `
[clients.billing]
host = "billing.internal"
port = 9000

[clients.stock]
port = 9001
`
	tests := []struct {
		name string
		env  map[string]string
		want map[string]string // client name → target
	}{
		{
			name: "without a namespace",
			want: map[string]string{"users": "users:7070", "billing": "billing.internal:9000", "stock": "stock:9001"},
		},
		{
			name: "with a namespace",
			env:  map[string]string{"MIKROS_NAMESPACE": "prod"},
			want: map[string]string{"users": "users.prod:7070", "billing": "billing.internal:9000", "stock": "stock.prod:9001"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, k := startLoopback(t, &echo{}, func(int) string { return tables }, tt.env, mgrpc.WithClients("billing"))
			for name, want := range tt.want {
				conn, err := k.Client(name)
				if err != nil {
					t.Fatal(err)
				}
				if conn.Target() != want {
					t.Errorf("client %s: target %q, want %q", name, conn.Target(), want)
				}
				if again, _ := k.Client(name); again != conn {
					t.Errorf("client %s: a second call made a second connection", name)
				}
			}
		})
	}
}

func TestClientUnavailable(t *testing.T) {
	gone, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := gone.Addr().(*net.TCPAddr).Port
	_ = gone.Close()
	tables := func(int) string {
		return fmt.Sprintf("\n[clients.gone]\nhost = \"127.0.0.1\"\nport = %d\ntimeout = \"2s\"\n", port)
	}
	_, k := startLoopback(t, &echo{}, tables, nil)
	conn, err := k.Client("gone")
	if err != nil {
		t.Fatal(err)
	}
	_, err = call(t.Context(), conn, "x")
	e, ok := errors.AsType[*merrors.Error](err)
	if !ok || e.Kind() != merrors.Unavailable || e.Message() != "gone is unavailable" {
		t.Fatalf("got %v, want Unavailable \"gone is unavailable\"", err)
	}
}

func TestClientLifecycle(t *testing.T) {
	k := mgrpc.New()
	if _, err := k.Client("users"); err == nil || !strings.Contains(err.Error(), "not configured") {
		t.Errorf("before configure: %v", err)
	}
	bad := func(int) string { return "\n[clients.users]\nhots = \"users.internal\"\n" }
	svc, k := startLoopback(t, &echo{}, bad, nil)
	var problems mdef.Problems
	if _, err := k.Client("users"); !errors.As(err, &problems) || !strings.Contains(err.Error(), `unknown key "hots" (did you mean "host"?)`) {
		t.Errorf("an undeclared client with a bad table: %v", err)
	}
	if _, err := k.Client("orders"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Client("orders"); !errors.Is(err, mgrpc.ErrStopped) {
		t.Errorf("after stop: %v, want ErrStopped", err)
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := servicetest.SelfSignedFiles(t, dir)
	e := &echo{}
	tests := []struct {
		name     string
		server   string // [services.grpc.tls]
		client   string // [clients.self] tls
		wantCode codes.Code
	}{
		{
			name:   "server TLS, client trusting its CA",
			server: fmt.Sprintf("cert_file = %q\nkey_file = %q", cert, key),
			client: fmt.Sprintf("[clients.self.tls]\nca_file = %q", cert),
		},
		{
			name:     "server TLS, client trusting the system roots",
			server:   fmt.Sprintf("cert_file = %q\nkey_file = %q", cert, key),
			client:   "tls = true",
			wantCode: codes.Unavailable,
		},
		{
			name:   "mutual TLS",
			server: fmt.Sprintf("cert_file = %q\nkey_file = %q\nclient_ca_file = %q", cert, key, cert),
			client: fmt.Sprintf("[clients.self.tls]\nca_file = %q\ncert_file = %q\nkey_file = %q", cert, cert, key),
		},
		{
			name:     "mutual TLS, client without a certificate",
			server:   fmt.Sprintf("cert_file = %q\nkey_file = %q\nclient_ca_file = %q", cert, key, cert),
			client:   fmt.Sprintf("[clients.self.tls]\nca_file = %q", cert),
			wantCode: codes.Unavailable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tables := func(port int) string {
				return fmt.Sprintf("\n[services.grpc.tls]\n%s\n\n[clients.self]\nhost = \"127.0.0.1\"\nport = %d\ntimeout = \"2s\"\n%s\n", tt.server, port, tt.client)
			}
			_, k := startLoopback(t, e, tables, nil, mgrpc.WithClients("self"), mgrpc.WithTLS(grpctls.New()))
			conn, err := k.Client("self")
			if err != nil {
				t.Fatal(err)
			}
			_, err = call(t.Context(), conn, "x")
			if got := codes.Code(merrors.KindOf(err).GRPCCode()); err != nil && got != tt.wantCode || err == nil && tt.wantCode != codes.OK {
				t.Fatalf("got %v, want %s", err, tt.wantCode)
			}
		})
	}
}
