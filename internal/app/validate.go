package app

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/embedded-occ/provisioner/events"
)

// Development defaults for the ISV side of the emulator.
const (
	devISVHost = "acme.oktapreview.com"
	devKeyFile = "dev-keys.json"
)

// Validate checks the settings that depend on each other and on the mode,
// filling development defaults in --dev. Errors name the setting.
func (c *Config) Validate() error {
	var errs []error
	need := func(ok bool, env, why string) {
		if !ok {
			errs = append(errs, fmt.Errorf("setting %s: %s", env, why))
		}
	}
	if c.Dev {
		if c.OktaDevEndpoint == "" && c.OktaISVHost == "" {
			c.OktaISVHost = devISVHost
		}
		if c.OktaToken == "" && c.OktaDevEndpoint == "" {
			c.OktaToken = "dev-isv-" + randomHex(16)
		}
		if c.SealKeys == "" || c.StoreKeys == "" {
			seal, store, err := devKeys(c.DataDir)
			if err != nil {
				return err
			}
			if c.SealKeys == "" {
				c.SealKeys = seal
			}
			if c.StoreKeys == "" {
				c.StoreKeys = store
			}
		}
		c.AllowPlainSecrets = true
	} else {
		need(c.NATSURL != "", "PROVISIONER_NATS_URL", "required (the embedded server is for --dev only)")
		need(c.OktaDevEndpoint == "", "PROVISIONER_OKTA_DEV_ENDPOINT",
			"the emulator endpoint is for --dev only; production talks only to Okta over https")
		need(c.SealKeys != "" || c.AllowPlainSecrets, "PROVISIONER_SEAL_KEYS",
			"required unless PROVISIONER_ALLOW_PLAIN_SECRETS=true")
		need(c.StoreKeys != "", "PROVISIONER_STORE_KEYS", "required: org tokens are stored sealed")
	}
	need(c.OktaISVHost != "", "PROVISIONER_OKTA_ISV_HOST", "required, e.g. acme.oktapreview.com")
	need(c.OktaToken != "", "PROVISIONER_OKTA_TOKEN", "required (or PROVISIONER_OKTA_TOKEN_FILE)")
	need((c.NATSTLSCert == "") == (c.NATSTLSKey == ""), "PROVISIONER_NATS_TLS_CERT",
		"a client certificate needs PROVISIONER_NATS_TLS_KEY too, and the reverse")
	if _, _, err := c.keyrings(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c *Config) subjects() events.Subjects {
	return events.Subjects{Signup: c.SignupSubject, Provisioned: c.ProvisionedSubj,
		Failed: c.FailedSubject, Dead: c.DeadSubject}
}

// keyrings parses the sealing and storage keyrings.
func (c *Config) keyrings() (seal, store *events.Keyring, err error) {
	if c.SealKeys != "" {
		if seal, err = events.ParseKeyring(c.SealKeys); err != nil {
			return nil, nil, fmt.Errorf("setting PROVISIONER_SEAL_KEYS: %w", err)
		}
	} else {
		// Plain text only: a throwaway key seals dead letters.
		spec, _ := events.GenerateKeyringSpec("ephemeral")
		seal, _ = events.ParseKeyring(spec)
	}
	if c.StoreKeys != "" {
		if store, err = events.ParseKeyring(c.StoreKeys); err != nil {
			return nil, nil, fmt.Errorf("setting PROVISIONER_STORE_KEYS: %w", err)
		}
	}
	return seal, store, nil
}

// devKeyring is the development key file in the data directory.
type devKeyring struct {
	Seal  string `json:"seal"`
	Store string `json:"store"`
}

// devKeys reads the development keys from the data directory, creating
// them (owner-only) on first use, so that `provisioner publish` in another
// terminal seals with the key the dev daemon opens with.
func devKeys(dir string) (seal, store string, err error) {
	path := filepath.Join(dir, devKeyFile)
	if b, err := os.ReadFile(path); err == nil {
		var k devKeyring
		if err := json.Unmarshal(b, &k); err != nil || k.Seal == "" || k.Store == "" {
			return "", "", fmt.Errorf("development keys %s are damaged; remove the file", path)
		}
		return k.Seal, k.Store, nil
	}
	var k devKeyring
	if k.Seal, err = events.GenerateKeyringSpec("dev-seal-1"); err != nil {
		return "", "", err
	}
	if k.Store, err = events.GenerateKeyringSpec("dev-store-1"); err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("create data directory: %w", err)
	}
	b, _ := json.Marshal(k)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", "", fmt.Errorf("write development keys: %w", err)
	}
	return k.Seal, k.Store, nil
}

