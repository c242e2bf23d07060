package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/core/definition"
	"github.com/mikros-go/mikros/core/servicetest"
	"github.com/mikros-go/mikros/features/env"
	"github.com/mikros-go/mikros/features/logger"
	"github.com/mikros-go/mikros/features/metrics"
	"github.com/mikros-go/mikros/features/tracing"
	"github.com/mikros-go/mikros/features/tracing/tracingtest"
	mgrpc "github.com/mikros-go/mikros/kinds/grpc"
	"github.com/mikros-go/mikros/kinds/grpc/grpctls"
	mhttp "github.com/mikros-go/mikros/kinds/http"
	"github.com/mikros-go/mikros/kinds/native"
	"github.com/mikros-go/mikros/kinds/script"
)

// This file tests the promise that every value that came from the
// environment is redacted in every message of every module: it sets every
// setting of every built-in module, one case at a time, to values made
// from variables of envs, in every shape that reaches a different message,
// and looks for the values in every byte the service writes — in check
// mode (mikros check, and the service's own MIKROS_CHECK) and in a boot
// of the real lifecycle, run in a child process so that what a module
// writes to the process's stdout and stderr behind core's back is
// collected too.

// The values of the variables of envs. Each is looked for as it is and
// through its needles: parts of it that survive when a message quotes,
// escapes, splits, upper-cases or reformats the value.
const (
	// secretValue has what quoting escapes: a quote and a backslash (Go
	// and JSON), and < and > (JSON with HTML escaping).
	secretValue = `mk-7Qz"<s3cr3t>\x`
	// wordValue is a lowercase identifier: it passes the checks of names,
	// and upper-cased it reads as the name of a variable.
	wordValue = "wd_5kq_pr1vat3"
	// numValue reads as a number, and prints unlike it is written.
	numValue = "-0073133731"
	// posValue is a positive number that prints unlike it is written.
	posValue = "+0073133731"
	// durValue reads as a duration, and prints as -2031h29m33.1s.
	durValue = "-7313373100ms"
)

// needles are what no output may contain, compared in lower case. None
// can occur in a random hexadecimal id (a trace id, a request id): they
// have a letter past f, or seven digits.
var needles = []string{strings.ToLower(secretValue), "7qz", "s3cr3t", wordValue, "5kq", "pr1vat3", "3133731", "2031h29m33"}

// envValues are the variables of envs, with their values.
var envValues = map[string]string{
	"SECRET": secretValue,
	"WORD":   wordValue,
	"NUM":    numValue,
	"POS":    posValue,
	"DUR":    durValue,
}

// findLeaks returns the lines of out that contain a needle, each cut to a
// readable length around the first needle it holds.
func findLeaks(out string) []string {
	var leaks []string
	for line := range strings.Lines(out) {
		lower := strings.ToLower(line)
		for _, n := range needles {
			if i := strings.Index(lower, n); i >= 0 {
				from, to := max(0, i-300), min(len(line), i+len(n)+300)
				leaks = append(leaks, fmt.Sprintf("needle %q in: %s", n, strings.TrimSpace(line[from:to])))
				break
			}
		}
	}
	return leaks
}

// valueKind is the type of a setting, which decides the shapes of the
// values it is swept with.
type valueKind int

const (
	kString    valueKind = iota // a string
	kHost                       // a host or an address: never ${WORD}, which the resolver would look up on the network
	kInt                        // an integer
	kFloat                      // a number
	kBool                       // a boolean
	kDuration                   // a duration string
	kStrings                    // an array of strings
	kFloats                     // an array of numbers
	kStringMap                  // a table of strings
	kTable                      // a table whose keys are swept on their own
)

// shape is one way of writing a value from the environment.
type shape struct {
	name  string
	value string // TOML
}

// shapes are, by kind, the values every setting of that kind is swept
// with: the variable as the whole value, inside a longer string, in an
// array and in a table, and, for the settings that parse their value,
// variables that pass some of the parsing (a name, a number, a duration)
// so that the message comes from further in.
var shapes = map[valueKind][]shape{
	kString: {
		{"whole", `"${SECRET}"`}, {"inside", `"a${SECRET}b"`}, {"word", `"${WORD}"`},
		{"array", `["${SECRET}"]`}, {"table", `{x = "${SECRET}"}`},
	},
	kHost: {
		{"whole", `"${SECRET}"`}, {"inside", `"a${SECRET}b"`}, {"with-port", `"${SECRET}:80"`},
		{"array", `["${SECRET}"]`}, {"table", `{x = "${SECRET}"}`},
	},
	kInt: {
		{"whole", `"${SECRET}"`}, {"negative", `"${NUM}"`}, {"positive", `"${POS}"`},
		{"array", `["${NUM}"]`}, {"table", `{x = "${NUM}"}`},
	},
	kFloat: {
		{"whole", `"${SECRET}"`}, {"negative", `"${NUM}"`}, {"positive", `"${POS}"`},
		{"array", `["${NUM}"]`},
	},
	kBool: {
		{"whole", `"${SECRET}"`}, {"word", `"${WORD}"`}, {"number", `"${NUM}"`}, {"array", `["${SECRET}"]`},
	},
	kDuration: {
		{"whole", `"${SECRET}"`}, {"negative", `"${DUR}"`}, {"inside", `"1${WORD}"`},
		{"number", `"${NUM}"`}, {"array", `["${DUR}"]`},
	},
	kStrings: {
		{"element", `["${SECRET}"]`}, {"inside", `["ok", "a${SECRET}b"]`}, {"word", `["${WORD}"]`},
		{"whole", `"${SECRET}"`}, {"tables", `[{x = "${SECRET}"}]`},
	},
	kFloats: {
		{"element", `["${NUM}"]`}, {"after", `[1, "${POS}"]`}, {"not-a-number", `["${SECRET}"]`},
		{"whole", `"${SECRET}"`},
	},
	kStringMap: {
		{"value", `{x = "${SECRET}"}`}, {"inside", `{x = "a${SECRET}b"}`}, {"word", `{x = "${WORD}"}`},
		{"whole", `"${SECRET}"`}, {"array", `{x = ["${SECRET}"]}`},
	},
	kTable: {
		{"whole", `"${SECRET}"`}, {"array", `["${SECRET}"]`},
	},
}

// setting is one key of the definition: table ("" for the top level),
// key (dotted below the table) and value (TOML; "" removes the key).
type setting struct {
	table, key, value string
}

