package logger

import (
	"time"

	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"

	"github.com/mikros-go/mikros/core"
)

// The keys of a line's own fields.
const (
	timeKey       = "time"
	levelKey      = "level"
	messageKey    = "msg"
	callerKey     = "caller"
	stacktraceKey = "stacktrace"
)

// newEncoder returns the encoder for the definition's log format: "console" for
// zap's console encoder, anything else for JSON lines. The logger's name is
// never written; the caller only when asked.
func newEncoder(format string, caller bool) zapcore.Encoder {
	cfg := zapcore.EncoderConfig{
		TimeKey:        timeKey,
		LevelKey:       levelKey,
		MessageKey:     messageKey,
		StacktraceKey:  stacktraceKey,
		LineEnding:     zapcore.DefaultLineEnding,
		EncodeLevel:    zapcore.LowercaseLevelEncoder,
		EncodeTime:     encodeTime,
		EncodeDuration: zapcore.StringDurationEncoder,
		EncodeCaller:   zapcore.ShortCallerEncoder,
	}
	if caller {
		cfg.CallerKey = callerKey
	}
	if format == "console" {
		return zapcore.NewConsoleEncoder(cfg)
	}
	cfg.TimeKey, cfg.LevelKey = "", ""
	return jsonEncoder{zapcore.NewJSONEncoder(cfg)}
}

// encodeTime writes times as every Mikros line does: RFC 3339 in UTC, with
// milliseconds.
func encodeTime(t time.Time, enc zapcore.PrimitiveArrayEncoder) {
	enc.AppendString(t.UTC().Format(core.LogTimeFormat))
}

var pool = buffer.NewPool()

// jsonEncoder writes a line's time and level first, then the rest as zap's
// JSON encoder does, so that the line has the layout core's fallback
// handler has (time, level, msg, fields). zap's own encoder writes the
// level before the time; this one wraps a JSON encoder that writes neither.
type jsonEncoder struct{ zapcore.Encoder }

func (e jsonEncoder) Clone() zapcore.Encoder { return jsonEncoder{e.Encoder.Clone()} }

func (e jsonEncoder) EncodeEntry(ent zapcore.Entry, fields []zapcore.Field) (*buffer.Buffer, error) {
	rest, err := e.Encoder.EncodeEntry(ent, fields)
	if err != nil {
		return nil, err
	}
	defer rest.Free()
	line := pool.Get()
	line.AppendByte('{')
	if !ent.Time.IsZero() {
		line.AppendString(`"` + timeKey + `":"`)
		line.AppendTime(ent.Time.UTC(), core.LogTimeFormat)
		line.AppendString(`",`)
	}
	line.AppendString(`"` + levelKey + `":"`)
	line.AppendString(ent.Level.String())
	line.AppendByte('"')
	// rest is {...}\n: its fields follow the level.
	if b := rest.Bytes()[1:]; len(b) > 0 && b[0] != '}' {
		line.AppendByte(',')
	}
	line.AppendBytes(rest.Bytes()[1:])
	return line, nil
}