// natsOptions builds the NATS connection options from the settings.
func (c *Config) natsOptions(log zerolog.Logger) ([]nats.Option, error) {
	opts := []nats.Option{
		nats.Name("okta-provisioner"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.RetryOnFailedConnect(true),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn().Err(err).Msg("disconnected from NATS; reconnecting")
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info().Str("nats_url", nc.ConnectedUrlRedacted()).Msg("reconnected to NATS")
		}),
	}
	if c.NATSCredsFile != "" {
		opts = append(opts, nats.UserCredentials(c.NATSCredsFile))
	}
	if c.NATSNKeyFile != "" {
		o, err := nats.NkeyOptionFromSeed(c.NATSNKeyFile)
		if err != nil {
			return nil, fmt.Errorf("setting PROVISIONER_NATS_NKEY: %w", err)
		}
		opts = append(opts, o)
	}
	if c.NATSToken != "" {
		opts = append(opts, nats.Token(c.NATSToken))
	}
	if c.NATSUser != "" {
		opts = append(opts, nats.UserInfo(c.NATSUser, c.NATSPassword))
	}
	if c.NATSTLSCA != "" || c.NATSTLSCert != "" {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if c.NATSTLSCA != "" {
			pem, err := os.ReadFile(c.NATSTLSCA)
			if err != nil {
				return nil, fmt.Errorf("setting PROVISIONER_NATS_TLS_CA: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, errors.New("setting PROVISIONER_NATS_TLS_CA: no PEM certificate in the file")
			}
			tc.RootCAs = pool
		}
		if c.NATSTLSCert != "" {
			cert, err := tls.LoadX509KeyPair(c.NATSTLSCert, c.NATSTLSKey)
			if err != nil {
				return nil, fmt.Errorf("setting PROVISIONER_NATS_TLS_CERT: %w", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		opts = append(opts, nats.Secure(tc))
	}
	return opts, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Connect connects to the configured NATS server for the operator
// commands; with no URL set it uses the development daemon's embedded
// server on the loopback port.
func (c *Config) Connect(log zerolog.Logger) (*nats.Conn, jetstream.JetStream, error) {
	url := c.NATSURL
	if url == "" {
		url = fmt.Sprintf("nats://127.0.0.1:%d", c.EmbeddedPort)
	}
	opts, err := c.natsOptions(log)
	if err != nil {
		return nil, nil, err
	}
	opts = append(opts, nats.RetryOnFailedConnect(false), nats.MaxReconnects(3))
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to NATS at %s (PROVISIONER_NATS_URL; is `provisioner run --dev` running?): %w",
			url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

// SealingKeyring returns the keyring producers seal with: the configured
// one, else the development keys in the data directory if a dev daemon
// made them. ok is false when there is neither.
func (c *Config) SealingKeyring() (k *events.Keyring, source string, err error) {
	if c.SealKeys != "" {
		k, err = events.ParseKeyring(c.SealKeys)
		if err != nil {
			return nil, "", fmt.Errorf("setting PROVISIONER_SEAL_KEYS: %w", err)
		}
		return k, "PROVISIONER_SEAL_KEYS", nil
	}
	path := filepath.Join(c.DataDir, devKeyFile)
	if _, err := os.Stat(path); err != nil {
		return nil, "", nil
	}
	seal, _, err := devKeys(c.DataDir)
	if err != nil {
		return nil, "", err
	}
	k, err = events.ParseKeyring(seal)
	return k, "development keys in " + path, err
}
