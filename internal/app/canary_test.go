package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/internal/app"
	"github.com/embedded-occ/provisioner/internal/embedded"
	"github.com/embedded-occ/provisioner/okta/oktatest"
	"github.com/embedded-occ/provisioner/outbox"
	"github.com/embedded-occ/provisioner/publisher"
)

// canary is a unique secret value to search for.
type canary struct {
	what, value string
	// inStore says the value may legitimately sit in the JetStream store:
	// the producer itself published it there in plain text.
	inStore bool
}

// artifact is something the product wrote or said.
type artifact struct {
	name string
	data []byte
	// store marks the JetStream store's files.
	store bool
}

// encodings are the forms a leaked secret is searched in: plain text and
// the encodings a careless writer might use.
func encodings(v string) map[string]string {
	b := []byte(v)
	return map[string]string{
		"plain text":     v,
		"base64":         base64.StdEncoding.EncodeToString(b),
		"base64 raw url": base64.RawURLEncoding.EncodeToString(b),
		"hex":            hex.EncodeToString(b),
	}
}

// searchCanaries fails for every canary found in an artifact.
func searchCanaries(t testing.TB, canaries []canary, arts []artifact) {
	t.Helper()
	for _, a := range arts {
		for _, c := range canaries {
			if c.inStore && a.store {
				continue
			}
			for enc, v := range encodings(c.value) {
				if bytes.Contains(a.data, []byte(v)) {
					t.Errorf("%s found (%s) in %s", c.what, enc, a.name)
				}
			}
		}
	}
}

// readTree reads every regular file under dir.
func readTree(t testing.TB, dir, label string, store bool) []artifact {
	t.Helper()
	var out []artifact
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out = append(out, artifact{name: label + " " + rel, data: b, store: store})
		return nil
	})
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	return out
}

// readSQLite reads the database file and its -wal and -shm files.
func readSQLite(t testing.TB, db, label string) []artifact {
	t.Helper()
	var out []artifact
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(db + suffix)
		if errors.Is(err, fs.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, artifact{name: label + " " + filepath.Base(db) + suffix, data: b})
	}
	return out
}

func wantMode(t testing.TB, path string, want fs.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s mode %v, want %v", filepath.Base(path), got, want)
	}
}