// sweptKey is a key the sweep sets, and what it needs besides itself.
type sweptKey struct {
	key  string
	kind valueKind
	also []setting
	skip []string // shapes of its kind the key is not swept with, and why

	failsAtStart bool // a valid value of the key cannot start: see sweepCase
}

// sweptTable is a table of the definition and every key it accepts.
type sweptTable struct {
	table string
	types string    // the types its cases need (TOML); "" for grpc, http and native
	also  []setting // what every case of the table needs besides its key
	keys  []sweptKey
}

// tlsPair is what a key of [services.grpc.tls] or [clients.<name>.tls]
// that names a file needs for the file to be read: the other file of the
// pair (both, for a CA file), which do not exist.
func tlsPair(table, key string) []setting {
	switch key {
	case "tls.cert_file":
		return []setting{{table, "tls.key_file", `"missing-key.pem"`}}
	case "tls.key_file":
		return []setting{{table, "tls.cert_file", `"missing-cert.pem"`}}
	}
	return []setting{{table, "tls.cert_file", `"missing-cert.pem"`}, {table, "tls.key_file", `"missing-key.pem"`}}
}

// sweptTables are every table and key a service.toml may have in a binary
// with every built-in module. The list is the sweep's: the test
// TestSecretsSweepCoversEveryKey holds it against the struct tags the
// modules decode their tables with, core's list of top-level keys, and
// the documentation, and every case asserts that its key was not
// reported unknown, so a key added, renamed or removed fails a test.
var sweptTables = []sweptTable{
	{table: "", keys: []sweptKey{
		{key: "name", kind: kString}, {key: "types", kind: kStrings}, {key: "version", kind: kString},
		{key: "product", kind: kString}, {key: "language", kind: kString}, {key: "envs", kind: kStrings},
		{key: "log", kind: kTable}, {key: "lifecycle", kind: kTable}, {key: "admin", kind: kTable},
		{key: "features", kind: kTable}, {key: "services", kind: kTable}, {key: "clients", kind: kTable},
		{key: "service", kind: kTable}, {key: "tests", kind: kTable}, {key: "runtime", kind: kTable},
	}},
	{table: "log", keys: []sweptKey{
		{key: "level", kind: kString}, {key: "format", kind: kString}, {key: "attributes", kind: kStringMap},
	}},
	{table: "lifecycle", keys: []sweptKey{
		{key: "start_timeout", kind: kDuration}, {key: "stop_timeout", kind: kDuration}, {key: "drain_delay", kind: kDuration},
	}},
	{table: "admin", keys: []sweptKey{
		{key: "port", kind: kInt}, {key: "address", kind: kHost, failsAtStart: true},
	}},
	{table: "tests", keys: []sweptKey{
		{key: "execute_lifecycle", kind: kBool}, {key: "discard_log_messages", kind: kBool},
	}},
	{table: "features.logger", also: []setting{{"features.logger", "enabled", "true"}}, keys: []sweptKey{
		{key: "enabled", kind: kBool}, {key: "caller", kind: kBool}, {key: "stacktrace_level", kind: kString},
		{key: "sampling", kind: kTable}, {key: "sampling.initial", kind: kInt}, {key: "sampling.thereafter", kind: kInt},
	}},
	{table: "features.env", keys: []sweptKey{
		{key: "enabled", kind: kBool}, {key: "optional", kind: kStrings},
	}},
	{table: "features.tracing", keys: []sweptKey{
		{key: "enabled", kind: kBool}, {key: "exporter", kind: kString}, {key: "endpoint", kind: kHost},
		{key: "headers", kind: kStringMap}, {key: "insecure", kind: kBool}, {key: "compression", kind: kString},
		{key: "sampler", kind: kString}, {key: "ratio", kind: kFloat, also: []setting{{"features.tracing", "sampler", `"ratio"`}}},
		{key: "batch_timeout", kind: kDuration}, {key: "export_timeout", kind: kDuration},
		// 73133731 queued spans are a valid setting that allocates the
		// queue at start: longer than start_timeout.
		{key: "max_queue_size", kind: kInt, skip: []string{"positive"}}, {key: "max_export_batch_size", kind: kInt},
	}},
	{table: "features.metrics", keys: []sweptKey{
		{key: "enabled", kind: kBool}, {key: "buckets", kind: kFloats},
		{key: "go_collector", kind: kBool}, {key: "process_collector", kind: kBool},
	}},
	{table: "services.grpc", keys: []sweptKey{
		{key: "port", kind: kInt}, {key: "address", kind: kHost, failsAtStart: true},
		{key: "max_recv_message_bytes", kind: kInt}, {key: "max_send_message_bytes", kind: kInt},
		{key: "max_concurrent_streams", kind: kInt},
		// 73133731 stream workers are a valid setting that makes the
		// server start as many goroutines: seconds, and a heap that slows
		// every later boot of the child process.
		{key: "num_stream_workers", kind: kInt, skip: []string{"positive"}},
		{key: "reflection", kind: kBool},
		{key: "keepalive", kind: kTable},
		{key: "keepalive.time", kind: kDuration}, {key: "keepalive.timeout", kind: kDuration},
		{key: "keepalive.max_connection_idle", kind: kDuration}, {key: "keepalive.max_connection_age", kind: kDuration},
		{key: "keepalive.max_connection_age_grace", kind: kDuration}, {key: "keepalive.min_time", kind: kDuration},
		{key: "keepalive.permit_without_stream", kind: kBool},
		{key: "tls", kind: kTable},
		{key: "tls.cert_file", kind: kString, also: tlsPair("services.grpc", "tls.cert_file")},
		{key: "tls.key_file", kind: kString, also: tlsPair("services.grpc", "tls.key_file")},
		{key: "tls.client_ca_file", kind: kString, also: tlsPair("services.grpc", "tls.client_ca_file")},
	}},
	{table: "services.http", keys: []sweptKey{
		{key: "port", kind: kInt}, {key: "address", kind: kHost, failsAtStart: true},
		{key: "read_header_timeout", kind: kDuration}, {key: "read_timeout", kind: kDuration},
		{key: "write_timeout", kind: kDuration}, {key: "idle_timeout", kind: kDuration},
		{key: "max_header_bytes", kind: kInt}, {key: "max_body_bytes", kind: kInt},
	}},
	{table: "services.native"}, // no settings: only its unknown key
	{table: "services.script", types: `["script"]`},
	{table: "clients.users", keys: []sweptKey{
		{key: "host", kind: kHost}, {key: "port", kind: kInt}, {key: "timeout", kind: kDuration},
		{key: "tls", kind: kBool},
		{key: "tls.ca_file", kind: kString}, {key: "tls.server_name", kind: kString},
		{key: "tls.cert_file", kind: kString, also: tlsPair("clients.users", "tls.cert_file")},
		{key: "tls.key_file", kind: kString, also: tlsPair("clients.users", "tls.key_file")},
		{key: "keepalive", kind: kTable},
		{key: "keepalive.time", kind: kDuration}, {key: "keepalive.timeout", kind: kDuration},
		{key: "keepalive.permit_without_stream", kind: kBool},
	}},
	{table: "service", keys: []sweptKey{
		{key: "greeting", kind: kString}, {key: "count", kind: kInt}, {key: "ratio", kind: kFloat},
		{key: "verbose", kind: kBool}, {key: "wait", kind: kDuration}, {key: "tags", kind: kStrings},
		{key: "labels", kind: kStringMap}, {key: "store", kind: kTable}, {key: "store.url", kind: kString},
	}},
}

