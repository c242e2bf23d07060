// Package drain stops a server's listener without resetting the
// connections the kernel already accepted for it, so that any kind —
// built in or written in another repository — keeps the same promise at
// stop: a connection the kernel accepted is served.
//
// The kernel completes the TCP handshake of a new connection before the
// server accepts it, and keeps it in the listening socket's accept queue
// meanwhile. Its client takes it as made, and may already have sent its
// request. Closing the listening socket resets every connection still in
// that queue: the client gets "connection reset by peer" on a connection
// it had. Servers close their listener as the first thing they do when
// they stop (net/http's Shutdown, gRPC's GracefulStop), so under steady
// load from clients that open a connection per request, some are reset
// at every stop.
//
// A [Listener] wraps a server's listener. Until the stop it is the
// listener it wraps. [Listener.Drain] then, while the server still accepts
// from it:
//
//  1. holds new connections back, where the platform allows it (below);
//  2. hands the server, through Accept, the connections the accept queue
//     holds, each Accept waiting at most 50ms for one, until an Accept
//     finds the queue empty;
//  3. closes the listening socket, and returns.
//
// Accept then waits until the server closes the Listener, so that the
// server's accept loop ends as at any stop. The server is stopped after
// Drain returned, the way it always is: the connections handed to it
// during the drain are its own by then, and it serves them.
//
// What each platform gets:
//
//   - On Linux (except on 386), on a plain TCP listener ([Listen] makes one), a
//     socket filter (classic BPF) on the listening socket drops the
//     segments that open new connections (SYN without ACK) during the
//     drain, and lets the rest through, so that handshakes under way
//     complete. The queue only shrinks, and nothing enters it once it was
//     found empty: no connection is reset. A client held back sends its
//     SYN again about a second later, and is refused once the socket is
//     closed, as it would be by any stopped server.
//   - Elsewhere, and on a listener that takes no filter — not TCP, not
//     giving its socket (syscall.Conn), or Multipath TCP, which Go makes
//     by default on Linux (net.Listen) — new connections keep coming during
//     the drain and are served; the drain ends once the queue stayed
//     empty for 50ms, at most half a second after it began, and a
//     connection that enters the queue between the last Accept and the
//     close is reset.
//   - A listener whose Accept cannot be bounded in time (it has no
//     SetDeadline method, as crypto/tls's listener has none) cannot be
//     drained: Drain closes it at once. Wrap the TCP listener under the
//     TLS one instead (tls.NewListener(drain.Wrap(ln), config)), and drain
//     the former.
//
// Drain never takes longer than its context, nor than half a second.
//
// The package depends on the standard library only.
package drain
