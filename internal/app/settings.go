package app

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// settings declares every setting once: flag, environment variable (see
// envName), default, meaning, and how it is parsed and validated.
var settings = []setting{
	str("data-dir", "./provisioner-data", "directory of the SQLite file, the embedded JetStream store and dev keys",
		func(c *Config) *string { return &c.DataDir }, nonEmpty),

	str("nats-url", "", "NATS server URL; empty starts an embedded server (dev and demo only)",
		func(c *Config) *string { return &c.NATSURL }, nil),
	str("nats-creds", "", "NATS credentials file (JWT and NKey seed)",
		func(c *Config) *string { return &c.NATSCredsFile }, nil),
	str("nats-nkey", "", "NATS NKey seed file",
		func(c *Config) *string { return &c.NATSNKeyFile }, nil),
	secret("nats-token", "", "NATS authentication token", func(c *Config) *string { return &c.NATSToken }),
	str("nats-user", "", "NATS user name", func(c *Config) *string { return &c.NATSUser }, nil),
	secret("nats-password", "", "NATS password", func(c *Config) *string { return &c.NATSPassword }),
	str("nats-tls-ca", "", "CA file to verify the NATS server", func(c *Config) *string { return &c.NATSTLSCA }, nil),
	str("nats-tls-cert", "", "client certificate file for NATS mutual TLS",
		func(c *Config) *string { return &c.NATSTLSCert }, nil),
	str("nats-tls-key", "", "client key file for NATS mutual TLS",
		func(c *Config) *string { return &c.NATSTLSKey }, nil),
	integer("embedded-nats-port", "14222", "loopback port of the embedded NATS server in --dev",
		func(c *Config) *int { return &c.EmbeddedPort }),
	boolean("create-streams", "true", "create or update the JetStream streams at start-up",
		func(c *Config) *bool { return &c.CreateStreams }),
	str("signup-subject", "signup.requested", "subject of signup requests",
		func(c *Config) *string { return &c.SignupSubject }, nonEmpty),
	str("provisioned-subject", "tenant.provisioned", "subject of TenantProvisioned",
		func(c *Config) *string { return &c.ProvisionedSubj }, nonEmpty),
	str("failed-subject", "tenant.provisioning_failed", "subject of ProvisioningFailed",
		func(c *Config) *string { return &c.FailedSubject }, nonEmpty),
	str("dead-subject", "signup.dead", "subject of dead letters",
		func(c *Config) *string { return &c.DeadSubject }, nonEmpty),
	str("durable", "provisioner", "name of the durable JetStream consumer",
		func(c *Config) *string { return &c.Durable }, nonEmpty),

	str("okta-isv-host", "", "the ISV's Okta org host, e.g. acme.oktapreview.com (required without --dev)",
		func(c *Config) *string { return &c.OktaISVHost }, nil),
	{
		name: "okta-token-file", def: "", secret: false,
		usage: "file holding the ISV's Okta API token (or set PROVISIONER_OKTA_TOKEN)",
		set: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			t, err := readSecretFile(v)
			if err != nil {
				return fmt.Errorf("read token file: %w", errors.Unwrap(err))
			}
			c.OktaToken = t
			return nil
		},
		get: func(c *Config) string { return "" },
	},
	secret("okta-token", "", "the ISV's Okta API token (prefer --okta-token-file)",
		func(c *Config) *string { return &c.OktaToken }),
	{
		name: "okta-allowed-suffixes", def: "okta.com,oktapreview.com,okta-emea.com",
		usage: "comma-separated domain suffixes Okta hosts must end with",
		set: func(c *Config, v string) error {
			c.OktaSuffixes = nil
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(strings.ToLower(s)); s != "" {
					c.OktaSuffixes = append(c.OktaSuffixes, s)
				}
			}
			if len(c.OktaSuffixes) == 0 {
				return errors.New("want at least one suffix")
			}
			return nil
		},
		get: func(c *Config) string { return strings.Join(c.OktaSuffixes, ",") },
	},
	str("okta-dev-endpoint", "", "send every Okta request to this emulator URL (development only)",
		func(c *Config) *string { return &c.OktaDevEndpoint }, nil),
	duration("okta-timeout", "30s", "timeout of one Okta HTTP request", func(c *Config) *time.Duration { return &c.OktaTimeout }),
	integer("retry-attempts", "6", "attempts of one Okta call before a signup is dead-lettered",
		func(c *Config) *int { return &c.RetryAttempts }),
	duration("retry-max-hold", "20s", "longest wait held in place; longer waits become delayed redeliveries",
		func(c *Config) *time.Duration { return &c.RetryMaxHold }),
	duration("isv-recheck", "30s", "how often a rejected ISV token is checked again; signups wait meanwhile",
		func(c *Config) *time.Duration { return &c.ISVRecheck }),

	secret("seal-keys", "", "keyring opening sealed signup secrets: kid:base64key[,kid:base64key...] (first seals)",
		func(c *Config) *string { return &c.SealKeys }),
	secret("store-keys", "", "keyring sealing tokens in the SQLite file, same format as seal-keys",
		func(c *Config) *string { return &c.StoreKeys }),
	boolean("allow-plain-secrets", "false", "accept plain-text secrets in signup events",
		func(c *Config) *bool { return &c.AllowPlainSecrets }),

	{
		name: "http-addr", def: "127.0.0.1:8080", usage: "address of /healthz, /readyz, /metrics and /v1/signups",
		set: func(c *Config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return fmt.Errorf("want host:port, got %q", v)
			}
			c.HTTPAddr = v
			return nil
		},
		get: func(c *Config) string { return c.HTTPAddr },
	},
	integer("concurrency", "64", "signups worked on at once", func(c *Config) *int { return &c.Concurrency }),
	duration("ack-wait", "30s", "JetStream ack wait; in-progress is sent every third of it",
		func(c *Config) *time.Duration { return &c.AckWait }),
	integer("max-deliver", "20", "deliveries of one signup before it is dead-lettered",
		func(c *Config) *int { return &c.MaxDeliver }),
	integer("max-event-bytes", "65536", "largest signup event accepted; larger ones are dead-lettered unparsed",
		func(c *Config) *int { return &c.MaxEventBytes }),
	{
		name: "synchronous", def: "FULL", usage: "SQLite synchronous: FULL (durable commits) or NORMAL",
		set: func(c *Config, v string) error {
			v = strings.ToUpper(v)
			if v != "FULL" && v != "NORMAL" {
				return fmt.Errorf("want FULL or NORMAL, got %q", v)
			}
			c.Synchronous = v
			return nil
		},
		get: func(c *Config) string { return c.Synchronous },
	},
	duration("outbox-retention", "24h", "how long published outbox rows are kept",
		func(c *Config) *time.Duration { return &c.OutboxRetention }),
	duration("grace", "20s", "how long in-flight signups may finish after SIGTERM",
		func(c *Config) *time.Duration { return &c.Grace }),
	oneOf("log-level", "info", "log level", func(c *Config) *string { return &c.LogLevel },
		"trace", "debug", "info", "warn", "error"),
	oneOf("log-format", "auto", "log format: json, console, or auto (console on a terminal)",
		func(c *Config) *string { return &c.LogFormat }, "auto", "json", "console"),
}