// sweepCase is one definition the sweep runs.
type sweepCase struct {
	name  string
	table string // the table of the key swept
	key   string // the key swept, dotted below the table; "" when none
	value string // the key's value, TOML
	types string // the types, TOML; "" for grpc, http and native
	also  []setting
	drop  []string // tables taken out of the base definition, with the tables under them
	env   string   // the struct the env feature fills: a key of envStructs; "" for envPlain

	// unknown is a key its owner does not know, whose problem must be
	// reported (with "did you mean" suggest, unless "") wherever the
	// table is decoded; that shows the sweep reached the table's decoder.
	unknown, suggest string

	// failsAtStart says the definition is valid but cannot start (an
	// address that does not resolve). Every other valid definition must
	// make the service ready: else its boot never reached the messages of
	// start, run and shutdown.
	failsAtStart bool
}

// script reports whether the case runs the script kind alone.
func (c sweepCase) script() bool { return strings.Contains(c.types, "script") }

// sweepCases returns every case: each key of sweptTables in each shape of
// its kind, a key each table does not know, the shapes that only some
// keys parse, and the structs of the env feature.
func sweepCases() []sweepCase {
	var cases []sweepCase
	for _, tb := range sweptTables {
		base := tb.table
		if base == "" {
			base = "top"
		}
		for _, k := range tb.keys {
			for _, sh := range shapes[k.kind] {
				if slices.Contains(k.skip, sh.name) {
					continue
				}
				c := sweepCase{name: base + "." + k.key + "/" + sh.name, table: tb.table, key: k.key, value: sh.value, types: tb.types, failsAtStart: k.failsAtStart}
				c.also = append(append(c.also, tb.also...), k.also...)
				if tb.table == "" && k.kind == kTable {
					c.drop = []string{k.key} // the base definition's tables of that name
				}
				cases = append(cases, c)
			}
			if k.kind == kTable && tb.table != "" {
				// A key the sub-table does not know, close to one it does.
				first := subKeys(tb, k.key)[0]
				cases = append(cases, sweepCase{
					name: base + "." + k.key + "/unknown-key", table: tb.table, key: k.key + "." + first + "z",
					value: `"${SECRET}"`, types: tb.types, also: append(slices.Clone(tb.also), k.also...),
					unknown: first + "z", suggest: first,
				})
			}
		}
		c := sweepCase{name: base + "/unknown-key", table: tb.table, types: tb.types, also: tb.also, value: `"${SECRET}"`}
		if len(tb.keys) == 0 {
			c.key, c.unknown = "zz_unknown_key", "zz_unknown_key"
		} else {
			// enabled and a kind's port are taken out of the table
			// before its owner decodes it.
			first := tb.keys[0].key
			if first == "enabled" || first == "port" && strings.HasPrefix(tb.table, "services.") {
				first = tb.keys[1].key
			}
			c.key, c.unknown, c.suggest = first+"z", first+"z", first
		}
		cases = append(cases, c)
	}
	return append(cases, specialCases()...)
}

// subKeys returns the keys of tb below key, without the prefix.
func subKeys(tb sweptTable, key string) []string {
	var keys []string
	for _, k := range tb.keys {
		if rest, ok := strings.CutPrefix(k.key, key+"."); ok {
			keys = append(keys, rest)
		}
	}
	return keys
}

