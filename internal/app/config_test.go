package app_test

import (
	"flag"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/embedded-occ/provisioner/events"
	"github.com/embedded-occ/provisioner/internal/app"
)

// loadWith loads a configuration from args and env alone.
func loadWith(args []string, env map[string]string) (*app.Config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, err := app.Load(fs, args, func(k string) string { return env[k] })
	return cfg, fs, err
}

func TestLoadBadValueNamesSetting(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"duration", []string{"--ack-wait", "soon"}, nil, "PROVISIONER_ACK_WAIT"},
		{"negative duration", []string{"--grace", "-5s"}, nil, "PROVISIONER_GRACE"},
		{"duration from env", nil, map[string]string{"PROVISIONER_OKTA_TIMEOUT": "30"},
			"PROVISIONER_OKTA_TIMEOUT"},
		{"int", []string{"--concurrency", "many"}, nil, "PROVISIONER_CONCURRENCY"},
		{"zero int", []string{"--max-deliver", "0"}, nil, "PROVISIONER_MAX_DELIVER"},
		{"int from env", nil, map[string]string{"PROVISIONER_RETRY_ATTEMPTS": "-1"},
			"PROVISIONER_RETRY_ATTEMPTS"},
		{"bool", []string{"--create-streams", "sometimes"}, nil, "PROVISIONER_CREATE_STREAMS"},
		{"bool from env", nil, map[string]string{"PROVISIONER_ALLOW_PLAIN_SECRETS": "yes please"},
			"PROVISIONER_ALLOW_PLAIN_SECRETS"},
		{"enum level", []string{"--log-level", "loud"}, nil, "PROVISIONER_LOG_LEVEL"},
		{"enum format", []string{"--log-format", "xml"}, nil, "PROVISIONER_LOG_FORMAT"},
		{"enum synchronous", []string{"--synchronous", "OFF"}, nil, "PROVISIONER_SYNCHRONOUS"},
		{"host:port", []string{"--http-addr", "localhost"}, nil, "PROVISIONER_HTTP_ADDR"},
		{"host:port from env", nil, map[string]string{"PROVISIONER_HTTP_ADDR": "8080"},
			"PROVISIONER_HTTP_ADDR"},
		{"empty name", []string{"--durable", " "}, nil, "PROVISIONER_DURABLE"},
		{"no suffix", []string{"--okta-allowed-suffixes", " , "}, nil,
			"PROVISIONER_OKTA_ALLOWED_SUFFIXES"},
		{"missing token file", []string{"--okta-token-file", "/nonexistent/token"}, nil,
			"PROVISIONER_OKTA_TOKEN_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := loadWith(tt.args, tt.env)
			if err == nil {
				t.Fatalf("Load(%q, %v) = nil error, want one naming %s", tt.args, tt.env, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %s", err, tt.want)
			}
		})
	}
}

func TestLoadEnvAndFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want int
	}{
		{"default", nil, nil, 64},
		{"env", nil, map[string]string{"PROVISIONER_CONCURRENCY": "7"}, 7},
		{"flag beats env", []string{"--concurrency", "9"},
			map[string]string{"PROVISIONER_CONCURRENCY": "7"}, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := loadWith(tt.args, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Concurrency; got != tt.want {
				t.Errorf("Concurrency = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestEverySettingDocumented checks that each flag names its environment
// variable in its usage, and that the README or docs/operations.md lists
// it in a table row with its environment variable and its default.
func TestEverySettingDocumented(t *testing.T) {
	_, fs, err := loadWith(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, doc := range []string{"../../README.md", "../../docs/operations.md"} {
		raw, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(line, "| `--") {
				rows = append(rows, line)
			}
		}
	}
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		env := "PROVISIONER_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if !strings.Contains(f.Usage, "(env "+env+")") {
			t.Errorf("--%s: usage %q does not name %s", f.Name, f.Usage, env)
		}
		found := false
		for _, row := range rows {
			if !strings.HasPrefix(row, "| `--"+f.Name+"` |") || !strings.Contains(row, "`"+env+"`") {
				continue
			}
			found = true
			if f.DefValue != "" && f.DefValue != "false" && !strings.Contains(row, "`"+f.DefValue+"`") {
				t.Errorf("the documented default of --%s is not `%s`: %s", f.Name, f.DefValue, row)
			}
		}
		if !found {
			t.Errorf("no settings table row for --%s and %s in README.md or docs/operations.md", f.Name, env)
		}
	})
	if n < 30 {
		t.Errorf("only %d flags; the settings went missing", n)
	}
}

// prodEnv is a complete production configuration.
func prodEnv(t testing.TB) map[string]string {
	t.Helper()
	return map[string]string{
		"PROVISIONER_NATS_URL":      "nats://127.0.0.1:4222",
		"PROVISIONER_OKTA_ISV_HOST": "acme.okta.com",
		"PROVISIONER_OKTA_TOKEN":    "prod-token-canary-9a8b7c",
		"PROVISIONER_SEAL_KEYS":     keyringSpec(t, "seal-1"),
		"PROVISIONER_STORE_KEYS":    keyringSpec(t, "store-1"),
	}
}

func keyringSpec(t testing.TB, kid string) string {
	t.Helper()
	spec, err := events.GenerateKeyringSpec(kid)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func TestValidateProduction(t *testing.T) {
	tests := []struct {
		name  string
		unset []string
		set   map[string]string
		args  []string
		want  []string // settings the error names; none means valid
	}{
		{name: "complete"},
		{name: "no nats url", unset: []string{"PROVISIONER_NATS_URL"}, want: []string{"PROVISIONER_NATS_URL"}},
		{name: "no isv host", unset: []string{"PROVISIONER_OKTA_ISV_HOST"},
			want: []string{"PROVISIONER_OKTA_ISV_HOST"}},
		{name: "no token", unset: []string{"PROVISIONER_OKTA_TOKEN"}, want: []string{"PROVISIONER_OKTA_TOKEN"}},
		{name: "no store keys", unset: []string{"PROVISIONER_STORE_KEYS"},
			want: []string{"PROVISIONER_STORE_KEYS"}},
		{name: "no seal keys", unset: []string{"PROVISIONER_SEAL_KEYS"},
			want: []string{"PROVISIONER_SEAL_KEYS"}},
		{name: "no seal keys, plain allowed", unset: []string{"PROVISIONER_SEAL_KEYS"},
			set: map[string]string{"PROVISIONER_ALLOW_PLAIN_SECRETS": "true"}},
		{name: "nothing at all", unset: []string{"PROVISIONER_NATS_URL", "PROVISIONER_OKTA_ISV_HOST",
			"PROVISIONER_OKTA_TOKEN", "PROVISIONER_SEAL_KEYS", "PROVISIONER_STORE_KEYS"},
			want: []string{"PROVISIONER_NATS_URL", "PROVISIONER_OKTA_ISV_HOST", "PROVISIONER_OKTA_TOKEN",
				"PROVISIONER_SEAL_KEYS", "PROVISIONER_STORE_KEYS"}},
		{name: "dev endpoint without --dev", args: []string{"--okta-dev-endpoint", "http://127.0.0.1:1"},
			want: []string{"PROVISIONER_OKTA_DEV_ENDPOINT"}},
		{name: "tls cert without key", args: []string{"--nats-tls-cert", "client.pem"},
			want: []string{"PROVISIONER_NATS_TLS_CERT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := prodEnv(t)
			for _, k := range tt.unset {
				delete(env, k)
			}
			for k, v := range tt.set {
				env[k] = v
			}
			cfg, _, err := loadWith(tt.args, env)
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want an error naming %v", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
			if strings.Contains(err.Error(), env["PROVISIONER_OKTA_TOKEN"]) && env["PROVISIONER_OKTA_TOKEN"] != "" {
				t.Errorf("error %q shows the token", err)
			}
		})
	}
}

func TestValidateBadKeyring(t *testing.T) {
	good := keyringSpec(t, "k1")
	_, material, _ := strings.Cut(good, ":")
	tests := []struct {
		name, setting, spec string
	}{
		{"seal short key", "PROVISIONER_SEAL_KEYS", "k1:" + material[:20]},
		{"seal no id", "PROVISIONER_SEAL_KEYS", material},
		{"store not base64", "PROVISIONER_STORE_KEYS", "k1:" + material + "!!"},
		{"store twice", "PROVISIONER_STORE_KEYS", good + "," + good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := prodEnv(t)
			env[tt.setting] = tt.spec
			cfg, _, err := loadWith(nil, env)
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.Validate()
			if err == nil {
				t.Fatalf("Validate = nil, want an error naming %s", tt.setting)
			}
			if !strings.Contains(err.Error(), tt.setting) {
				t.Errorf("error %q does not name %s", err, tt.setting)
			}
			if strings.Contains(err.Error(), material[:16]) {
				t.Errorf("error %q shows key material", err)
			}
		})
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	env := prodEnv(t)
	env["PROVISIONER_NATS_PASSWORD"] = "nats-password-canary-1f2e"
	env["PROVISIONER_NATS_TOKEN"] = "nats-token-canary-3d4c"
	cfg, _, err := loadWith(nil, env)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	out := strings.Join(cfg.Redacted(), "\n")
	for _, k := range []string{"PROVISIONER_OKTA_TOKEN", "PROVISIONER_NATS_PASSWORD", "PROVISIONER_NATS_TOKEN",
		"PROVISIONER_SEAL_KEYS", "PROVISIONER_STORE_KEYS"} {
		secret := env[k]
		if _, material, ok := strings.Cut(secret, ":"); ok && strings.HasSuffix(k, "_KEYS") {
			secret = material
		}
		if strings.Contains(out, secret) {
			t.Errorf("Redacted shows %s", k)
		}
		if !strings.Contains(out, k+"=[redacted]") {
			t.Errorf("Redacted does not list %s as redacted", k)
		}
	}
	if !strings.Contains(out, "PROVISIONER_OKTA_ISV_HOST=acme.okta.com") {
		t.Errorf("Redacted hides a plain setting:\n%s", out)
	}
}
