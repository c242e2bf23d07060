package grpc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/servicetest"
	merrors "github.com/mikros-go/mikros/features/errors"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	grpclib "google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// observedDefinition is definition with the feature "observer" enabled.
const observedDefinition = definition + `
[features.observer]
enabled = true
`

// nopObserver is a feature named "observer" that observes calls and does
// nothing with them.
type nopObserver struct{}

func (nopObserver) Name() string                                                { return "observer" }
func (nopObserver) StartCall(ctx context.Context, _ *core.Call) context.Context { return ctx }
func (nopObserver) EndCall(context.Context, *core.Call)                         {}

// observedKey is the context key under which a recorder puts the record
// of a call.
type observedKey struct{}

// headerKey is what a recorder sets in a client call's carrier; its value
// is "client " and the call's method.
const headerKey = "x-observed-by"

// observed is what a recorder saw of one call.
type observed struct {
	client  bool              // Call.Client at StartCall
	method  string            // Call.Method at StartCall
	call    core.Call         // as it was at EndCall, without its Header
	header  map[string]string // the carrier at StartCall: each of Keys with its Get
	reached bool              // the handler's context carried the record
	ends    int               // EndCall calls
}

// recorder is a feature named "observer" that records the calls it
// observes, and sets headerKey in the carrier of client calls.
type recorder struct {
	mu    sync.Mutex
	calls []*observed
	lost  int // EndCall calls whose context did not come from StartCall
}

func (*recorder) Name() string { return "observer" }

// StartCall records the call and returns a context that carries its
// record.
func (r *recorder) StartCall(ctx context.Context, c *core.Call) context.Context {
	if c.Client {
		c.Header.Set(headerKey, "client "+c.Method)
	}
	o := &observed{client: c.Client, method: c.Method, header: map[string]string{}}
	for _, k := range c.Header.Keys() {
		o.header[k] = c.Header.Get(k)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, o)
	return context.WithValue(ctx, observedKey{}, o)
}

// EndCall records the call's outcome in the record its context carries.
func (r *recorder) EndCall(ctx context.Context, c *core.Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o, ok := ctx.Value(observedKey{}).(*observed)
	if !ok {
		r.lost++
		return
	}
	o.call = *c
	o.call.Header = nil
	o.ends++
}

// reach marks the call whose context ctx is as seen by its handler.
func (r *recorder) reach(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o, ok := ctx.Value(observedKey{}).(*observed); ok {
		o.reached = true
	}
}

// find returns a copy of the record of the call of method on the client
// or the server side, and whether there is one.
func (r *recorder) find(client bool, method string) (observed, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lost > 0 {
		return observed{}, false
	}
	for _, o := range r.calls {
		if o.client == client && o.method == method {
			return *o, true
		}
	}
	return observed{}, false
}