// specialCases are the shapes that reach a message only for some keys:
// the parts of a tracing endpoint, the old "NAME@env" form, a kind's
// address that fails at start while the startup trace is printed, the
// alias [runtime.<kind>], a script alone, and the fields of the env
// feature's struct.
func specialCases() []sweepCase {
	tr := "features.tracing"
	otlpHTTP := []setting{{tr, "exporter", `"otlp-http"`}, {tr, "insecure", ""}}
	stdout := []setting{{tr, "exporter", `"stdout"`}, {tr, "endpoint", ""}, {tr, "insecure", ""}}
	cases := []sweepCase{
		{name: "features.tracing.endpoint/port", table: tr, key: "endpoint", value: `"localhost:${SECRET}"`},
		{name: "features.tracing.endpoint/numeric-port", table: tr, key: "endpoint", value: `"127.0.0.1:${POS}"`},
		{name: "features.tracing.endpoint/host", table: tr, key: "endpoint", value: `"${SECRET}:4317"`},
		{name: "features.tracing.endpoint/grpc-given-a-url", table: tr, key: "endpoint", value: `"http://${SECRET}:4317"`},
		{name: "features.tracing.endpoint/http-host", table: tr, key: "endpoint", value: `"http://${SECRET}:4318/x"`, also: otlpHTTP},
		{name: "features.tracing.endpoint/http-port", table: tr, key: "endpoint", value: `"http://127.0.0.1:${POS}"`, also: otlpHTTP},
		{name: "features.tracing.endpoint/http-userinfo", table: tr, key: "endpoint", value: `"http://user:${SECRET}@127.0.0.1:1"`, also: otlpHTTP},
		{name: "features.tracing.endpoint/http-query", table: tr, key: "endpoint", value: `"{{OTLP_HTTP}}/?k=${SECRET}"`, also: otlpHTTP},
		{name: "features.tracing.endpoint/http-path", table: tr, key: "endpoint", value: `"{{OTLP_HTTP}}/${SECRET}"`, also: otlpHTTP},
		{name: "features.tracing.endpoint/http-path-word", table: tr, key: "endpoint", value: `"{{OTLP_HTTP}}/${WORD}"`, also: otlpHTTP},
		{name: "features.tracing.endpoint/http-path-refused", table: tr, key: "endpoint", value: `"http://127.0.0.1:1/${SECRET}"`, also: otlpHTTP},
		{name: "features.tracing.endpoint/with-stdout", table: tr, key: "endpoint", value: `"${SECRET}"`, also: stdout},
		{name: "features.tracing.exporter/old-form", table: tr, key: "exporter", value: `"SECRET@env"`},
		{name: "features.tracing.sampler/old-form", table: tr, key: "sampler", value: `"WORD@env"`},
		{name: "features.tracing.max_export_batch_size/over-queue", table: tr, key: "max_export_batch_size", value: `"${POS}"`,
			also: []setting{{tr, "max_queue_size", "16"}}},
		{name: "features.tracing.max_queue_size/under-batch", table: tr, key: "max_queue_size", value: `"${POS}"`,
			also: []setting{{tr, "max_export_batch_size", "100000000"}}},
		{name: "services.grpc.address/startup-trace-on-stdout", table: "services.grpc", key: "address", value: `"${SECRET}"`, also: stdout, failsAtStart: true},
		{name: "services.http.address/startup-trace-on-stdout", table: "services.http", key: "address", value: `"${SECRET}"`, also: stdout, failsAtStart: true},
		{name: "runtime.http.address/whole", table: "runtime.http", key: "address", value: `"${SECRET}"`, drop: []string{"services.http"}, failsAtStart: true},
		{name: "clients.users.host/tls", table: "clients.users", key: "host", value: `"${SECRET}"`,
			also: []setting{{"clients.users", "tls", "true"}}},
		{name: "clients.users.tls.server_name/with-ca", table: "clients.users", key: "tls.server_name", value: `"${SECRET}"`,
			also: []setting{{"clients.users", "tls.ca_file", `"missing-ca.pem"`}}},
		{name: "types/script-alone", types: `["script"]`},
		{name: "types/script-tracing-headers", types: `["script"]`, table: tr, key: "headers", value: `{authorization = "Bearer ${SECRET}"}`},
	}
	for _, name := range sortedKeys(envStructs) {
		if name != "" {
			cases = append(cases, sweepCase{name: "features.env/field-" + name, table: "features.env", env: name})
		}
	}
	return cases
}

// params are what a definition depends on besides its case.
type params struct {
	logger   bool   // the logger feature is enabled
	otlpGRPC string // the tracing feature's endpoint, host:port
	otlpHTTP string // the base URL of an OTLP/HTTP receiver
}

