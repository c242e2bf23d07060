// Package logger is the Mikros feature that writes a service's logs, with
// go.uber.org/zap.
//
// A service links it and turns it on in its definition:
//
//	core.Main(svc, core.WithKinds(script.New()), core.WithFeatures(logger.New()))
//
//	[features.logger]
//	enabled = true
//
// Once the feature started, it writes every line of the service: those the
// service logs through the *zap.Logger (or *zap.SugaredLogger) it gets in a
// field such as
//
//	Log *zap.Logger `mikros:"feature"`
//
// and those logged through core's *slog.Logger, which core routes through
// the feature's [slog.Handler]: the framework's own lines, the kinds' lines
// and the service's, if it takes the *slog.Logger instead. Both kinds of line
// look exactly alike.
//
// # Settings
//
// The level, the format and the fields added to every line come from the
// definition's log table (its keys level, format and attributes), which core
// and every Mikros implementation share. [features.logger] holds what only this
// feature does; every key is optional, and an unknown key is a problem:
//
//	key                  type     default  meaning
//	caller               boolean  false    add a "caller" field (package/file.go:line)
//	stacktrace_level     string   "error"  lines at this level (debug, info, warn
//	                                       or error) and above carry a "stacktrace"
//	sampling             table    absent   thin out repeated lines; absent: write all
//	sampling.initial     integer  100      each second, for each level and message,
//	                                       write the first initial lines...
//	sampling.thereafter  integer  100      ...then every thereafter-th (0: no more)
//
// For example:
//
//	[log]
//	level  = "info"    # debug, info, warn, error
//	format = "json"    # json, or console for people reading a terminal
//	[log.attributes]
//	team = "platform"
//
//	[features.logger]
//	enabled          = true
//	caller           = true
//	stacktrace_level = "warn"
//	sampling         = { initial = 100, thereafter = 10 }
//
// # Line layout
//
// With format = "json" (the default) every line is one JSON object, on one
// line, with its keys in this order:
//
//   - time: when the line was logged, RFC 3339 in UTC with milliseconds
//     ([core.LogTimeFormat])
//   - level: debug, info, warn or error
//   - caller: where the line was logged, only with caller = true
//   - msg: the message
//   - the service's fields, from [core.LogFields]: service.name,
//     service.version, service.product, service.env, service.type, then
//     the [log.attributes] sorted by key
//   - the line's own fields, in the order given
//   - stacktrace: at and above stacktrace_level; one frame after the other,
//     each its function, a newline and a tab, then file:line. Lines the
//     framework writes itself (core, the kinds, the features: a port in
//     use, a hook that overran) carry none: they name what failed, and a
//     kind that reports a panic gives the panic's own stack.
//
// For example:
//
//	{"time":"2026-11-25T09:30:00.123Z","level":"info","msg":"user signed in","service.name":"greeter","service.version":"v1.0.0","service.product":"demo","service.env":"local","service.type":"grpc","team":"platform","user":"ada","attempt":2}
//
// Durations are written as strings ("1.5s"), times like the line's time,
// and errors (zap.Error, or an error value through slog) as their message
// under the key given ("error" for zap.Error).
//
// slog groups become nested objects, as zap.Namespace and zap.Dict make
// them: logging "status", 200 through a logger from WithGroup("http") writes
// "http":{"status":200}. A group with no attributes is left out, a group
// with an empty key is written inline, and a slog level between two of
// slog's levels is written as the lower one (anything above error as error).
//
// With format = "console" lines are for people: zap's console layout, with
// the time, level, caller and message separated by tabs, then the fields as
// JSON:
//
//	2026-11-25T09:30:00.123Z	info	user signed in	{"service.name": "greeter", ..., "user": "ada"}
//
// # Changing the level at run time
//
// The level starts as the log table's level says. The feature serves it at
// /loglevel on the admin listener (see [admin] in the definition, or
// MIKROS_ADMIN_PORT): GET reads it, PUT changes it, and a change applies at
// once to zap and slog lines alike:
//
//	$ curl -s localhost:9090/loglevel
//	{"level":"info"}
//	$ curl -s -X PUT -d '{"level":"debug"}' localhost:9090/loglevel
//	{"level":"debug"}
//	$ curl -s -X PUT --data-urlencode level=warn localhost:9090/loglevel
//	{"level":"warn"}
//	$ curl -s -X PUT -H 'Content-Type: text/plain' -d error localhost:9090/loglevel
//	{"level":"error"}
//
// A PUT body, of at most 1 KiB, is one of:
//
//   - a JSON object with one key, {"level":"debug"}, whatever the
//     Content-Type says when the body starts with "{" (curl -d labels
//     everything a form);
//   - a form, level=debug, as application/x-www-form-urlencoded;
//   - the level alone, debug, as text/plain or without a Content-Type.
//
// The levels are debug, info, warn and error, in any case. Anything else is
// refused and the level stays as it was: a body that is none of these, or
// names another level, with 400; another Content-Type with 415; a longer
// body with 413; another method than GET, HEAD or PUT with 405. The reply
// is always a JSON object, {"level":"debug"} or {"error":"..."}, and the
// error says what is accepted.
//
// The change lasts until the process exits.
//
// # Stopping
//
// The feature has nothing to stop: every line is written whole, with one
// write and nothing buffered, so nothing is left to flush (and no fsync of a
// log file slows the stop). It keeps writing to the end, for the lines core
// writes last.
package logger