// ended waits, up to 5s, for the call of method on the client or the
// server side to end, and returns its record.
func (r *recorder) ended(t *testing.T, client bool, method string) observed {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.Lock()
		lost := r.lost
		r.mu.Unlock()
		if lost > 0 {
			t.Fatalf("%d EndCall calls got a context StartCall did not return", lost)
		}
		if o, ok := r.find(client, method); ok && o.ends > 0 {
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("the call of %s (client %v) did not end within 5s", method, client)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// count returns how many calls were observed on the client or the server
// side, ended or not, and how many times they ended in all.
func (r *recorder) count(client bool) (calls, ends int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, o := range r.calls {
		if o.client == client {
			calls++
			ends += o.ends
		}
	}
	return calls, ends
}

// startObserved runs e on a loopback TCP port, with the recorder rec
// enabled (none when rec is nil) and a kind built with opts. The
// definition has [clients.self], which points at the service itself,
// and [clients.gone], which points at a port nothing listens on.
func startObserved(t *testing.T, e *echo, rec *recorder, opts ...mgrpc.Option) (*servicetest.Service, *mgrpc.Kind) {
	t.Helper()
	ln, port := listen(t)
	gone, gonePort := listen(t)
	_ = gone.Close()
	def, coreOpts := definition, []core.Option(nil)
	if rec != nil {
		def, coreOpts = observedDefinition, []core.Option{core.WithFeatures(rec)}
	}
	def += fmt.Sprintf("\n[clients.self]\nhost = \"127.0.0.1\"\nport = %d\ntimeout = \"3s\"\n", port)
	def += fmt.Sprintf("\n[clients.gone]\nhost = \"127.0.0.1\"\nport = %d\n", gonePort)
	k := mgrpc.New(append(opts, mgrpc.WithListener(ln))...)
	svc := servicetest.Start(t, e, def, append(coreOpts, core.WithKinds(k))...)
	if err := svc.Err(); err != nil {
		t.Fatal(err)
	}
	return svc, k
}

// listen returns a loopback listener and its port.
func listen(t testing.TB) (net.Listener, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, ln.Addr().(*net.TCPAddr).Port
}

// dial returns a plain connection to addr, closed when the test ends.
func dial(t testing.TB, addr string) *grpclib.ClientConn {
	t.Helper()
	conn, err := grpclib.NewClient(addr, grpclib.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// repeat calls Repeat on conn and reads the stream to its end.
func repeat(ctx context.Context, conn grpclib.ClientConnInterface, msg string) error {
	ss, err := conn.NewStream(ctx, repeatDesc, repeatMethod)
	if err != nil {
		return err
	}
	if err := ss.SendMsg(wrapperspb.String(msg)); err != nil {
		return err
	}
	if err := ss.CloseSend(); err != nil {
		return err
	}
	for {
		if err := ss.RecvMsg(new(wrapperspb.StringValue)); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

// gather calls Gather on conn with msgs and returns the answer.
func gather(ctx context.Context, conn grpclib.ClientConnInterface, msgs ...string) (string, error) {
	ss, err := conn.NewStream(ctx, gatherDesc, gatherMethod)
	if err != nil {
		return "", err
	}
	for _, m := range msgs {
		if err := ss.SendMsg(wrapperspb.String(m)); err != nil {
			return "", err
		}
	}
	if err := ss.CloseSend(); err != nil {
		return "", err
	}
	out := new(wrapperspb.StringValue)
	if err := ss.RecvMsg(out); err != nil {
		return "", err
	}
	return out.GetValue(), nil
}

// chat calls Chat on conn, sends msg, reads the answer, and reads the
// stream to its end.
func chat(ctx context.Context, conn grpclib.ClientConnInterface, msg string) error {
	ss, err := conn.NewStream(ctx, chatDesc, chatMethod)
	if err != nil {
		return err
	}
	if err := ss.SendMsg(wrapperspb.String(msg)); err != nil {
		return err
	}
	if err := ss.RecvMsg(new(wrapperspb.StringValue)); err != nil {
		return err
	}
	if err := ss.CloseSend(); err != nil {
		return err
	}
	if err := ss.RecvMsg(new(wrapperspb.StringValue)); err != io.EOF {
		return err
	}
	return nil
}

func TestObservedServerCalls(t *testing.T) {
	unary := func(ctx context.Context, conn *grpclib.ClientConn) error {
		_, err := call(ctx, conn, "hi")
		return err
	}
	tests := []struct {
		name                         string
		echo                         echo
		method                       string
		do                           func(ctx context.Context, conn *grpclib.ClientConn) error
		clientStreams, serverStreams bool
		code                         codes.Code
		message                      string
	}{
		{name: "unary", method: echoMethod, do: unary},
		{
			name: "unary, an error of the model", method: echoMethod, do: unary,
			echo: echo{echo: func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
				return nil, merrors.New(merrors.NotFound, "order 42 not found").WithCode("ORDER_NOT_FOUND").WithCause(io.EOF)
			}},
			code: codes.NotFound, message: "order 42 not found",
		},
		{
			name: "unary, a plain error", method: echoMethod, do: unary,
			echo: echo{echo: func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
				return nil, errors.New("db: connection reset")
			}},
			code: codes.Internal, message: "internal error",
		},
		{
			name: "unary, a status error", method: echoMethod, do: unary,
			echo: echo{echo: func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
				return nil, status.Error(codes.Unavailable, "try later")
			}},
			code: codes.Unavailable, message: "try later",
		},
		{
			name: "unary, a panic", method: echoMethod, do: unary,
			echo: echo{echo: func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
				panic("boom")
			}},
			code: codes.Internal, message: "internal error",
		},
		{
			name: "server stream", method: repeatMethod, serverStreams: true,
			do: func(ctx context.Context, conn *grpclib.ClientConn) error { return repeat(ctx, conn, "hi") },
		},
		{
			name: "server stream, an error of the model", method: repeatMethod, serverStreams: true,
			do: func(ctx context.Context, conn *grpclib.ClientConn) error { return repeat(ctx, conn, "hi") },
			echo: echo{repeat: func(in *wrapperspb.StringValue, ss grpclib.ServerStream) error {
				if err := ss.SendMsg(in); err != nil {
					return err
				}
				return fmt.Errorf("reading the log: %w", merrors.New(merrors.DataLoss, "lost it"))
			}},
			code: codes.DataLoss, message: "lost it",
		},
		{
			name: "server stream, a panic", method: repeatMethod, serverStreams: true,
			do: func(ctx context.Context, conn *grpclib.ClientConn) error { return repeat(ctx, conn, "hi") },
			echo: echo{repeat: func(*wrapperspb.StringValue, grpclib.ServerStream) error {
				panic("boom")
			}},
			code: codes.Internal, message: "internal error",
		},
		{
			name: "client stream", method: gatherMethod, clientStreams: true,
			do: func(ctx context.Context, conn *grpclib.ClientConn) error {
				got, err := gather(ctx, conn, "a", "b")
				if err == nil && got != "a b" {
					return fmt.Errorf("gather answered %q", got)
				}
				return err
			},
		},
		{
			name: "bidirectional stream", method: chatMethod, clientStreams: true, serverStreams: true,
			do: func(ctx context.Context, conn *grpclib.ClientConn) error { return chat(ctx, conn, "hi") },
		},
		{
			name: "bidirectional stream, an error of the model", method: chatMethod, clientStreams: true, serverStreams: true,
			do: func(ctx context.Context, conn *grpclib.ClientConn) error { return chat(ctx, conn, "hi") },
			echo: echo{chat: func(grpclib.ServerStream) error {
				return merrors.New(merrors.PermissionDenied, "not yours")
			}},
			code: codes.PermissionDenied, message: "not yours",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			e := tt.echo
			e.seen = rec.reach
			_, k := startObserved(t, &e, rec)
			if !mgrpc.Observing(k) {
				t.Fatal("the kind does not observe its calls with an observer enabled")
			}
			conn := dial(t, k.Addr().String())
			ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(t.Context(), "x-request-id", tt.name), 10*time.Second)
			defer cancel()
			before := time.Now()
			err := tt.do(ctx, conn)
			if status.Code(err) != tt.code {
				t.Fatalf("the caller got %v, want %v", err, tt.code)
			}
			o := rec.ended(t, false, tt.method)
			c := o.call
			if c.Protocol != "grpc" || c.Client || c.Target != "" {
				t.Errorf("protocol %q, client %v, target %q: want a grpc server call", c.Protocol, c.Client, c.Target)
			}
			if c.ClientStreams != tt.clientStreams || c.ServerStreams != tt.serverStreams {
				t.Errorf("streams %v/%v, want %v/%v", c.ClientStreams, c.ServerStreams, tt.clientStreams, tt.serverStreams)
			}
			if codes.Code(c.Code) != tt.code || c.Message != tt.message {
				t.Errorf("ended %v %q, want %v %q", codes.Code(c.Code), c.Message, tt.code, tt.message)
			}
			if c.Local == nil || c.Local.String() != k.Addr().String() {
				t.Errorf("local %v, want %v", c.Local, k.Addr())
			}
			if c.Start.Before(before) || c.End.Before(c.Start) || c.End.After(time.Now()) {
				t.Errorf("start %v and end %v are not within the call", c.Start, c.End)
			}
			if got := o.header["x-request-id"]; got != tt.name {
				t.Errorf("the carrier has x-request-id %q, want %q (keys and values: %v)", got, tt.name, o.header)
			}
			if _, ok := o.header["content-type"]; !ok {
				t.Errorf("the carrier's keys lack content-type: %v", o.header)
			}
			if !o.reached {
				t.Error("the handler's context is not the one the observer returned")
			}
			if calls, ends := rec.count(false); calls != 1 || ends != 1 {
				t.Errorf("%d server calls ended %d times, want 1 and 1", calls, ends)
			}
		})
	}
}