// definition returns the case's service.toml: a service of every kind
// but script, with every built-in feature (the logger as p says), on
// loopback, with short lifecycle budgets, and the case's settings.
func (c sweepCase) definition(p params) string {
	envs := sortedKeys(envValues)
	tables := map[string]map[string]string{
		"": {
			"name": `"sweep"`, "types": `["grpc", "http", "native"]`, "version": `"v1.0.0"`, "product": `"secrets"`,
			"envs": `["` + strings.Join(envs, `", "`) + `"]`,
		},
		"lifecycle":        {"start_timeout": `"5s"`, "stop_timeout": `"3s"`},
		"admin":            {"address": `"127.0.0.1"`},
		"features.logger":  {"enabled": strconv.FormatBool(p.logger)},
		"features.env":     {"enabled": "true"},
		"features.tracing": {"enabled": "true", "endpoint": strconv.Quote(p.otlpGRPC), "insecure": "true"},
		"features.metrics": {"enabled": "true"},
		"services.grpc":    {"address": `"127.0.0.1"`},
		"services.http":    {"address": `"127.0.0.1"`},
		"clients.users":    {"host": `"127.0.0.1"`, "port": "1"},
	}
	if c.types != "" {
		tables[""]["types"] = c.types
	}
	if c.script() {
		delete(tables, "services.grpc")
		delete(tables, "services.http")
	}
	for _, d := range c.drop {
		for name := range tables {
			if name == d || strings.HasPrefix(name, d+".") {
				delete(tables, name)
			}
		}
	}
	set := func(s setting) {
		if tables[s.table] == nil {
			tables[s.table] = map[string]string{}
		}
		if s.value == "" {
			delete(tables[s.table], s.key)
			return
		}
		tables[s.table][s.key] = s.value
	}
	for _, s := range c.also {
		set(s)
	}
	if c.key != "" {
		set(setting{c.table, c.key, c.value})
	}

	var b strings.Builder
	top := tables[""]
	first := []string{"name", "types", "version", "product", "language", "envs"}
	for _, k := range first {
		if v, ok := top[k]; ok {
			fmt.Fprintf(&b, "%s = %s\n", k, v)
		}
	}
	for _, k := range sortedKeys(top) {
		if !slices.Contains(first, k) {
			fmt.Fprintf(&b, "%s = %s\n", k, top[k])
		}
	}
	for _, name := range sortedKeys(tables) {
		if name == "" {
			continue
		}
		fmt.Fprintf(&b, "\n[%s]\n", name)
		for _, k := range sortedKeys(tables[name]) {
			fmt.Fprintf(&b, "%s = %s\n", k, tables[name][k])
		}
	}
	return strings.NewReplacer("{{OTLP_HTTP}}", p.otlpHTTP).Replace(b.String())
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// serviceSettings is the sweep service's [service] table. Its Validate
// echoes every string it refuses, as services do, as it is and quoted.
type serviceSettings struct {
	Greeting string            `toml:"greeting"`
	Count    int               `toml:"count"`
	Ratio    float64           `toml:"ratio"`
	Verbose  bool              `toml:"verbose"`
	Wait     time.Duration     `toml:"wait"`
	Tags     []string          `toml:"tags"`
	Labels   map[string]string `toml:"labels"`
	Store    struct {
		URL string `toml:"url"`
	} `toml:"store"`
}

// Validate refuses every string the sweep sets, naming it.
func (s serviceSettings) Validate() error {
	var errs []error
	refuse := func(what, v string) {
		if v != "" && v != "ok" {
			errs = append(errs, fmt.Errorf("%s %q is not allowed (got %s)", what, v, v))
		}
	}
	refuse("greeting", s.Greeting)
	for _, t := range s.Tags {
		refuse("tag", t)
	}
	for k, v := range s.Labels {
		refuse("label "+k, v)
	}
	refuse("store url", s.Store.URL)
	return errors.Join(errs...)
}

// The structs the env feature fills. envPlain reads every variable into a
// type it parses as; the others each make one problem of the feature.
type (
	envPlain struct {
		Secret string        `env:"SECRET"`
		Word   string        `env:"WORD"`
		Num    int           `env:"NUM"`
		Pos    int           `env:"POS"`
		Dur    time.Duration `env:"DUR"`
	}
	envIntFromSecret struct {
		V int `env:"SECRET"`
	}
	envDurationFromWord struct {
		V time.Duration `env:"WORD"`
	}
	envBoolFromNum struct {
		V bool `env:"NUM"`
	}
	envUintFromNum struct {
		V uint8 `env:"NUM"`
	}
	envInt8FromPos struct {
		V int8 `env:"POS"`
	}
	envIPFromSecret struct {
		V net.IP `env:"SECRET"`
	}
	envIntsSplitFromSecret struct {
		V []int `env:"SECRET" envSeparator:"<"`
	}
	envMapFromSecret struct {
		V map[string]int `env:"SECRET" envSeparator:"<" envKeyValSeparator:"-"`
	}
	envSecretTagged struct {
		V int `env:"SECRET" envSecret:"true"`
	}
	envFileFromSecret struct {
		V string `env:"SECRET,file"`
	}
	envUndeclared struct {
		V string `env:"NOT_DECLARED"`
	}
)

// envStructs make the sweep service with each struct of the env feature,
// by name.
var envStructs = map[string]func(svc *sweepBase) any{
	"":                       func(b *sweepBase) any { return newService[envPlain](b) },
	"int-from-secret":        func(b *sweepBase) any { return newService[envIntFromSecret](b) },
	"duration-from-word":     func(b *sweepBase) any { return newService[envDurationFromWord](b) },
	"bool-from-num":          func(b *sweepBase) any { return newService[envBoolFromNum](b) },
	"uint8-from-num":         func(b *sweepBase) any { return newService[envUintFromNum](b) },
	"int8-from-pos":          func(b *sweepBase) any { return newService[envInt8FromPos](b) },
	"ip-from-secret":         func(b *sweepBase) any { return newService[envIPFromSecret](b) },
	"ints-split-from-secret": func(b *sweepBase) any { return newService[envIntsSplitFromSecret](b) },
	"map-from-secret":        func(b *sweepBase) any { return newService[envMapFromSecret](b) },
	"secret-tagged":          func(b *sweepBase) any { return newService[envSecretTagged](b) },
	"file-from-secret":       func(b *sweepBase) any { return newService[envFileFromSecret](b) },
	"undeclared":             func(b *sweepBase) any { return newService[envUndeclared](b) },
}

// sweepBase is what every sweep service does, whatever its env struct.
type sweepBase struct {
	grpc   *mgrpc.Kind // the kind, to call [clients.users] through
	script bool        // Run returns at once, as a script's does
}

// sweepService is the service of the sweep: a gRPC, HTTP, native or
// script service with settings, an env struct of type E and core's
// logger. R is gRPC's ServiceRegistrar: newService takes it from the
// gRPC kind's Service interface, so that this module needs no direct
// requirement on google.golang.org/grpc (which `mono tidy -check` would
// see as untidy).
type sweepService[R, E any] struct {
	Log      *slog.Logger    `mikros:"feature"`
	Settings serviceSettings `mikros:"settings"`
	Env      E               `mikros:"env"`
	base     *sweepBase
}

// newService returns a sweep service with the env struct E.
func newService[E any](b *sweepBase) any {
	return newServiceFor[E](mgrpc.Service.RegisterGRPC, b)
}

// newServiceFor infers R, the parameter of RegisterGRPC, from the method
// expression it is given.
func newServiceFor[E, R any](_ func(mgrpc.Service, R), b *sweepBase) *sweepService[R, E] {
	return &sweepService[R, E]{base: b}
}

// RegisterGRPC registers nothing: the server serves its health service.
func (s *sweepService[R, E]) RegisterGRPC(R) {}

// HTTPHandler answers 404 to everything.
func (s *sweepService[R, E]) HTTPHandler() http.Handler { return http.NotFoundHandler() }

// Run waits for the shutdown, or returns at once for a script.
func (s *sweepService[R, E]) Run(ctx context.Context) error {
	if !s.base.script {
		<-ctx.Done()
	}
	return nil
}

// OnStart calls the service [clients.users] names, which refuses the
// connection, and logs the error through core's logger, as a service
// does: so the client's settings reach the messages of a failed call.
func (s *sweepService[R, E]) OnStart(ctx context.Context) error {
	if s.base.grpc == nil || s.base.script {
		return nil
	}
	conn, err := s.base.grpc.Client("users")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := conn.Invoke(ctx, "/sweep.v1.Users/Get", nil, nil); err != nil {
		s.Log.Warn("users: call failed", "error", err)
	}
	return nil
}

// service returns the case's service, and the options that run it with
// every built-in module, in the environment vars, with the case's
// definition for p, its logs written to logs.
func (c sweepCase) service(vars map[string]string, p params, logs io.Writer) (any, []core.Option) {
	k := mgrpc.New(mgrpc.WithTLS(grpctls.New()), mgrpc.WithClients("users"))
	b := &sweepBase{grpc: k, script: c.script()}
	svc := envStructs[c.env](b)
	return svc, []core.Option{
		core.WithKinds(k, mhttp.New(), native.New(), script.New()),
		core.WithFeatures(env.New(), logger.New(), metrics.New(), tracing.New()),
		servicetest.Env(vars),
		core.WithDefinition("service.toml", []byte(c.definition(p))),
		core.WithLogOutput(logs),
	}
}

// checkEnv is the environment of check mode: the ports are not bound.
func checkEnv() map[string]string {
	e := map[string]string{"MIKROS_GRPC_PORT": "7070", "MIKROS_HTTP_PORT": "8080", "MIKROS_ADMIN_PORT": "9090"}
	for k, v := range envValues {
		e[k] = v
	}
	return e
}

// checkUnknownKeys reports whether out says what the case expects of its
// key: that it is unknown (with its suggestion) when the case sets an
// unknown key, and that it is not otherwise.
func checkUnknownKeys(t *testing.T, c sweepCase, out string, decoded bool) {
	t.Helper()
	switch {
	case c.unknown != "" && decoded:
		want := fmt.Sprintf("unknown key %q", c.unknown)
		if c.suggest != "" {
			want += fmt.Sprintf(" (did you mean %q?)", c.suggest)
		}
		if !strings.Contains(out, want) {
			t.Errorf("the table was not decoded strictly: no %s in\n%s", want, out)
		}
	case c.unknown == "" && c.key != "":
		leaf := c.key[strings.LastIndex(c.key, ".")+1:]
		if strings.Contains(out, fmt.Sprintf("unknown key %q", leaf)) {
			t.Errorf("%s is not a key of %s any more: update the sweep\n%s", c.key, c.table, out)
		}
	}
}

// redactedSeen counts the outputs that said [redacted]: a sweep that
// never sees it proves nothing.
type redactedSeen struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *redactedSeen) add(mode, out string) {
	if strings.Contains(out, core.Redacted) {
		r.mu.Lock()
		r.n[mode]++
		r.mu.Unlock()
	}
}

