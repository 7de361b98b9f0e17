package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embedded-occ/provisioner/consumer"
	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/internal/app"
	"github.com/embedded-occ/provisioner/okta/oktatest"
	"github.com/embedded-occ/provisioner/provision"
	"github.com/embedded-occ/provisioner/publisher"
)

// Bounds on waits; they only fail a test, they never pace it.
const (
	opsWait     = 90 * time.Second
	opsISVHost  = "acme.oktapreview.com"
	opsExamples = "../../examples"
)

// opsWorker is a running worker in development mode: embedded NATS on a
// random port, an in-process emulator and the HTTP endpoints on a random
// loopback port, logging JSON into logs.
type opsWorker struct {
	t       testing.TB
	rt      *app.Runtime
	emu     *oktatest.Server
	logs    *syncBuffer
	base    string
	handled <-chan consumer.HandledEvent
	stop    func()
}

// opsSetup adjusts an opsWorker before it starts.
type opsSetup struct {
	// emuToken is the ISV token the emulator accepts; the worker uses
	// workerToken. Both default to the same random token.
	emuToken, workerToken string
	// configure changes the configuration after it is loaded.
	configure func(*app.Config)
}

// opsNoEnv is an empty environment, so that the tests ignore the caller's.
func opsNoEnv(string) string { return "" }

// startOps starts a worker and stops it when the test ends.
func startOps(t testing.TB, s opsSetup) *opsWorker {
	t.Helper()
	if s.emuToken == "" {
		s.emuToken = "test-isv-token-0123456789"
	}
	if s.workerToken == "" {
		s.workerToken = s.emuToken
	}
	emu := oktatest.New(oktatest.Options{ISVHost: opsISVHost, ISVToken: s.emuToken})
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() { emu.Close() })
	if _, err := app.SeedExampleOrgs(emu, opsExamples); err != nil {
		t.Fatalf("seed emulator: %v", err)
	}

	args := []string{"--dev", "--data-dir", t.TempDir(), "--http-addr", "127.0.0.1:0",
		"--log-format", "json", "--log-level", "debug"}
	cfg, err := app.Load(flag.NewFlagSet("test", flag.ContinueOnError), args, opsNoEnv)
	if err != nil {
		t.Fatalf("load config: %v", err)
	}
	cfg.OktaISVHost, cfg.OktaToken = opsISVHost, s.workerToken
	if s.configure != nil {
		s.configure(cfg)
	}
	logs := &syncBuffer{}
	log := app.NewLogger(logs, cfg.LogLevel, cfg.LogFormat)
	zero := 0
	rt, err := app.Start(context.Background(), cfg, log, app.Options{EmbeddedPort: &zero, Emulator: emu})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	h := &opsWorker{t: t, rt: rt, emu: emu, logs: logs, base: "http://" + rt.HTTPAddr(),
		handled: rt.Consumer.Handled()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run: %v", err)
				}
			case <-time.After(opsWait):
				t.Errorf("run did not stop within %s", opsWait)
			}
			rt.Close()
		})
	}
	t.Cleanup(h.stop)
	return h
}

// publish publishes an example, with each old, new pair of replace
// applied to its text first (to change its id or its secrets), and
// returns its event id.
func (h *opsWorker) publish(file string, replace ...string) string {
	h.t.Helper()
	raw, err := os.ReadFile(filepath.Join(opsExamples, file))
	if err != nil {
		h.t.Fatal(err)
	}
	text := string(raw)
	for i := 0; i+1 < len(replace); i += 2 {
		text = strings.ReplaceAll(text, replace[i], replace[i+1])
	}
	ev, s, err := events.DecodeSignup([]byte(text), events.DefaultMaxEventBytes)
	if err != nil {
		h.t.Fatalf("decode %s: %v", file, err)
	}
	keys, _, err := h.rt.Config.SealingKeyring()
	if err != nil || keys == nil {
		h.t.Fatalf("sealing keyring: %v", err)
	}
	body, err := events.MarshalSealed(ev, s, keys)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opsWait)
	defer cancel()
	if _, err := publisher.PublishRaw(ctx, h.rt.JS, h.rt.Subjects.Signup, ev.ID, body); err != nil {
		h.t.Fatalf("publish %s: %v", file, err)
	}
	return ev.ID
}

// waitDone waits until the consumer settles the signup for good (ack or
// terminate) and returns its outcome.
func (h *opsWorker) waitDone(id string) provision.Outcome {
	h.t.Helper()
	deadline := time.After(opsWait)
	for {
		select {
		case ev := <-h.handled:
			if ev.ID == id && ev.Outcome.Action != provision.Retry {
				return ev.Outcome
			}
		case <-deadline:
			h.t.Fatalf("signup %s not settled within %s", id, opsWait)
		}
	}
}

// waitReady polls /readyz until it answers 200. The consumer counts as
// live once its first fetch round ends, which takes up to the fetch wait,
// and no event marks that moment.
func (h *opsWorker) waitReady() {
	h.t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(opsWait)
	for {
		var rb struct {
			Failing map[string]string `json:"failing"`
		}
		if h.getJSON("/readyz", &rb) == http.StatusOK {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			h.t.Fatalf("/readyz not 200 within %s: %v", opsWait, rb.Failing)
		}
	}
}

// get fetches path from the HTTP endpoints.
func (h *opsWorker) get(path string) (int, []byte) {
	h.t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(h.base + path)
	if err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, body
}

// getJSON fetches path and decodes its JSON body into v.
func (h *opsWorker) getJSON(path string, v any) int {
	h.t.Helper()
	code, body := h.get(path)
	if err := json.Unmarshal(body, v); err != nil {
		h.t.Fatalf("GET %s: body is not JSON: %v: %s", path, err, body)
	}
	return code
}

// opsSamples are the samples of a Prometheus text exposition, keyed by the
// series as written: name{label="value",...} with labels in the order the
// client library writes them (sorted by name).
type opsSamples map[string]float64

func parseOpsMetrics(t testing.TB, body []byte) opsSamples {
	t.Helper()
	out := opsSamples{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("not a sample line: %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// metricTypes lists the metric names declared with # TYPE.
func metricTypes(body []byte) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(string(body), "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			out[f[2]] = f[3]
		}
	}
	return out
}

func (b *syncBuffer) logLines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		out = append(out, m)
	}
	return out
}
