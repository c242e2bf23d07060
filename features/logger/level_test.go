package logger_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestLevelEndpointBodies sends /loglevel the bodies people send it, with
// the Content-Type their tools give them, and expects each accepted or
// rejected with a reply that says why.
func TestLevelEndpointBodies(t *testing.T) {
	defer goleak.VerifyNone(t)

	const (
		form = "application/x-www-form-urlencoded" // what curl -d sends
		help = `send {"level":"debug"} (JSON), level=debug (form) or debug (text/plain)`
	)
	tests := []struct {
		name        string
		method      string // PUT when empty
		contentType string
		body        string
		code        int
		level       string // the reply's level, and the level after the call
		err         string // part of the reply's error
	}{
		// Accepted.
		{name: "curl -d with JSON, as in the README", contentType: form, body: `{"level":"debug"}`, code: 200, level: "debug"},
		{name: "JSON", contentType: "application/json", body: `{"level":"warn"}`, code: 200, level: "warn"},
		{name: "JSON with charset", contentType: "application/json; charset=utf-8", body: `{"level":"error"}`, code: 200, level: "error"},
		{name: "JSON without Content-Type", body: ` {"level":"debug"}` + "\n", code: 200, level: "debug"},
		{name: "JSON as text", contentType: "text/plain", body: `{"level":"debug"}`, code: 200, level: "debug"},
		{name: "form", contentType: form, body: "level=warn", code: 200, level: "warn"},
		{name: "form with charset", contentType: form + "; charset=utf-8", body: "level=error", code: 200, level: "error"},
		{name: "text", contentType: "text/plain", body: "debug\n", code: 200, level: "debug"},
		{name: "text without Content-Type", body: "warn", code: 200, level: "warn"},
		{name: "upper case", contentType: "text/plain", body: "ERROR", code: 200, level: "error"},
		{name: "same level", contentType: "application/json", body: `{"level":"info"}`, code: 200, level: "info"},
		{name: "GET", method: http.MethodGet, code: 200, level: "info"},

		// Rejected; the level stays info.
		{name: "empty", contentType: form, body: "", code: 400, err: "empty body"},
		{name: "form without level", contentType: form, body: "lvl=debug", code: 400, err: "the form has no level field"},
		{name: "form with empty level", contentType: form, body: "level=", code: 400, err: `"" is not a level`},
		{name: "form garbage", contentType: form, body: "%zz", code: 400, err: "malformed form"},
		{name: "JSON malformed", contentType: form, body: `{"level":`, code: 400, err: "malformed JSON object"},
		{name: "JSON not an object", contentType: "application/json", body: `"debug"`, code: 400, err: "malformed JSON object"},
		{name: "JSON unknown key", contentType: "application/json", body: `{"level":"debug","lvl":"x"}`, code: 400, err: `unknown field "lvl"`},
		{name: "JSON without level", contentType: "application/json", body: `{}`, code: 400, err: `no "level" key`},
		{name: "JSON level not a string", contentType: "application/json", body: `{"level":0}`, code: 400, err: "malformed JSON object"},
		{name: "JSON then more", contentType: "application/json", body: `{"level":"debug"}{}`, code: 400, err: "more after the object"},
		{name: "not a level", contentType: "text/plain", body: "verbose", code: 400, err: `"verbose" is not a level`},
		{name: "zap level above error", contentType: "text/plain", body: "fatal", code: 400, err: `"fatal" is not a level`},
		{name: "long garbage quoted short", contentType: "text/plain", body: strings.Repeat("x", 500), code: 400, err: `"` + strings.Repeat("x", 32) + `…" is not a level`},
		{name: "other Content-Type", contentType: "text/html", body: "debug", code: 415, err: "Content-Type text/html is not accepted"},
		{name: "multipart", contentType: "multipart/form-data; boundary=x", body: "--x--", code: 415, err: "Content-Type multipart/form-data is not accepted"},
		{name: "Content-Type unparsable", contentType: "/", body: "debug", code: 415, err: `Content-Type "/" does not parse`},
		{name: "too long", contentType: form, body: "level=debug&pad=" + strings.Repeat("x", 2000), code: 413, err: "body longer than 1024 bytes"},
		{name: "POST", method: http.MethodPost, contentType: form, body: "level=debug", code: 405, err: "method POST is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			started(t, "", io.Discard, mux)
			srv := httptest.NewServer(mux)
			defer srv.Close()

			method := tt.method
			if method == "" {
				method = http.MethodPut
			}
			req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+"/loglevel", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("User-Agent", "curl/8.5.0")
			req.Header.Set("Accept", "*/*")
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			code, got := levelCall(t, srv, req)
			if code != tt.code {
				t.Errorf("%s /loglevel: status %d, want %d (reply %+v)", method, code, tt.code, got)
			}
			if tt.err == "" {
				if got.Level != tt.level || got.Error != "" {
					t.Errorf("reply %+v, want level %q", got, tt.level)
				}
			} else {
				if got.Level != "" || !strings.Contains(got.Error, tt.err) {
					t.Errorf("reply %+v, want an error with %q", got, tt.err)
				}
				if tt.code != http.StatusMethodNotAllowed && !strings.Contains(got.Error, help) {
					t.Errorf("error %q does not say what is accepted (%s)", got.Error, help)
				}
			}
			if tt.code == http.StatusMethodNotAllowed {
				return
			}

			after, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/loglevel", nil)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.level
			if tt.err != "" {
				want = "info" // unchanged
			}
			if _, now := levelCall(t, srv, after); now.Level != want {
				t.Errorf("level after the call %q, want %q", now.Level, want)
			}
		})
	}
}

// TestLevelEndpointMethod expects a method other than GET, HEAD and PUT
// answered 405 with the methods allowed.
func TestLevelEndpointMethod(t *testing.T) {
	defer goleak.VerifyNone(t)

	mux := http.NewServeMux()
	started(t, "", io.Discard, mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	req, err := http.NewRequestWithContext(t.Context(), http.MethodDelete, srv.URL+"/loglevel", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD, PUT" {
		t.Errorf("DELETE /loglevel: %s, Allow %q; want 405, Allow \"GET, HEAD, PUT\"", resp.Status, resp.Header.Get("Allow"))
	}
}

// levelReply is the JSON object /loglevel answers.
type levelReply struct {
	Level string `json:"level"`
	Error string `json:"error"`
}

// levelCall sends req and returns the status and the decoded reply.
func levelCall(t *testing.T, srv *httptest.Server, req *http.Request) (int, levelReply) {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var r levelReply
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("reply %q: %v", b, err)
	}
	return resp.StatusCode, r
}