// TestSecretsNeverReachOutput sweeps every setting of every built-in
// module with values from the environment and fails on any byte of
// output that shows one: in check mode, as mikros check and as the
// service's binary with MIKROS_CHECK, and in a boot of the lifecycle (see
// TestSecretsBoot), with the logger feature enabled and disabled.
func TestSecretsNeverReachOutput(t *testing.T) {
	cases := sweepCases()
	names := map[string]bool{}
	for _, c := range cases {
		if names[c.name] {
			t.Fatalf("two cases are named %s", c.name)
		}
		names[c.name] = true
	}
	boots := startBoots(t)
	seen := &redactedSeen{n: map[string]int{}}
	var valid sync.Map // the names of the cases whose definition the service's check mode accepts

	t.Run("check", func(t *testing.T) {
		p := params{otlpGRPC: "127.0.0.1:4317", otlpHTTP: "http://127.0.0.1:4318"}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				text := c.definition(p)
				// As mikros check: every built-in module, no service. This
				// is what run's check does once it read the file, with the
				// environment of the test instead of the process's.
				var stdout, stderr bytes.Buffer
				core.RunCheck(nil, &stdout, &stderr, append(builtins(), servicetest.Env(checkEnv()), core.WithDefinition("service.toml", []byte(text)))...)
				out := stdout.String() + stderr.String()
				seen.add("check", out)
				if leaks := findLeaks(out); len(leaks) > 0 {
					t.Errorf("mikros check shows a value from the environment:\n%s\n\nservice.toml:\n%s", strings.Join(leaks, "\n"), text)
				}
				// mikros check has no service: [service] and the fields
				// of the env feature are not checked, and neither are
				// clients, which only the service declares.
				checkUnknownKeys(t, c, out, c.table != "service" && c.table != "clients.users")

				// As the service's binary with MIKROS_CHECK=1.
				stdout.Reset()
				stderr.Reset()
				svc, opts := c.service(checkEnv(), p, io.Discard)
				if core.RunCheck(svc, &stdout, &stderr, opts...) == core.ExitOK {
					valid.Store(c.name, true)
				}
				out = stdout.String() + stderr.String()
				seen.add("check", out)
				if leaks := findLeaks(out); len(leaks) > 0 {
					t.Errorf("the service's check mode shows a value from the environment:\n%s\n\nservice.toml:\n%s", strings.Join(leaks, "\n"), text)
				}
				checkUnknownKeys(t, c, out, true)
			})
		}
	})

	records := boots.wait(t)
	t.Run("boot", func(t *testing.T) {
		for _, c := range cases {
			for _, variant := range bootVariants {
				id := c.name + "/" + variant
				t.Run(id, func(t *testing.T) {
					rec, ok := records.cases[id]
					if !ok {
						t.Fatalf("the child process did not boot %s", id)
					}
					seen.add("boot", rec)
					if leaks := findLeaks(rec); len(leaks) > 0 {
						t.Errorf("the boot shows a value from the environment:\n%s\n\nwhat the boot wrote:\n%s", strings.Join(leaks, "\n"), rec)
					}
					checkUnknownKeys(t, c, rec, true)
					if _, ok := valid.Load(c.name); ok && !c.failsAtStart && !strings.Contains(rec, "stdout: ready: true\n") {
						t.Errorf("the definition is valid, but the service did not become ready: the boot did not reach the messages of start, run and shutdown\n%s", rec)
					}
				})
			}
		}
		t.Run("outside-cases", func(t *testing.T) {
			if leaks := findLeaks(records.stray); len(leaks) > 0 {
				t.Errorf("the child process wrote a value from the environment outside a case:\n%s", strings.Join(leaks, "\n"))
			}
		})
	})

	for _, mode := range []string{"check", "boot"} {
		if seen.n[mode] == 0 {
			t.Errorf("no %s output said %s: the sweep did not put values from the environment in messages", mode, core.Redacted)
		}
	}
	t.Logf("%d cases; outputs with %s: check %d, boot %d", len(cases), core.Redacted, seen.n["check"], seen.n["boot"])
}

// bootVariants are the ways each case boots: with the logger feature
// (zap writes every line) and without it (core's own handler does).
var bootVariants = []string{"logger-on", "logger-off"}

// bootShards is how many child processes share the boots.
const bootShards = 2

// shardVar names the child's shard, "i/n"; without it TestSecretsBoot
// does nothing.
const shardVar = "SECRETS_SWEEP_SHARD"

// Lines that frame a case in the child's output.
const (
	beginLine = "@@@ begin "
	endLine   = "@@@ end "
)

// bootRecords is what the child processes wrote: by case, and outside
// any case.
type bootRecords struct {
	cases map[string]string
	stray string
}

// boots are the child processes that boot the cases.
type boots struct {
	cmds   []*exec.Cmd
	stdout []*bytes.Buffer
	stderr []*bytes.Buffer
	errs   []error
	done   chan struct{}
}

