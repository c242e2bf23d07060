package logger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// levelMaxBody is the most bytes of request body the /loglevel handler
// reads: {"level":"debug"} and its kin are well under it.
const levelMaxBody = 1 << 10

// levelHelp says what a PUT to /loglevel accepts; every rejection ends with it.
const levelHelp = `send {"level":"debug"} (JSON), level=debug (form) or debug (text/plain); ` +
	`levels: debug, info, warn, error`

// levelHandler serves /loglevel: GET answers the current level, PUT changes
// it. A PUT body is read, at most levelMaxBody bytes, as
//
//   - a JSON object {"level":"debug"}, whatever its Content-Type, when it
//     starts with "{" (curl -d sends JSON as a form, and means JSON);
//   - a form, level=debug, with Content-Type
//     application/x-www-form-urlencoded;
//   - a level name alone, debug, with Content-Type text/plain or none.
//
// Any other Content-Type is answered 415, a body that is none of these, or
// names no level, 400, and a body too long 413; each with a JSON object
// {"error": "..."} saying what the handler accepts. Both answers, to GET and
// to PUT, are the JSON object {"level":"<level>"}.
type levelHandler struct {
	level zap.AtomicLevel
}

// levelReply is the JSON answer of /loglevel.
type levelReply struct {
	Level string `json:"level,omitempty"`
	Error string `json:"error,omitempty"`
}

func (h levelHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		reply(w, http.StatusOK, levelReply{Level: h.level.Level().String()})
	case http.MethodPut:
		lvl, code, err := readLevel(w, r)
		if err != nil {
			reply(w, code, levelReply{Error: err.Error() + "; " + levelHelp})
			return
		}
		h.level.SetLevel(lvl)
		reply(w, http.StatusOK, levelReply{Level: h.level.Level().String()})
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT")
		reply(w, http.StatusMethodNotAllowed, levelReply{
			Error: fmt.Sprintf("method %s is not allowed: GET reads the level, PUT changes it", r.Method),
		})
	}
}

// readLevel reads the level a PUT asks for. On failure it returns the
// status to answer with.
func readLevel(w http.ResponseWriter, r *http.Request) (zapcore.Level, int, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, levelMaxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return 0, http.StatusRequestEntityTooLarge, fmt.Errorf("body longer than %d bytes", levelMaxBody)
		}
		return 0, http.StatusBadRequest, fmt.Errorf("reading the body: %w", err)
	}
	body = bytes.TrimSpace(body)

	mediaType := ""
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mediaType, _, err = mime.ParseMediaType(ct); err != nil {
			return 0, http.StatusUnsupportedMediaType, fmt.Errorf("Content-Type %q does not parse", ct)
		}
	}
	isJSON := mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")

	var name string
	switch {
	case len(body) == 0:
		return 0, http.StatusBadRequest, errors.New("empty body")
	case body[0] == '{' || isJSON:
		if name, err = jsonLevel(body); err != nil {
			return 0, http.StatusBadRequest, err
		}
	case mediaType == "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return 0, http.StatusBadRequest, fmt.Errorf("malformed form: %w", err)
		}
		if !form.Has("level") {
			return 0, http.StatusBadRequest, errors.New("the form has no level field")
		}
		name = form.Get("level")
	case mediaType == "text/plain" || mediaType == "":
		name = string(body)
	default:
		return 0, http.StatusUnsupportedMediaType, fmt.Errorf("Content-Type %s is not accepted", mediaType)
	}

	name = strings.ToLower(strings.TrimSpace(name))
	if !slices.Contains(levels, name) {
		return 0, http.StatusBadRequest, fmt.Errorf("%q is not a level", truncate(name, 32))
	}
	var lvl zapcore.Level
	if err := lvl.UnmarshalText([]byte(name)); err != nil {
		return 0, http.StatusBadRequest, err // not reached: levels are zap's
	}
	return lvl, 0, nil
}

// jsonLevel returns the level of the JSON object body: its one key, "level",
// a string.
func jsonLevel(body []byte) (string, error) {
	var obj struct {
		Level *string `json:"level"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&obj); err != nil {
		return "", fmt.Errorf("malformed JSON object: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", errors.New("malformed JSON object: more after the object")
	}
	if obj.Level == nil {
		return "", errors.New(`the JSON object has no "level" key`)
	}
	return *obj.Level, nil
}

// truncate shortens s to at most n bytes, cut between two runes, for
// quoting it back.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// reply writes v as JSON with the status code.
func reply(w http.ResponseWriter, code int, v levelReply) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
