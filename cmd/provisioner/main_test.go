package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/embedded-occ/provisioner/consumer"
	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/internal/embedded"
)

// clearEnv hides the caller's PROVISIONER_* variables from the test.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "PROVISIONER_") {
			t.Setenv(k, "")
		}
	}
}

// runCmd runs the command line and returns its stdout, stderr and error.
func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, args, strings.NewReader(""), &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func keyring(t *testing.T, kid string) (spec, material string) {
	t.Helper()
	spec, err := events.GenerateKeyringSpec(kid)
	if err != nil {
		t.Fatal(err)
	}
	_, material, _ = strings.Cut(spec, ":")
	return spec, material
}

func TestConfigRedactsSecrets(t *testing.T) {
	clearEnv(t)
	seal, sealKey := keyring(t, "seal-1")
	store, storeKey := keyring(t, "store-1")
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("file-token-canary-77aa\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{
		"okta token":    "okta-token-canary-5b6c",
		"nats password": "nats-password-canary-1f2e",
		"nats token":    "nats-token-canary-3d4c",
		"seal key":      sealKey,
		"store key":     storeKey,
		"token file":    "file-token-canary-77aa",
	}
	tests := []struct {
		name string
		args []string
	}{
		{"flags", []string{"--okta-token", secrets["okta token"], "--nats-password", secrets["nats password"],
			"--nats-user", "worker", "--nats-token", secrets["nats token"]}},
		{"token file", []string{"--okta-token-file", tokenFile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"config", "--nats-url", "nats://127.0.0.1:4222",
				"--okta-isv-host", "acme.okta.com", "--seal-keys", seal, "--store-keys", store}, tt.args...)
			stdout, stderr, err := runCmd(t, args...)
			if err != nil {
				t.Fatalf("config: %v\n%s", err, stderr)
			}
			for what, s := range secrets {
				if strings.Contains(stdout+stderr, s) {
					t.Errorf("config output shows the %s", what)
				}
			}
			for _, want := range []string{"PROVISIONER_OKTA_TOKEN=[redacted]", "PROVISIONER_SEAL_KEYS=[redacted]",
				"PROVISIONER_STORE_KEYS=[redacted]", "PROVISIONER_OKTA_ISV_HOST=acme.okta.com",
				"PROVISIONER_CONCURRENCY=64"} {
				if !strings.Contains(stdout, want+"\n") {
					t.Errorf("config output lacks %q:\n%s", want, stdout)
				}
			}
			for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
				if k, _, ok := strings.Cut(line, "="); !ok || !strings.HasPrefix(k, "PROVISIONER_") {
					t.Errorf("line %q is not PROVISIONER_NAME=value", line)
				}
			}
		})
	}
}

func TestHelpHidesSecretsFromEnv(t *testing.T) {
	clearEnv(t)
	seal, sealKey := keyring(t, "seal-1")
	t.Setenv("PROVISIONER_OKTA_TOKEN", "env-token-canary-44dd")
	t.Setenv("PROVISIONER_SEAL_KEYS", seal)
	for _, cmd := range []string{"run", "config"} {
		_, stderr, _ := runCmd(t, cmd, "-h")
		if !strings.Contains(stderr, "PROVISIONER_OKTA_TOKEN") {
			t.Errorf("%s -h does not list the settings:\n%s", cmd, stderr)
		}
		if strings.Contains(stderr, "env-token-canary-44dd") || strings.Contains(stderr, sealKey) {
			t.Errorf("%s -h shows a secret from the environment", cmd)
		}
	}
}

func TestConfigNamesMissingSettings(t *testing.T) {
	clearEnv(t)
	stdout, _, err := runCmd(t, "config")
	if err == nil {
		t.Fatal("config without production settings: nil error")
	}
	for _, want := range []string{"PROVISIONER_NATS_URL", "PROVISIONER_OKTA_ISV_HOST", "PROVISIONER_OKTA_TOKEN",
		"PROVISIONER_STORE_KEYS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if !strings.Contains(stdout, "PROVISIONER_HTTP_ADDR=127.0.0.1:8080\n") {
		t.Errorf("config does not print the effective settings:\n%s", stdout)
	}
}