func TestObservedClientCalls(t *testing.T) {
	tests := []struct {
		name    string
		client  string
		echo    echo
		code    codes.Code
		message string
		want    *merrors.Error // what the caller gets; nil: success
	}{
		{name: "success", client: "self"},
		{
			name: "an error of the model", client: "self",
			echo: echo{echo: func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
				return nil, merrors.New(merrors.NotFound, "order 42 not found").WithCode("ORDER_NOT_FOUND")
			}},
			code: codes.NotFound, message: "order 42 not found",
			want: merrors.New(merrors.NotFound, "order 42 not found").WithCode("ORDER_NOT_FOUND"),
		},
		{
			name: "no server", client: "gone",
			code: codes.Unavailable,
			want: merrors.New(merrors.Unavailable, "gone is unavailable"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			e := tt.echo
			deadline := make(chan bool, 1)
			e.seen = func(ctx context.Context) {
				rec.reach(ctx)
				_, ok := ctx.Deadline()
				deadline <- ok
			}
			_, k := startObserved(t, &e, rec)
			conn, err := k.Client(tt.client)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			_, err = call(context.WithoutCancel(ctx), conn, "hi")
			if tt.want == nil && err != nil {
				t.Fatal(err)
			}
			if tt.want != nil {
				got, ok := errors.AsType[*merrors.Error](err)
				if !ok || got.Kind() != tt.want.Kind() || got.Code() != tt.want.Code() || got.Message() != tt.want.Message() {
					t.Fatalf("the caller got %T %v, want %v", err, err, tt.want)
				}
			}
			// Synchronous: the call ended before Invoke returned.
			o, ok := rec.find(true, echoMethod)
			if !ok || o.ends != 1 {
				t.Fatalf("the client call had not ended once when Invoke returned: %+v", o)
			}
			c := o.call
			wantTarget := map[string]string{"self": k.Addr().String()}[tt.client]
			if c.Protocol != "grpc" || !c.Client || c.Method != echoMethod || c.ClientStreams || c.ServerStreams || c.Local != nil {
				t.Errorf("call %+v: want a unary grpc client call of %s", c, echoMethod)
			}
			if tt.client == "self" && c.Target != wantTarget {
				t.Errorf("target %q, want %q", c.Target, wantTarget)
			}
			if codes.Code(c.Code) != tt.code || (tt.message != "" && c.Message != tt.message) {
				t.Errorf("ended %v %q, want %v %q", codes.Code(c.Code), c.Message, tt.code, tt.message)
			}
			if got, want := o.header, map[string]string{headerKey: "client " + echoMethod}; len(got) != 1 || got[headerKey] != want[headerKey] {
				t.Errorf("the client carrier holds %v, want %v", got, want)
			}
			if tt.client != "self" {
				return
			}
			s := rec.ended(t, false, echoMethod)
			if got := s.header[headerKey]; got != "client "+echoMethod {
				t.Errorf("the server got %s %q, want what the client's observer set (metadata: %v)", headerKey, got, s.header)
			}
			if !<-deadline {
				t.Error("the call lost the client's default deadline")
			}
		})
	}
}