// TestCanarySecretsNeverLeak runs both flows and every failure path with
// unique secret values, then searches every log line (trace level), error,
// result, dead letter, HTTP answer, the SQLite file (with its WAL, before
// and after a checkpoint) and the JetStream store for them.
func TestCanarySecretsNeverLeak(t *testing.T) {
	t.Parallel()
	isvToken := "00isvCANARY" + randHex(16)
	dataDir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	h := startHarness(t, harnessOptions{ISVToken: isvToken, DataDir: dataDir})
	dbPath := filepath.Join(dataDir, "provisioner.db")

	if h.cfg.OktaToken != isvToken {
		t.Errorf("token from file keeps its newline or differs")
	}
	if h.cfg.LogLevel != "trace" {
		t.Fatalf("log level %q, want trace", h.cfg.LogLevel)
	}
	wantMode(t, dataDir, 0o700)
	wantMode(t, dbPath, 0o600)

	canaries := []canary{{what: "ISV token", value: isvToken}}
	secret := func(what, prefix string) string {
		v := prefix + randHex(10)
		canaries = append(canaries, canary{what: what, value: v})
		return v
	}
	// A valid admin password: upper, lower, digit, no part of "joe".
	password := func(what string) string { return secret(what, "Cnry9Pw") }
	newSignup := func(sub string) *events.Signup {
		s := newTenant(sub, "")
		s.Org.Admin.Credentials.Password.Value = events.PlainSecret(password("password of " + sub))
		s.Org.Admin.Credentials.RecoveryQuestion.Answer = events.PlainSecret(
			secret("recovery answer of "+sub, "cnry-answer-"))
		return s
	}
	var ids []string
	publish := func(s *events.Signup) string {
		id := h.publish(t, newEvent(uniq("canary")), s)
		ids = append(ids, id)
		return id
	}

	// Both flows.
	okSub := uniq("canaryok")
	okID := publish(newSignup(okSub))
	custHost := uniq("globex") + ".okta.com"
	custToken := secret("customer token", "00CustCnry")
	h.emu.AddOrg(custHost, custToken)
	existingID := publish(existingTenant(custHost, custToken, ""))

	// Failures: local validation, then Okta's.
	invalid := newSignup("Bad_Sub")
	invalidID := publish(invalid)
	weak := newSignup(uniq("weak"))
	weak.Org.Admin.Credentials.Password.Value = events.PlainSecret(secret("weak password", "cnryweak"))
	weakID := publish(weak)
	badHost := uniq("initech") + ".oktapreview.com"
	h.emu.AddOrg(badHost, "00right"+randHex(16))
	badTokenID := publish(existingTenant(badHost, secret("rejected customer token", "00BadCnry"), ""))
	badApp := newSignup(uniq("badapp"))
	badApp.App.Name = "badappname"
	badAppID := publish(badApp)
	undecodable := []byte(`{"id":"x","data":{"apiToken":"` +
		secret("token in an undecodable message", "00UndecCnry") + `"`)
	canaries[len(canaries)-1].inStore = true
	h.publishRaw(t, uniq("canary-garbage"), undecodable)

	h.provisioned(t, okID)
	h.provisioned(t, existingID)
	for _, id := range []string{invalidID, weakID, badTokenID, badAppID} {
		h.failed(t, id)
	}
	dupID := publish(newSignup(okSub))
	if got, _ := h.failed(t, dupID); got.Error.ErrorCode != "E0000088" {
		t.Errorf("duplicate: %s, want E0000088", got.Error.ErrorCode)
	}
	h.dead.waitN(t, "undecodable dead letter", 1, func(r received) bool { return r.SignupID == "" })

	// Dead letter through the retry budget (5xx), then replay.
	h.emu.SetFault(oktatest.EndpointMetadata, oktatest.Fault{Status: 500})
	deadSub := uniq("canarydead")
	deadID := publish(newSignup(deadSub))
	if got, _ := h.failed(t, deadID); !got.Replayable || got.Error.HTTPStatus != 500 {
		t.Errorf("5xx give-up: %+v, want a replayable 500", got)
	}
	h.deadLetter(t, "dead letter of "+deadID, func(r received) bool { return r.SignupID == deadID })
	h.emu.ClearFaults()
	replayDead(t, h, deadID)
	h.results.waitN(t, "replayed result", 1, func(r received) bool {
		return r.SignupID == deadID && r.Event.Type == events.TypeTenantProvisioned
	})

	// The new orgs' tokens, which only Okta and the worker ever saw.
	for _, sub := range h.emu.OrgsCreated() {
		tok := h.emu.OrgToken(sub + ".oktapreview.com")
		if tok == "" {
			t.Fatalf("no token for created org %s", sub)
		}
		canaries = append(canaries, canary{what: "org token of " + sub, value: tok})
	}
	if n := len(h.emu.OrgsCreated()); n != 3 {
		t.Errorf("orgs created = %d, want 3 (ok, badapp, dead)", n)
	}

	// What the operator endpoints show.
	var arts []artifact
	handler := h.rt.Handler()
	for _, path := range append(prefixAll("/v1/signups/", ids), "/metrics") {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		arts = append(arts, artifact{name: "GET " + path, data: rec.Body.Bytes()})
	}
	reqs, _ := json.Marshal(h.emu.Requests())
	arts = append(arts, artifact{name: "emulator request log", data: reqs})

	// SQLite while running, then after a checkpoint.
	arts = append(arts, readSQLite(t, dbPath, "running")...)
	checkpoint(t, dbPath)
	arts = append(arts, readSQLite(t, dbPath, "checkpointed")...)
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(dbPath + suffix); err == nil {
			wantMode(t, dbPath+suffix, 0o600)
		}
	}

	h.shutdown()
	arts = append(arts, readTree(t, dataDir, "data dir after close", false)...)
	arts = append(arts, readTree(t, filepath.Join(dataDir, "jetstream"), "jetstream store", true)...)
	logs := h.logs.Bytes()
	arts = append(arts, artifact{name: "logs", data: logs})
	for _, r := range append(h.results.all(), h.dead.all()...) {
		arts = append(arts, artifact{name: r.Stream + " event " + r.Event.ID, data: r.Raw})
	}
	var errText []string
	for _, e := range h.handled.all() {
		if e.Err != nil {
			errText = append(errText, e.Err.Error())
		}
	}
	arts = append(arts, artifact{name: "handler errors", data: []byte(strings.Join(errText, "\n"))})
	searchCanaries(t, canaries, arts)

	// Control: the search reads real content. The subdomain is no secret
	// and must be visible in each kind of artifact.
	for _, kind := range []string{"checkpointed provisioner.db", "jetstream store", "logs",
		"GET /v1/signups/" + okID} {
		found := false
		for _, a := range arts {
			if strings.HasPrefix(a.name, kind) && bytes.Contains(a.data, []byte(okSub)) {
				found = true
			}
		}
		if !found {
			t.Errorf("control value not found in %s: the search cannot see into it", kind)
		}
	}

	lower := bytes.ToLower(logs)
	for _, word := range []string{"authorization", "ssws"} {
		if bytes.Contains(lower, []byte(word)) {
			t.Errorf("logs mention %q", word)
		}
	}
	for _, msg := range []string{"signup provisioned", "signup failed", "signup dead-lettered",
		"undecodable signup message dead-lettered"} {
		if !bytes.Contains(logs, []byte(msg)) {
			t.Errorf("logs lack %q: the search did not see every path", msg)
		}
	}
}

