package drain_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/mikros-go/mikros/core/drain"
)

// pinger is a small server, as a kind would run one: it answers "pong"
// on every connection it accepts.
type pinger struct {
	ln   *drain.Listener
	done chan error // the error that ended serve
}

// serve accepts until the listener is closed.
func (p *pinger) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			p.done <- err
			return
		}
		_, _ = io.WriteString(c, "pong")
		_ = c.Close()
	}
}

// stop drains the listener, then stops the server: it closes the
// listener, and waits for serve to return.
func (p *pinger) stop(ctx context.Context) error {
	if _, err := p.ln.Drain(ctx); err != nil {
		fmt.Println("drain:", err) // the queue was not found empty: connections in it were reset
	}
	err := p.ln.Close()
	if served := <-p.done; !errors.Is(served, net.ErrClosed) {
		err = errors.Join(err, served)
	}
	return err
}

// A server stops in two steps: Drain while it still accepts, so that the
// connections the kernel already accepted for it are handed over and
// served, then the server's own stop, which closes the listener.
func Example() {
	ln, err := drain.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	p := &pinger{ln: ln, done: make(chan error, 1)}
	go p.serve()

	ping := func() (net.Conn, error) { return net.Dial("tcp", ln.Addr().String()) }
	first, err := ping()
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := io.ReadAll(first) // the server accepts
	fmt.Printf("before the stop: %q, %v\n", b, err)
	first.Close()

	c, err := ping() // made by the kernel, whenever the server takes it
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println("stopped:", p.stop(ctx))
	b, err = io.ReadAll(c)
	fmt.Printf("the client read %q, %v\n", b, err)
	_, err = ping()
	fmt.Println("dial once stopped refused:", err != nil)
	// Output:
	// before the stop: "pong", <nil>
	// stopped: <nil>
	// the client read "pong", <nil>
	// dial once stopped refused: true
}
