package bench

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// TestGreeter checks that the benchmarks compare like with like: the bare
// servers and Mikros answer the same greeting, and refuse an empty name.
func TestGreeter(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bareConn, mikrosConn := grpcServers(t)
	bareURL, mikrosURL := httpServers(t)
	c := httpClient(t)
	for name, s := range map[string]struct {
		grpc *grpc.ClientConn
		url  string
	}{
		"bare":   {bareConn, bareURL},
		"mikros": {mikrosConn, mikrosURL},
	} {
		if err := sayHello(ctx, s.grpc); err != nil {
			t.Errorf("%s: SayHello: %v", name, err)
		}
		err := s.grpc.Invoke(ctx, SayHelloMethod, wrapperspb.String(" "), new(wrapperspb.StringValue))
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: SayHello(\" \") = %v, want InvalidArgument", name, err)
		}
		var buf [64]byte
		if err := get(c, s.url, buf[:]); err != nil {
			t.Errorf("%s: GET: %v", name, err)
		}
		resp, err := c.Get(strings.TrimSuffix(s.url, "Ada"))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: GET without a name = %d, want 400", name, resp.StatusCode)
		}
	}
}
