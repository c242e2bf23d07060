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

// httpURLs are the URLs of GET /hello?name=Ada on the same Greeter's
// handler served three ways.
type httpURLs struct {
	// bare: a plain net/http server (ReadHeaderTimeout only).
	bare string
	// mikros: the http kind run by core with the logger feature.
	mikros string
	// observed: the same with tracing and metrics on (package observed).
	observed string
	// observedService is the service observed is served by.
	observedService mikros
}

// each runs f as a sub-benchmark for each server, named bare, mikros and
// mikros-observed.
func (u httpURLs) each(b *testing.B, f func(url string) func(*testing.B)) {
	b.Run("bare", f(u.bare))
	b.Run("mikros", f(u.mikros))
	b.Run("mikros-observed", f(u.observed))
}

// httpServers starts the same Greeter's handler three times, each on its
// own loopback port: on a plain net/http server (bare), and through core
// with the http kind and the logger feature, without (mikros) and with
// (observed) the features that observe calls. All are stopped when the
// benchmark ends.
func httpServers(b testing.TB) httpURLs {
	b.Helper()
	const path = "/hello?name=Ada"

	ln := listen(b)
	s := &http.Server{Handler: (&Greeter{}).HTTPHandler(), ReadHeaderTimeout: 5 * time.Second}
	go func(ln net.Listener) { _ = s.Serve(ln) }(ln)
	b.Cleanup(func() { _ = s.Close() })
	u := httpURLs{bare: "http://" + ln.Addr().String() + path}

	ln = listen(b)
	startMikros(b, &Greeter{}, `"http"`, mhttp.New(mhttp.WithListener(ln)), unobserved)
	u.mikros = "http://" + ln.Addr().String() + path

	ln = listen(b)
	u.observedService = startMikros(b, &Greeter{}, `"http"`, mhttp.New(mhttp.WithListener(ln)), allObservers)
	u.observed = "http://" + ln.Addr().String() + path
	return u
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
// after the other: the handler on a plain net/http server (bare), through
// the http kind in a running service (mikros), and the same with tracing
// (every request a recorded span) and metrics on (mikros-observed).
func BenchmarkHTTP(b *testing.B) {
	run := func(url string) func(*testing.B) {
		return func(b *testing.B) {
			c := httpClient(b)
			var buf [64]byte
			if err := get(c, url, buf[:]); err != nil { // connects
				b.Fatal(err)
			}
			b.ReportAllocs()
			before := cpuTime(b)
			for b.Loop() {
				if err := get(c, url, buf[:]); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, before)
		}
	}
	httpServers(b).each(b, run)
}

// BenchmarkHTTPParallel is BenchmarkHTTP with requests in flight at once
// (parallelism × GOMAXPROCS goroutines, each on its own keep-alive
// connection): the time per request is the server's throughput.
func BenchmarkHTTPParallel(b *testing.B) {
	run := func(url string) func(*testing.B) {
		return func(b *testing.B) {
			c := httpClient(b)
			b.ReportAllocs()
			b.SetParallelism(parallelism)
			before := cpuTime(b)
			b.RunParallel(func(pb *testing.PB) {
				var buf [64]byte
				for pb.Next() {
					if err := get(c, url, buf[:]); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportCPU(b, before)
		}
	}
	httpServers(b).each(b, run)
}
