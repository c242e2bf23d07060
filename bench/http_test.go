package bench

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	mhttp "github.com/mikros-go/mikros/kinds/http"
)

// errAnswer is a greeting that is not the one expected.
type errAnswer string

func (e errAnswer) Error() string { return fmt.Sprintf("unexpected answer %q", string(e)) }

// wantBody is the answer to GET /hello?name=Ada.
const wantBody = `{"message":"Hello, Ada"}` + "\n"

// httpServers starts the same Greeter's handler twice, each on its own
// loopback port: on a plain net/http server (bare) and through core with
// the http kind and the logger feature (mikros). It returns the URL of
// GET /hello?name=Ada on each. Both are stopped when the benchmark ends.
func httpServers(b testing.TB) (bare, mikros string) {
	b.Helper()

	ln := listen(b)
	s := &http.Server{Handler: (&Greeter{}).HTTPHandler(), ReadHeaderTimeout: 5 * time.Second}
	go func(ln net.Listener) { _ = s.Serve(ln) }(ln)
	b.Cleanup(func() { _ = s.Close() })
	bare = "http://" + ln.Addr().String() + "/hello?name=Ada"

	ln = listen(b)
	startMikros(b, &Greeter{}, `"http"`, mhttp.New(mhttp.WithListener(ln)))
	mikros = "http://" + ln.Addr().String() + "/hello?name=Ada"
	return bare, mikros
}

// httpClient returns a client that keeps its connections alive, enough of
// them for the parallel variant. Its idle connections are closed when the
// benchmark ends.
func httpClient(b testing.TB) *http.Client {
	t := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	b.Cleanup(t.CloseIdleConnections)
	return &http.Client{Transport: t, Timeout: 10 * time.Second}
}

// get makes one request and checks its answer; buf holds the body.
func get(c *http.Client, url string, buf []byte) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	n := 0
	for n < len(buf) {
		m, err := resp.Body.Read(buf[n:])
		n += m
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	if resp.StatusCode != http.StatusOK || string(buf[:n]) != wantBody {
		return errAnswer(fmt.Sprintf("%d %s", resp.StatusCode, buf[:n]))
	}
	return nil
}

// BenchmarkHTTP measures a GET /hello?name=Ada round trip over a loopback
// keep-alive connection, client and server in this process, one request
// after the other: the handler on a plain net/http server (bare) and
// through the http kind in a running service (mikros).
func BenchmarkHTTP(b *testing.B) {
	bare, mikros := httpServers(b)
	run := func(url string) func(*testing.B) {
		return func(b *testing.B) {
			c := httpClient(b)
			var buf [64]byte
			if err := get(c, url, buf[:]); err != nil { // connects
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := get(c, url, buf[:]); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("bare", run(bare))
	b.Run("mikros", run(mikros))
}

// BenchmarkHTTPParallel is BenchmarkHTTP with requests in flight at once
// (parallelism × GOMAXPROCS goroutines, each on its own keep-alive
// connection): the time per request is the server's throughput.
func BenchmarkHTTPParallel(b *testing.B) {
	bare, mikros := httpServers(b)
	run := func(url string) func(*testing.B) {
		return func(b *testing.B) {
			c := httpClient(b)
			b.ReportAllocs()
			b.SetParallelism(parallelism)
			b.RunParallel(func(pb *testing.PB) {
				var buf [64]byte
				for pb.Next() {
					if err := get(c, url, buf[:]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
	}
	b.Run("bare", run(bare))
	b.Run("mikros", run(mikros))
}
