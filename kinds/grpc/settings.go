package grpc

import (
	"net"
	"strconv"
	"time"

	"github.com/mikros-go/mikros/core/definition"
	grpclib "google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

// Defaults of [services.grpc].
const (
	// DefaultPort is the port the kind listens on when neither
	// MIKROS_GRPC_PORT, types, nor [services.grpc] port chooses one.
	DefaultPort = 7070
	// DefaultMaxRecvMessageBytes is the largest request message the server
	// accepts by default (gRPC's own default, 4 MiB).
	DefaultMaxRecvMessageBytes = 4 << 20
	// DefaultMaxSendMessageBytes is the largest response message the
	// server sends by default (gRPC's own default, 2 GiB - 1).
	DefaultMaxSendMessageBytes = 1<<31 - 1
)

// settings is [services.grpc].
type settings struct {
	Address              string             `toml:"address"`
	MaxRecvMessageBytes  int                `toml:"max_recv_message_bytes"`
	MaxSendMessageBytes  int                `toml:"max_send_message_bytes"`
	MaxConcurrentStreams uint32             `toml:"max_concurrent_streams"`
	NumStreamWorkers     uint32             `toml:"num_stream_workers"`
	Reflection           bool               `toml:"reflection"`
	Keepalive            *keepaliveSettings `toml:"keepalive"`
	TLS                  *serverTLS         `toml:"tls"`
}

// keepaliveSettings is [services.grpc.keepalive]: what the server does on
// idle connections, and what it allows clients to do.
type keepaliveSettings struct {
	Time                  time.Duration `toml:"time"`
	Timeout               time.Duration `toml:"timeout"`
	MaxConnectionIdle     time.Duration `toml:"max_connection_idle"`
	MaxConnectionAge      time.Duration `toml:"max_connection_age"`
	MaxConnectionAgeGrace time.Duration `toml:"max_connection_age_grace"`
	MinTime               time.Duration `toml:"min_time"`
	PermitWithoutStream   bool          `toml:"permit_without_stream"`
}

// serverTLS is [services.grpc.tls].
type serverTLS struct {
	CertFile     string `toml:"cert_file"`
	KeyFile      string `toml:"key_file"`
	ClientCAFile string `toml:"client_ca_file"`
}

// serverConfig is what [services.grpc] makes of the server.
type serverConfig struct {
	address    string // host:port
	reflection bool
	opts       []grpclib.ServerOption
}

// decodeSettings decodes [services.grpc] strictly, checks its values, and
// turns it into server options. The TLS files are read here, so that a
// missing or invalid file is a problem at its key, before anything starts.
func decodeSettings(sec definition.Section, port int, ts tlsSetup) (*serverConfig, error) {
	st := settings{
		MaxRecvMessageBytes: DefaultMaxRecvMessageBytes,
		MaxSendMessageBytes: DefaultMaxSendMessageBytes,
	}
	if err := sec.Decode(&st); err != nil {
		return nil, err
	}
	var problems definition.Problems
	if _, _, err := net.SplitHostPort(st.Address); err == nil {
		problems = append(problems, sec.Problem("address", "%s has a port: write the port in port", shown(sec, "address", st.Address, "address")))
	}
	if st.MaxRecvMessageBytes <= 0 {
		problems = append(problems, sec.Problem("max_recv_message_bytes", "must be positive, not %d", st.MaxRecvMessageBytes))
	}
	if st.MaxSendMessageBytes <= 0 {
		problems = append(problems, sec.Problem("max_send_message_bytes", "must be positive, not %d", st.MaxSendMessageBytes))
	}
	opts := []grpclib.ServerOption{
		grpclib.MaxRecvMsgSize(st.MaxRecvMessageBytes),
		grpclib.MaxSendMsgSize(st.MaxSendMessageBytes),
	}
	if st.MaxConcurrentStreams > 0 {
		opts = append(opts, grpclib.MaxConcurrentStreams(st.MaxConcurrentStreams))
	}
	if st.NumStreamWorkers > 0 {
		opts = append(opts, grpclib.NumStreamWorkers(st.NumStreamWorkers))
	}
	if ka := st.Keepalive; ka != nil {
		ps := checkDurations(sec, "keepalive", map[string]time.Duration{
			"time": ka.Time, "timeout": ka.Timeout, "max_connection_idle": ka.MaxConnectionIdle,
			"max_connection_age": ka.MaxConnectionAge, "max_connection_age_grace": ka.MaxConnectionAgeGrace,
			"min_time": ka.MinTime,
		})
		if ka.Time > 0 && ka.Time < time.Second {
			ps = append(ps, sec.Problem("keepalive.time", "must be at least 1s, not %s", ka.Time))
		}
		problems = append(problems, ps...)
		opts = append(opts, grpclib.KeepaliveParams(keepalive.ServerParameters{
			Time:                  ka.Time,
			Timeout:               ka.Timeout,
			MaxConnectionIdle:     ka.MaxConnectionIdle,
			MaxConnectionAge:      ka.MaxConnectionAge,
			MaxConnectionAgeGrace: ka.MaxConnectionAgeGrace,
		}))
		opts = append(opts, grpclib.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             ka.MinTime,
			PermitWithoutStream: ka.PermitWithoutStream,
		}))
	}
	if st.TLS != nil {
		creds, ps := st.TLS.credentials(sec, ts)
		problems = append(problems, ps...)
		if creds != nil {
			opts = append(opts, grpclib.Creds(creds))
		}
	}
	if len(problems) > 0 {
		problems.Sort()
		return nil, problems
	}
	return &serverConfig{
		address:    net.JoinHostPort(st.Address, strconv.Itoa(port)),
		reflection: st.Reflection,
		opts:       opts,
	}, nil
}

// checkDurations reports the negative durations of a table.
func checkDurations(sec definition.Section, table string, ds map[string]time.Duration) definition.Problems {
	var problems definition.Problems
	for key, d := range ds {
		if d < 0 {
			problems = append(problems, sec.Problem(table+"."+key, "must not be negative, not %s", d))
		}
	}
	return problems
}

// shown returns a value for a message: quoted, or described as "the
// <noun> from the environment" when it came from there, since the framework
// never prints such values.
func shown(sec definition.Section, key, value, noun string) string {
	if sec.FromEnv(key) {
		return "the " + noun + " from the environment"
	}
	return strconv.Quote(value)
}