func prefixAll(prefix string, ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = prefix + id
	}
	return out
}

// replayDead replays signup id's dead letter as an operator would and
// checks that what it replays has its secrets sealed.
func replayDead(t testing.TB, h *harness, id string) {
	t.Helper()
	ctx := context.Background()
	entries, err := publisher.ListDead(ctx, h.js, h.rt.Streams.Dead)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Letter.SignupID != id {
			continue
		}
		_, s, err := events.DecodeSignup(e.Letter.Original, 0)
		if err != nil {
			t.Fatalf("dead letter original: %v", err)
		}
		for _, sec := range s.Secrets() {
			if !sec.IsSealed() {
				t.Errorf("dead letter holds a secret that is not sealed")
			}
		}
		if _, err := publisher.ReplayDead(ctx, h.js, h.rt.Streams.Dead, h.rt.Subjects.Signup, e); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("no dead letter for %s", id)
}

// checkpoint moves the WAL into the database file from another
// connection, as a backup tool would.
func checkpoint(t testing.TB, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
}

// TestSecretSettingsTrimNewline: a token from a file or the environment
// loses its trailing newline, and the effective settings never show it.
func TestSecretSettingsTrimNewline(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("00FileTok\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"file", []string{"--okta-token-file", file}, nil, "00FileTok"},
		{"env", nil, map[string]string{"PROVISIONER_OKTA_TOKEN": "00EnvTok\n"}, "00EnvTok"},
		{"env file", nil, map[string]string{"PROVISIONER_OKTA_TOKEN_FILE": file}, "00FileTok"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(new(bytes.Buffer))
			cfg, err := app.Load(fs, tc.args, func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.OktaToken; got != tc.want {
				t.Errorf("token = %q, want %q", got, tc.want)
			}
			if red := strings.Join(cfg.Redacted(), "\n"); strings.Contains(red, tc.want) {
				t.Errorf("Redacted shows the token")
			}
		})
	}
}