// startBoots starts the child processes, each running TestSecretsBoot
// for its shard of the boots.
func startBoots(t *testing.T) *boots {
	t.Helper()
	b := &boots{
		cmds:   make([]*exec.Cmd, bootShards),
		stdout: make([]*bytes.Buffer, bootShards),
		stderr: make([]*bytes.Buffer, bootShards),
		errs:   make([]error, bootShards),
		done:   make(chan struct{}),
	}
	var wg sync.WaitGroup
	for i := range bootShards {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSecretsBoot$", "-test.count=1", "-test.timeout=5m")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d/%d", shardVar, i, bootShards))
		b.stdout[i], b.stderr[i] = &bytes.Buffer{}, &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = b.stdout[i], b.stderr[i]
		b.cmds[i] = cmd
		if err := cmd.Start(); err != nil {
			b.errs[i] = err
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.errs[i] = cmd.Wait()
		}()
	}
	go func() {
		wg.Wait()
		close(b.done)
	}()
	t.Cleanup(func() {
		for _, cmd := range b.cmds {
			if cmd.Process != nil {
				_ = cmd.Process.Kill() // when the test ended before the boots did
			}
		}
		<-b.done
	})
	return b
}

// wait waits for the child processes and splits their output by case.
func (b *boots) wait(t *testing.T) bootRecords {
	t.Helper()
	<-b.done
	recs := bootRecords{cases: map[string]string{}}
	var stray strings.Builder
	for i := range b.cmds {
		if b.errs[i] != nil {
			t.Errorf("child process %d/%d: %v\nstdout:\n%s\nstderr:\n%s", i, bootShards, b.errs[i], tail(b.stdout[i].String()), tail(b.stderr[i].String()))
		}
		for _, stream := range []struct{ name, out string }{{"stdout", b.stdout[i].String()}, {"stderr", b.stderr[i].String()}} {
			current, last := "", "(none)"
			for line := range strings.Lines(stream.out) {
				trimmed := strings.TrimSuffix(line, "\n")
				switch {
				case strings.HasPrefix(trimmed, beginLine):
					current = strings.TrimPrefix(trimmed, beginLine)
				case strings.HasPrefix(trimmed, endLine):
					last, current = current, ""
				case current != "":
					recs.cases[current] += stream.name + ": " + line
				case strings.TrimSpace(line) != "":
					fmt.Fprintf(&stray, "%s, after %s: %s", stream.name, last, line)
				}
			}
		}
	}
	recs.stray = stray.String()
	return recs
}

// tail returns the end of a long output.
func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}

// TestSecretsBoot is the child process of TestSecretsNeverReachOutput:
// it boots its shard of the cases one after the other and writes, framed
// by case on stdout and stderr, everything each boot said: its log
// lines, the error core.Run returned and each of its problems, the admin
// endpoints' answers while it was ready, and the spans an OTLP receiver
// got; what modules write to the process's stdout and stderr themselves
// (the stdout exporter of tracing, gRPC's own log, zap's errors) falls
// in the same frames. It does nothing when run on its own.
func TestSecretsBoot(t *testing.T) {
	shard := os.Getenv(shardVar)
	if shard == "" {
		t.Skip("run by TestSecretsNeverReachOutput in a child process")
	}
	var i, n int
	if _, err := fmt.Sscanf(shard, "%d/%d", &i, &n); err != nil || n < 1 {
		t.Fatalf("%s=%q: want i/n", shardVar, shard)
	}
	recv := tracingtest.NewReceiver(t)
	k := 0
	for _, c := range sweepCases() {
		for _, variant := range bootVariants {
			k++
			if (k-1)%n != i {
				continue
			}
			id := c.name + "/" + variant
			fmt.Fprintf(os.Stdout, "\n%s%s\n", beginLine, id)
			fmt.Fprintf(os.Stderr, "\n%s%s\n", beginLine, id)
			rec := bootCase(t, c, variant == "logger-on", recv)
			for try := 1; try < 3 && strings.Contains(rec, "address already in use"); try++ {
				// A port found free was taken before the boot bound it.
				rec = bootCase(t, c, variant == "logger-on", recv)
			}
			fmt.Fprintf(os.Stdout, "%s\n%s%s\n", rec, endLine, id)
			fmt.Fprintf(os.Stderr, "\n%s%s\n", endLine, id)
		}
	}
}