func TestConfigBadValueNamesSetting(t *testing.T) {
	clearEnv(t)
	_, _, err := runCmd(t, "config", "--ack-wait", "later")
	if err == nil || !strings.Contains(err.Error(), "PROVISIONER_ACK_WAIT") {
		t.Errorf("err = %v, want one naming PROVISIONER_ACK_WAIT", err)
	}
}

// noEscapes fails when out holds a carriage return or an escape sequence,
// the stuff of terminal progress output.
func noEscapes(t *testing.T, what, out string) {
	t.Helper()
	if strings.ContainsAny(out, "\r\x1b") {
		t.Errorf("%s holds terminal control characters: %q", what, firstLine(out))
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestDemoPipedIsParseable(t *testing.T) {
	clearEnv(t)
	t.Setenv("PROVISIONER_LOG_LEVEL", "warn") // the demo sets it itself
	stdout, stderr, err := runCmd(t, "demo", "--examples", "../../examples", "--data-dir", t.TempDir())
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr)
	}
	noEscapes(t, "stdout", stdout)
	noEscapes(t, "stderr", stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) < 8 {
		t.Errorf("stdout has %d lines, want a result per example", len(lines))
	}
	for _, line := range lines {
		var ev events.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Type == "" {
			t.Errorf("stdout line is not a CloudEvent: %q", line)
		}
	}
}

func TestDLQReplayPipedIsParseable(t *testing.T) {
	clearEnv(t)
	ns, err := embedded.Start(embedded.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	nc, err := nats.Connect(ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	subj := events.DefaultSubjects()
	if err := consumer.EnsureStreams(ctx, js, consumer.DefaultStreams(), subj, "provisioner"); err != nil {
		t.Fatal(err)
	}
	ids := []string{"signup-dlq-1", "signup-dlq-2", "signup-dlq-3"}
	for _, id := range ids {
		if _, err := js.Publish(ctx, subj.Dead, deadLetter(t, id)); err != nil {
			t.Fatal(err)
		}
	}

	stdout, stderr, err := runCmd(t, "dlq", "replay", "--all", "--nats-url", ns.URL())
	if err != nil {
		t.Fatalf("dlq replay --all: %v\n%s", err, stderr)
	}
	noEscapes(t, "stdout", stdout)
	noEscapes(t, "stderr", stderr)
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		id, msgID, ok := strings.Cut(line, "\t")
		if !ok || !strings.HasPrefix(msgID, id+":replay:") {
			t.Errorf("stdout line %q is not ID<TAB>MSGID", line)
		}
		got = append(got, id)
	}
	if fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Errorf("replayed %v, want %v", got, ids)
	}
	if stderr != "" {
		t.Errorf("stderr = %q, want nothing when piped", stderr)
	}
}

// deadLetter is a dead-letter event whose original is a minimal signup
// event.
func deadLetter(t *testing.T, id string) []byte {
	t.Helper()
	original := fmt.Sprintf(`{"specversion":"1.0","id":%q,"type":%q}`, id, events.TypeSignupRequested)
	data, err := json.Marshal(events.DeadLetter{
		SignupID: id, Reason: "retries_exhausted", Step: "create_org", Attempts: 6,
		OriginalSubject: "signup.requested", Original: json.RawMessage(original),
		OriginalSize: len(original), OriginalSHA256: "0", DeadAt: time.Now().UTC(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := json.Marshal(events.Event{SpecVersion: "1.0", ID: "dead-" + id, Source: "test",
		Type: events.TypeSignupDead, Time: time.Now().UTC(), DataContentType: "application/json", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}
