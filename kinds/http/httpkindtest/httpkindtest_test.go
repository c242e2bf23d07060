package httpkindtest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/kinds/http/httpkindtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const definition = `
	name    = "greeter"
	types   = ["http"]
	version = "v1.0.0"
	product = "demo"
`

type greeter struct{}

func (greeter) HTTPHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello")
	})
}

func TestStart(t *testing.T) {
	svc, url := httpkindtest.Start(t, greeter{}, definition)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("url %q", url)
	}
	if st := svc.Health().State(); st != core.Ready {
		t.Fatalf("state %s: %v", st, svc.Err())
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestStartFailsBeforeReady(t *testing.T) {
	svc, _ := httpkindtest.Start(t, struct{}{}, definition)
	select {
	case <-svc.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a service without HTTPHandler started")
	}
	if core.ExitCode(svc.Err()) != core.ExitInvalid {
		t.Fatalf("got %v, want exit 2", svc.Err())
	}
}