// failHeader is a client stream whose Header fails.
type failHeader struct{ grpclib.ClientStream }

func (failHeader) Header() (metadata.MD, error) {
	return nil, status.Error(codes.DataLoss, "no headers")
}

func TestObservedClientStreamsEndOnce(t *testing.T) {
	recv := func(ss grpclib.ClientStream) error { return ss.RecvMsg(new(wrapperspb.StringValue)) }
	send := func(ss grpclib.ClientStream, msg string) error { return ss.SendMsg(wrapperspb.String(msg)) }
	tests := []struct {
		name    string
		opts    []mgrpc.Option
		echo    echo
		desc    *grpclib.StreamDesc
		method  string
		run     func(t *testing.T, ss grpclib.ClientStream, cancel context.CancelFunc, pending func()) error
		async   bool // the call ends after run returns
		code    codes.Code
		message string
	}{
		{
			name: "a receive returns io.EOF", desc: repeatDesc, method: repeatMethod,
			run: func(t *testing.T, ss grpclib.ClientStream, _ context.CancelFunc, pending func()) error {
				if err := send(ss, "hi"); err != nil {
					return err
				}
				if err := ss.CloseSend(); err != nil {
					return err
				}
				for range 3 {
					if err := recv(ss); err != nil {
						return err
					}
				}
				pending()
				if err := recv(ss); err != io.EOF {
					return fmt.Errorf("the last receive: %v, want io.EOF", err)
				}
				return nil
			},
		},
		{
			name: "a receive returns the status", desc: repeatDesc, method: repeatMethod,
			echo: echo{repeat: func(in *wrapperspb.StringValue, ss grpclib.ServerStream) error {
				if err := ss.SendMsg(in); err != nil {
					return err
				}
				return merrors.New(merrors.DataLoss, "lost it")
			}},
			run: func(t *testing.T, ss grpclib.ClientStream, _ context.CancelFunc, pending func()) error {
				if err := send(ss, "hi"); err != nil {
					return err
				}
				if err := recv(ss); err != nil {
					return err
				}
				pending()
				err := recv(ss)
				if !errors.Is(err, merrors.New(merrors.DataLoss, "")) {
					return fmt.Errorf("the last receive: %T %v, want an error of the model, DataLoss", err, err)
				}
				return nil
			},
			code: codes.DataLoss, message: "lost it",
		},
		{
			name: "the one response of a client stream", desc: gatherDesc, method: gatherMethod,
			run: func(t *testing.T, ss grpclib.ClientStream, _ context.CancelFunc, pending func()) error {
				for _, m := range []string{"a", "b"} {
					if err := send(ss, m); err != nil {
						return err
					}
				}
				if err := ss.CloseSend(); err != nil {
					return err
				}
				pending()
				out := new(wrapperspb.StringValue)
				if err := ss.RecvMsg(out); err != nil || out.GetValue() != "a b" {
					return fmt.Errorf("the response: %q %v", out.GetValue(), err)
				}
				return nil
			},
		},
		{
			name: "a failed send", desc: chatDesc, method: chatMethod,
			run: func(t *testing.T, ss grpclib.ClientStream, _ context.CancelFunc, pending func()) error {
				pending()
				if err := ss.SendMsg("not a message"); err == nil {
					return errors.New("sending a string succeeded")
				}
				return nil
			},
			code: codes.Internal,
		},
		{
			name: "failed headers", desc: chatDesc, method: chatMethod,
			opts: []mgrpc.Option{mgrpc.WithDialOptions(grpclib.WithChainStreamInterceptor(
				func(ctx context.Context, desc *grpclib.StreamDesc, cc *grpclib.ClientConn, method string, streamer grpclib.Streamer, opts ...grpclib.CallOption) (grpclib.ClientStream, error) {
					cs, err := streamer(ctx, desc, cc, method, opts...)
					if err != nil {
						return nil, err
					}
					return failHeader{cs}, nil
				}))},
			run: func(t *testing.T, ss grpclib.ClientStream, cancel context.CancelFunc, pending func()) error {
				pending()
				if _, err := ss.Header(); !errors.Is(err, merrors.New(merrors.DataLoss, "")) {
					return fmt.Errorf("Header: %T %v, want an error of the model, DataLoss", err, err)
				}
				return nil
			},
			code: codes.DataLoss, message: "no headers",
		},
		{
			name: "the caller's context is canceled", desc: chatDesc, method: chatMethod,
			run: func(t *testing.T, ss grpclib.ClientStream, cancel context.CancelFunc, pending func()) error {
				if err := send(ss, "hi"); err != nil {
					return err
				}
				if err := recv(ss); err != nil {
					return err
				}
				pending()
				cancel()
				return nil
			},
			async: true,
			code:  codes.Canceled, message: context.Canceled.Error(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			e := tt.echo
			_, k := startObserved(t, &e, rec, tt.opts...)
			conn, err := k.Client("self")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			ss, err := conn.NewStream(ctx, tt.desc, tt.method)
			if err != nil {
				t.Fatal(err)
			}
			pending := func() {
				t.Helper()
				if calls, ends := rec.count(true); calls != 1 || ends != 0 {
					t.Fatalf("before the stream ended: %d client calls, ended %d times; want 1 and 0", calls, ends)
				}
			}
			if err := tt.run(t, ss, cancel, pending); err != nil {
				t.Fatal(err)
			}
			var o observed
			if tt.async {
				o = rec.ended(t, true, tt.method)
			} else {
				var ok bool
				if o, ok = rec.find(true, tt.method); !ok || o.ends == 0 {
					t.Fatal("the call had not ended when the stream did")
				}
			}
			c := o.call
			if codes.Code(c.Code) != tt.code || (tt.message != "" && c.Message != tt.message) {
				t.Errorf("ended %v %q, want %v %q", codes.Code(c.Code), c.Message, tt.code, tt.message)
			}
			if c.Start.IsZero() || c.End.Before(c.Start) {
				t.Errorf("start %v, end %v", c.Start, c.End)
			}
			if !c.Client || c.Method != tt.method || c.ClientStreams != tt.desc.ClientStreams || c.ServerStreams != tt.desc.ServerStreams || c.Target != k.Addr().String() {
				t.Errorf("call %+v: want a client call of %s to %s", c, tt.method, k.Addr())
			}
			// Whatever comes next does not end the call again: the
			// context's end, another receive.
			cancel()
			_ = ss.RecvMsg(new(wrapperspb.StringValue))
			rec.ended(t, false, tt.method)
			settle := time.Now().Add(50 * time.Millisecond)
			for time.Now().Before(settle) {
				if calls, ends := rec.count(true); calls != 1 || ends != 1 {
					t.Fatalf("%d client calls ended %d times, want 1 and 1", calls, ends)
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}

// TestObservedClientStreamThatFailsToStart checks that a stream whose
// start fails ends its call at once, with the error of the model on the
// way back.
func TestObservedClientStreamThatFailsToStart(t *testing.T) {
	rec := &recorder{}
	_, k := startObserved(t, &echo{}, rec, mgrpc.WithDialOptions(grpclib.WithChainStreamInterceptor(
		func(context.Context, *grpclib.StreamDesc, *grpclib.ClientConn, string, grpclib.Streamer, ...grpclib.CallOption) (grpclib.ClientStream, error) {
			return nil, status.Error(codes.PermissionDenied, "no streams today")
		})))
	conn, err := k.Client("self")
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.NewStream(t.Context(), chatDesc, chatMethod)
	if !errors.Is(err, merrors.New(merrors.PermissionDenied, "")) {
		t.Fatalf("NewStream: %T %v, want an error of the model, PermissionDenied", err, err)
	}
	o, ok := rec.find(true, chatMethod)
	if !ok || o.ends != 1 || codes.Code(o.call.Code) != codes.PermissionDenied || o.call.Message != "no streams today" {
		t.Fatalf("the call: %+v, want ended once PermissionDenied", o)
	}
}

// TestNotObservedWithoutAnObserver checks that the kind attaches nothing
// to its calls unless a feature that observes calls is enabled: the
// handlers get gRPC's own stream, and the feature sees nothing.
func TestNotObservedWithoutAnObserver(t *testing.T) {
	tests := []struct {
		name     string
		rec      *recorder
		enabled  bool
		observed bool
	}{
		{name: "no observer"},
		{name: "an observer not enabled", rec: &recorder{}},
		{name: "an observer enabled", rec: &recorder{}, enabled: true, observed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wrapped := make(chan bool, 1)
			e := &echo{repeat: func(in *wrapperspb.StringValue, ss grpclib.ServerStream) error {
				wrapped <- mgrpc.ObservedStream(ss)
				return ss.SendMsg(in)
			}}
			var svc *servicetest.Service
			var k *mgrpc.Kind
			switch {
			case tt.enabled:
				svc, k = startObserved(t, e, tt.rec)
			case tt.rec != nil:
				ln, _ := listen(t)
				k = mgrpc.New(mgrpc.WithListener(ln))
				svc = servicetest.Start(t, e, definition, core.WithKinds(k), core.WithFeatures(tt.rec))
			default:
				svc, k = startObserved(t, e, nil)
			}
			if err := svc.Err(); err != nil {
				t.Fatal(err)
			}
			if got := mgrpc.Observing(k); got != tt.observed {
				t.Errorf("observing = %v, want %v", got, tt.observed)
			}
			conn := dial(t, k.Addr().String())
			if err := repeat(t.Context(), conn, "hi"); err != nil {
				t.Fatal(err)
			}
			if got := <-wrapped; got != tt.observed {
				t.Errorf("the handler got the kind's stream: %v, want %v", got, tt.observed)
			}
			if tt.rec != nil && !tt.enabled {
				if calls, _ := tt.rec.count(false); calls != 0 {
					t.Errorf("a feature not enabled observed %d calls", calls)
				}
			}
		})
	}
}
