// Package embedded runs a nats-server with JetStream inside the process,
// for the demo, development mode and tests.
package embedded

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Options configures an embedded server.
type Options struct {
	// Dir is the data directory; the JetStream store goes under it.
	// Required.
	Dir string
	// Host defaults to 127.0.0.1.
	Host string
	// Port is the client port; 0 picks a random free port.
	Port int
}

// Server is a running embedded nats-server.
type Server struct {
	opts Options
	ns   *server.Server
}

// Start starts a server and waits until it accepts connections with
// JetStream enabled.
func Start(opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("embedded nats: Dir is required")
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	port := opts.Port
	if port == 0 {
		port = server.RANDOM_PORT
	} else if err := portFree(opts.Host, port); err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: "provisioner-embedded",
		Host:       opts.Host,
		Port:       port,
		JetStream:  true,
		StoreDir:   filepath.Join(opts.Dir, "jetstream"),
		NoLog:      true,
		NoSigs:     true,
		// Keep the server's own HTTP monitor off.
		HTTPPort: 0,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("embedded nats: not ready after 30s")
	}
	if !ns.JetStreamEnabled() {
		ns.Shutdown()
		return nil, errors.New("embedded nats: JetStream did not start (is the store directory writable?)")
	}
	s := &Server{opts: opts, ns: ns}
	s.opts.Port = ns.Addr().(*net.TCPAddr).Port
	return s, nil
}

// URL is the client URL, e.g. "nats://127.0.0.1:4222".
func (s *Server) URL() string { return s.ns.ClientURL() }

// Port is the port the server listens on; a restart reuses it.
func (s *Server) Port() int { return s.opts.Port }

// Shutdown stops the server and waits for it.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}

// Restart stops the server and starts it again on the same port and store,
// as a broker restart would.
func (s *Server) Restart() error {
	s.Shutdown()
	n, err := Start(s.opts)
	if err != nil {
		return err
	}
	*s = *n
	return nil
}

// portFree fails fast, with the reason, when the port is taken: the server
// itself would only report that it never became ready.
func portFree(host string, port int) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, fmt.Sprint(port)))
	if err != nil {
		return err
	}
	return ln.Close()
}