func nonEmpty(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("must not be empty")
	}
	return nil
}

func str(name, def, usage string, field func(*Config) *string, check func(string) error) setting {
	return setting{name: name, def: def, usage: usage,
		set: func(c *Config, v string) error {
			if check != nil {
				if err := check(v); err != nil {
					return err
				}
			}
			*field(c) = v
			return nil
		},
		get: func(c *Config) string { return *field(c) },
	}
}

func secret(name, def, usage string, field func(*Config) *string) setting {
	s := str(name, def, usage, field, nil)
	s.secret = true
	s.set = func(c *Config, v string) error {
		if v != "" || *field(c) == "" {
			*field(c) = strings.TrimRight(v, "\r\n")
		}
		return nil
	}
	return s
}

func oneOf(name, def, usage string, field func(*Config) *string, allowed ...string) setting {
	return str(name, def, usage+" ("+strings.Join(allowed, ", ")+")", field, func(v string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return fmt.Errorf("want one of %s, got %q", strings.Join(allowed, ", "), v)
	})
}

func integer(name, def, usage string, field func(*Config) *int) setting {
	return setting{name: name, def: def, usage: usage,
		set: func(c *Config, v string) (err error) {
			*field(c), err = parsePositive(v)
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(*field(c)) },
	}
}

func boolean(name, def, usage string, field func(*Config) *bool) setting {
	return setting{name: name, def: def, usage: usage,
		set: func(c *Config, v string) (err error) {
			*field(c), err = parseBool(v)
			return err
		},
		get: func(c *Config) string { return strconv.FormatBool(*field(c)) },
	}
}

func duration(name, def, usage string, field func(*Config) *time.Duration) setting {
	return setting{name: name, def: def, usage: usage,
		set: func(c *Config, v string) (err error) {
			*field(c), err = parseDuration(v)
			return err
		},
		get: func(c *Config) string { return field(c).String() },
	}
}
