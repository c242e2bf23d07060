package logger_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"

	"go.uber.org/zap"

	"github.com/mikros-go/mikros/core"
	"github.com/mikros-go/mikros/features/logger"
)

// hello is the service. The logger feature fills its Log field.
type hello struct {
	Log *zap.Logger `mikros:"feature"`
}

// runOnce stands in for a kind such as kinds/script: it runs the service's
// work once and returns, which stops the service.
type runOnce struct{ svc *hello }

func (runOnce) Name() string { return "once" }

func (k runOnce) Run(context.Context) error {
	k.svc.Log.Info("hello", zap.String("user", "ada"))
	return nil
}

// serviceTOML turns the feature on; [log] sets its level and format.
const serviceTOML = `
name    = "hello"
types   = ["once"]
version = "v1.0.0"
product = "demo"

[log]
level = "info"

[features.logger]
enabled = true
`

func Example() {
	svc := &hello{}
	var out bytes.Buffer
	err := core.Run(context.Background(), svc,
		core.WithDefinition("service.toml", []byte(serviceTOML)),
		core.WithKinds(runOnce{svc}),
		// logger.New() writes to stderr; the example keeps the lines.
		core.WithFeatures(logger.New(logger.WithOutput(&out))),
		// Keep this machine's MIKROS_* variables out of the example.
		core.WithLookupEnv(func(string) (string, bool) { return "", false }),
	)
	if err != nil {
		fmt.Println(err)
		return
	}

	// Core's own lines ("service started in ...") are there too; print the
	// service's line, with its time masked.
	masked := regexp.MustCompile(`"time":"[^"]*"`)
	for line := range strings.Lines(out.String()) {
		if strings.Contains(line, `"msg":"hello"`) {
			fmt.Print(masked.ReplaceAllString(line, `"time":"…"`))
		}
	}
	// Output:
	// {"time":"…","level":"info","msg":"hello","service.name":"hello","service.version":"v1.0.0","service.product":"demo","service.env":"local","service.type":"once","user":"ada"}
}