// TestStoreKeyErrors: a missing, malformed or wrong storage key stops the
// start with an error naming PROVISIONER_STORE_KEYS and no key material.
func TestStoreKeyErrors(t *testing.T) {
	t.Parallel()
	log := zerolog.Nop()
	start := func(cfg *app.Config) error {
		zero := 0
		rt, err := app.Start(context.Background(), cfg, log, app.Options{EmbeddedPort: &zero, NoHTTP: true})
		if err == nil {
			rt.Close()
		}
		return err
	}
	prod := func(extra ...string) *app.Config {
		return loadConfig(t, append([]string{
			"--data-dir", filepath.Join(t.TempDir(), "data"),
			// Never dialled: the settings are refused first.
			"--nats-url", "nats://127.0.0.1:1",
			"--okta-isv-host", "acme.oktapreview.com", "--okta-token", "00tok",
			"--seal-keys", genKeyring(t, "seal-1"),
		}, extra...)...)
	}
	wantNamed := func(t *testing.T, err error, secrets ...string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), "PROVISIONER_STORE_KEYS") {
			t.Fatalf("start: %v, want an error naming PROVISIONER_STORE_KEYS", err)
		}
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error shows key material: %v", err)
			}
		}
	}

	t.Run("missing", func(t *testing.T) {
		wantNamed(t, start(prod()))
	})
	t.Run("malformed", func(t *testing.T) {
		bad := "store-1:c2VjcmV0LWJ1dC10b28tc2hvcnQ"
		wantNamed(t, start(prod("--store-keys", bad)), "c2VjcmV0LWJ1dC10b28tc2hvcnQ")
	})
	t.Run("wrong key for the file", func(t *testing.T) {
		dataDir := filepath.Join(t.TempDir(), "data")
		first := genKeyring(t, "store-1")
		h := startHarness(t, harnessOptions{DataDir: dataDir, StoreKeys: first})
		id := h.publish(t, newEvent(uniq("keyed")), newTenant(uniq("keyed"), ""))
		h.provisioned(t, id)
		h.shutdown()

		other := genKeyring(t, "store-1")
		cfg := loadConfig(t, "--dev", "--data-dir", dataDir, "--okta-dev-endpoint", h.emu.URL(),
			"--okta-token", h.isvToken, "--okta-isv-host", oktatest.DefaultISVHost,
			"--store-keys", other)
		err := start(cfg)
		wantNamed(t, err, other[strings.Index(other, ":")+1:])
		if !errors.Is(err, outbox.ErrWrongKey) {
			t.Errorf("start: %v, want outbox.ErrWrongKey", err)
		}
	})
}