// lockedBuffer is a buffer safe for concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// bootCase runs the case through core.Run until it is ready (or stops by
// itself), reads the admin endpoints, stops it, and returns what it said.
func bootCase(t *testing.T, c sweepCase, withLogger bool, recv *tracingtest.Receiver) string {
	t.Helper()
	adminPort := freePort(t)
	vars := map[string]string{"MIKROS_GRPC_PORT": freePort(t), "MIKROS_HTTP_PORT": freePort(t), "MIKROS_ADMIN_PORT": adminPort}
	for k, v := range envValues {
		vars[k] = v
	}
	p := params{logger: withLogger, otlpGRPC: recv.Endpoint(), otlpHTTP: recv.URL()}
	logs := &lockedBuffer{}
	svc, opts := c.service(vars, p, logs)
	health := core.NewHealth()
	ready := make(chan struct{})
	var once sync.Once
	health.Watch(func(s core.State) {
		if s == core.Ready {
			once.Do(func() { close(ready) })
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- core.Run(ctx, svc, append(opts, core.WithHealth(health))...) }()

	var rec strings.Builder
	var err error
	became := false
	select {
	case <-ready:
		became = true
		for deadline := time.Now().Add(5 * time.Second); health.State() == core.Starting && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		rec.WriteString(readAdmin("http://127.0.0.1:" + adminPort))
		cancel()
		err = <-done
	case err = <-done:
	case <-time.After(30 * time.Second):
		cancel()
		err = <-done
		t.Errorf("%s: not ready after 30s", c.name)
	}

	fmt.Fprintf(&rec, "ready: %v\n", became || c.script() && err == nil)
	fmt.Fprintf(&rec, "logs:\n%s", logs.String())
	if err != nil {
		fmt.Fprintf(&rec, "core.Run: %s\n", err.Error())
		var problems definition.Problems
		if errors.As(err, &problems) { // what core.Main prints
			for _, pr := range problems {
				fmt.Fprintf(&rec, "problem: %s\n", pr.Error())
			}
		}
	}
	// A span's name, status message and events are messages; its
	// attributes and resource are data the operator configured and needs
	// to see (the host a client called, from [clients.<name>]), as are
	// metric samples (/metrics, not read here): they describe where calls
	// went, and are not looked in.
	for _, s := range recv.Spans() {
		fmt.Fprintf(&rec, "span: %s status %v %s events %v\n", s.Name, s.Status, s.StatusMessage, s.Events)
	}
	recv.Reset()
	return rec.String()
}

// readAdmin returns the answers of the admin endpoints.
func readAdmin(base string) string {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var b strings.Builder
	for _, path := range []string{"/livez", "/readyz", "/loglevel"} {
		resp, err := client.Get(base + path)
		if err != nil {
			fmt.Fprintf(&b, "GET %s: %v\n", path, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Fprintf(&b, "GET %s: %s\n%s\n", path, resp.Status, body)
	}
	return b.String()
}

// TestSecretsSweepCoversEveryKey holds sweptTables against what the
// modules decode: every `toml` struct tag in the source of the packages
// that own a table, and core's list of top-level keys, is a key the
// sweep sets; and every key the sweep sets is written in the
// documentation of its owner. The sources are found with go list, so the
// test reads the versions this module builds with, inside the workspace
// or not.
func TestSecretsSweepCoversEveryKey(t *testing.T) {
	owners := map[string][]string{
		"github.com/mikros-go/mikros/core/definition":    {"", "log", "lifecycle", "admin", "tests"},
		"github.com/mikros-go/mikros/features/logger":    {"features.logger"},
		"github.com/mikros-go/mikros/features/env":       {"features.env"},
		"github.com/mikros-go/mikros/features/tracing":   {"features.tracing"},
		"github.com/mikros-go/mikros/features/metrics":   {"features.metrics"},
		"github.com/mikros-go/mikros/kinds/grpc":         {"services.grpc", "clients.users"},
		"github.com/mikros-go/mikros/kinds/http":         {"services.http"},
		"github.com/mikros-go/mikros/kinds/native":       {"services.native"},
		"github.com/mikros-go/mikros/kinds/script":       {"services.script"},
		"github.com/mikros-go/mikros/kinds/grpc/grpctls": nil,
	}
	dirs := packageDirs(t, sortedKeys(owners))

	// The leaves the sweep sets, by table.
	swept := map[string][]string{}
	for _, tb := range sweptTables {
		for _, k := range tb.keys {
			swept[tb.table] = append(swept[tb.table], k.key[strings.LastIndex(k.key, ".")+1:])
		}
	}
	for _, pkg := range sortedKeys(owners) {
		var leaves []string
		for _, table := range owners[pkg] {
			leaves = append(leaves, swept[table]...)
		}
		tags, topKeys := sourceKeys(t, dirs[pkg])
		for _, tag := range tags {
			if !slices.Contains(leaves, tag) {
				t.Errorf("%s decodes the key %q, which the sweep does not set: add it to sweptTables", pkg, tag)
			}
		}
		for _, k := range topKeys {
			if !slices.Contains(swept[""], k) {
				t.Errorf("%s accepts the top-level key %q, which the sweep does not set: add it to sweptTables", pkg, k)
			}
		}
		if pkg == "github.com/mikros-go/mikros/core/definition" && len(topKeys) == 0 {
			t.Errorf("%s: no var topKeys found: the test cannot hold the top-level keys against it any more", pkg)
		}
		// Every key swept is documented where its owner documents its
		// table.
		doc, err := os.ReadFile(filepath.Join(dirs[pkg], "doc.go"))
		if err != nil {
			continue
		}
		for _, table := range owners[pkg] {
			if strings.HasPrefix(table, "services.") || strings.HasPrefix(table, "features.") || strings.HasPrefix(table, "clients.") {
				for _, leaf := range swept[table] {
					if leaf != "enabled" && !containsWord(string(doc), leaf) {
						t.Errorf("%s/doc.go does not document %s's key %q", pkg, table, leaf)
					}
				}
			}
		}
	}

	// docs/service-toml.md, beside the tools module in the repository,
	// names every key of the tables core owns and of the built-in
	// features.
	spec, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "service-toml.md"))
	if err != nil {
		t.Logf("docs/service-toml.md not beside the tools module: %v", err)
		return
	}
	for _, table := range []string{"", "log", "lifecycle", "admin", "tests", "features.logger", "features.env", "features.tracing", "features.metrics"} {
		for _, leaf := range swept[table] {
			if table == "features.logger" && (leaf == "initial" || leaf == "thereafter") {
				continue // the sub-keys of sampling are in the feature's doc
			}
			if !containsWord(string(spec), leaf) {
				t.Errorf("docs/service-toml.md does not name %s's key %q", table, leaf)
			}
		}
	}
}

// containsWord reports whether text has word with no letter, digit or
// '_' on either side.
func containsWord(text, word string) bool {
	isWord := func(b byte) bool {
		return b == '_' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
	}
	for i := 0; ; {
		j := strings.Index(text[i:], word)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(word)
		if (j == 0 || !isWord(text[j-1])) && (end == len(text) || !isWord(text[end])) {
			return true
		}
		i = j + 1
	}
}

// packageDirs returns the directories of the packages, with go list.
func packageDirs(t *testing.T, pkgs []string) map[string]string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-f", "{{.ImportPath}}\t{{.Dir}}"}, pkgs...)...)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list: %v\n%s", err, stderr)
	}
	dirs := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if pkg, dir, ok := strings.Cut(sc.Text(), "\t"); ok {
			dirs[pkg] = dir
		}
	}
	for _, pkg := range pkgs {
		if dirs[pkg] == "" {
			t.Fatalf("go list did not find %s", pkg)
		}
	}
	return dirs
}

// sourceKeys returns the names of the `toml` struct tags in the package's
// non-test files, and the strings of its var topKeys, if any.
func sourceKeys(t *testing.T, dir string) (tags, topKeys []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.Field:
				if n.Tag == nil {
					return true
				}
				tag, err := strconv.Unquote(n.Tag.Value)
				if err != nil {
					return true
				}
				name, _, _ := strings.Cut(reflect.StructTag(tag).Get("toml"), ",")
				if name != "" && name != "-" && !slices.Contains(tags, name) {
					tags = append(tags, name)
				}
			case *ast.ValueSpec:
				if len(n.Names) == 1 && n.Names[0].Name == "topKeys" && len(n.Values) == 1 {
					if lit, ok := n.Values[0].(*ast.CompositeLit); ok {
						for _, e := range lit.Elts {
							if s, ok := e.(*ast.BasicLit); ok && s.Kind == token.STRING {
								if v, err := strconv.Unquote(s.Value); err == nil {
									topKeys = append(topKeys, v)
								}
							}
						}
					}
				}
			}
			return true
		})
	}
	slices.Sort(tags)
	return tags, topKeys
}
