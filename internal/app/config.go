// Package app wires the provisioner's parts into the commands of
// cmd/provisioner: the daemon, the demo, publishing and dead-letter
// operations. Every setting has an environment variable, a flag and a
// default, all declared once in settings.go.
package app

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is the effective configuration.
type Config struct {
	Dev bool

	DataDir string

	NATSURL         string
	NATSCredsFile   string
	NATSNKeyFile    string
	NATSToken       string
	NATSUser        string
	NATSPassword    string
	NATSTLSCA       string
	NATSTLSCert     string
	NATSTLSKey      string
	EmbeddedPort    int
	CreateStreams   bool
	SignupSubject   string
	ProvisionedSubj string
	FailedSubject   string
	DeadSubject     string
	Durable         string

	OktaISVHost     string
	OktaToken       string
	OktaSuffixes    []string
	OktaDevEndpoint string
	OktaTimeout     time.Duration
	RetryAttempts   int
	RetryMaxHold    time.Duration
	ISVRecheck      time.Duration

	SealKeys          string
	StoreKeys         string
	AllowPlainSecrets bool

	HTTPAddr        string
	Concurrency     int
	AckWait         time.Duration
	MaxDeliver      int
	MaxEventBytes   int
	Synchronous     string
	OutboxRetention time.Duration
	Grace           time.Duration

	LogLevel  string
	LogFormat string
}

// setting is one configuration knob.
type setting struct {
	name   string // flag name; the env var is PROVISIONER_ + upper snake
	def    string
	usage  string
	secret bool
	// set parses a value into c; nil error means valid.
	set func(c *Config, v string) error
	// get shows the effective value.
	get func(c *Config) string
}

// Env is the environment variable of a setting.
func envName(flagName string) string {
	return "PROVISIONER_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Load builds the configuration from defaults, then the environment, then
// flags in args, and validates it. Errors name the setting. dev selects
// development defaults.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (*Config, error) {
	c := &Config{}
	flagged := map[string]*string{}
	for _, s := range settings {
		flagged[s.name] = fs.String(s.name, s.def, s.usage+" (env "+envName(s.name)+")")
	}
	dev := fs.Bool("dev", false,
		"development mode: embedded NATS, in-process Okta emulator, generated keys (env PROVISIONER_DEV)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	// A flag wins over the environment, which wins over the default. The
	// environment is applied after parsing so that -h never prints a
	// secret taken from it as a default.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	vals := map[string]string{}
	for _, s := range settings {
		vals[s.name] = *flagged[s.name]
		if v := getenv(envName(s.name)); v != "" && !set[s.name] {
			vals[s.name] = v
		}
	}
	if !set["dev"] {
		v := getenv("PROVISIONER_DEV")
		*dev = v == "1" || v == "true"
	}
	c.Dev = *dev
	var errs []error
	for _, s := range settings {
		if err := s.set(c, vals[s.name]); err != nil {
			errs = append(errs, fmt.Errorf("setting %s (--%s): %w", envName(s.name), s.name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// Redacted lists the effective settings as name=value lines with secrets
// hidden, sorted by name.
func (c *Config) Redacted() []string {
	var out []string
	for _, s := range settings {
		v := s.get(c)
		if s.secret && v != "" {
			v = "[redacted]"
		}
		out = append(out, fmt.Sprintf("%s=%s", envName(s.name), v))
	}
	out = append(out, fmt.Sprintf("PROVISIONER_DEV=%t", c.Dev))
	sort.Strings(out)
	return out
}

func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

func parseBool(v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("want true or false, got %q", v)
	}
	return b, nil
}

func parsePositive(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a positive integer, got %q", v)
	}
	return n, nil
}

func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want a positive duration such as 30s, got %q", v)
	}
	return d, nil
}