// TestPlainSecretsPolicy: without development mode, plain-text secrets
// are refused as invalid input naming each field with rule "sealed";
// with allow-plain-secrets they are accepted. The production runtime
// here never runs its Okta start-up check (that would call the real
// Okta): the test runs its consumer and relay loops itself, and every
// signup it sends is refused before any Okta call.
func TestPlainSecretsPolicy(t *testing.T) {
	t.Parallel()
	ns, err := embedded.Start(embedded.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	sealKeys := genKeyring(t, "seal-1")
	prodConfig := func(extra ...string) *app.Config {
		return loadConfig(t, append([]string{
			"--data-dir", filepath.Join(t.TempDir(), "data"),
			"--nats-url", ns.URL(),
			"--okta-isv-host", "acme.oktapreview.com", "--okta-token", "00tok" + randHex(8),
			"--seal-keys", sealKeys, "--store-keys", genKeyring(t, "store-1"),
		}, extra...)...)
	}
	plainNew := newTenant("plainco", "")
	plainExisting := existingTenant("plainco.okta.com", "00plain"+randHex(8), "")

	t.Run("accepted when allowed", func(t *testing.T) {
		cfg := prodConfig("--allow-plain-secrets=true", "--create-streams=false")
		rt, err := app.Start(context.Background(), cfg, zerolog.Nop(), app.Options{NoHTTP: true})
		if err != nil {
			t.Fatal(err)
		}
		defer rt.Close()
		for _, s := range []*events.Signup{plainNew, plainExisting} {
			if verr := rt.Worker.CheckSecrets(s); verr != nil {
				t.Errorf("plain secrets refused although allowed: %v", verr)
			}
		}
	})

	t.Run("refused by default", func(t *testing.T) {
		cfg := prodConfig()
		if cfg.AllowPlainSecrets {
			t.Fatalf("allow-plain-secrets defaults to true")
		}
		ctx, cancel := context.WithCancel(context.Background())
		rt, err := app.Start(ctx, cfg, zerolog.Nop(), app.Options{NoHTTP: true})
		if err != nil {
			t.Fatal(err)
		}
		rt.Consumer.Handled()
		done := make(chan struct{}, 2)
		go func() { rt.Consumer.Run(ctx); done <- struct{}{} }()
		go func() { rt.Relay.Run(ctx); done <- struct{}{} }()
		defer func() {
			cancel()
			<-done
			<-done
			rt.Close()
		}()

		nc, err := nats.Connect(ns.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		results := newFeed[received]()
		cc, err := follow(ctx, js, rt.Streams.Results, results)
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Stop()

		raws := map[string][]byte{}
		newID, existingID := uniq("plain-new"), uniq("plain-existing")
		raws[newID] = plainNewSignup(t, newID)
		raws[existingID] = plainExistingSignup(t, existingID, "plainco.okta.com", "00plain"+randHex(8))
		for id, raw := range raws {
			if _, err := publisher.PublishRaw(ctx, js, rt.Subjects.Signup, id, raw); err != nil {
				t.Fatal(err)
			}
		}
		want := map[string]map[string]string{
			newID:      {events.PathAdminPassword: "sealed", events.PathRecoveryAnswer: "sealed"},
			existingID: {events.PathAPIToken: "sealed"},
		}
		for id, fields := range want {
			r := results.waitN(t, "result of "+id, 1, func(r received) bool { return r.SignupID == id })[0]
			mustValidate(t, r)
			var got events.ProvisioningFailed
			if err := json.Unmarshal(r.Event.Data, &got); err != nil {
				t.Fatal(err)
			}
			if got.Error.ErrorCode != events.CodeValidation || got.Step != events.StepValidate {
				t.Errorf("%s: %s at %s, want %s at validate", id, got.Error.ErrorCode, got.Step,
					events.CodeValidation)
			}
			checkCauses(t, got.Error.ErrorCauses, fields)
		}
		sealed := newTenant("sealedco", "")
		keys, _ := events.ParseKeyring(sealKeys)
		if err := sealed.SealSecrets(keys); err != nil {
			t.Fatal(err)
		}
		if verr := rt.Worker.CheckSecrets(sealed); verr != nil {
			t.Errorf("sealed secrets refused: %v", verr)
		}
	})
}

// plainNewSignup is a new-tenant signup with its password and recovery
// answer in plain text.
func plainNewSignup(t testing.TB, id string) []byte {
	t.Helper()
	ev := map[string]any{
		"specversion": "1.0", "id": id, "source": "https://signup.acme.example/",
		"type": events.TypeSignupRequested, "time": "2025-01-15T09:30:00Z",
		"data": map[string]any{
			"tenant": "new",
			"org": map[string]any{
				"subdomain": "plainco", "name": "Plain Co", "website": "https://plain.example",
				"admin": map[string]any{
					"profile": map[string]any{"firstName": "Ann", "lastName": "Kim",
						"email": "ann@plain.example", "login": "ann@plain.example"},
					"credentials": map[string]any{
						"password":          map[string]any{"value": "Violet5-Harbor"},
						"recovery_question": map[string]any{"question": "Why?", "answer": "Because"},
					},
				},
			},
			"app": map[string]any{"name": "servicenow_app2",
				"settings": map[string]any{"app": map[string]any{"loginURL": "https://sleetesting.com/sso/saml"}}},
		},
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
