package app_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/embedded-occ/provisioner/events"
)

const asyncAPIPath = "../../docs/asyncapi.yaml"

// yamlScalars reads the block mappings of a YAML file into a map from
// slash-joined key paths to scalar values ("" for a mapping). It knows
// only what docs/asyncapi.yaml uses: nested "key: value" lines, block
// scalars (| and >) and comments; the module has no YAML library.
func yamlScalars(t testing.TB, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	type level struct {
		indent int
		key    string
	}
	var stack []level
	blockIndent := -1 // inside a block scalar deeper than this
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		indent := len(line) - len(strings.TrimLeft(line, " "))
		if blockIndent >= 0 {
			if trimmed == "" || indent > blockIndent {
				continue
			}
			blockIndent = -1
		}
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.Contains(line, "\t") || strings.HasPrefix(trimmed, "- ") {
			t.Fatalf("%s:%d: tabs and lists are beyond this reader: %q", path, n, line)
		}
		key, value, ok := strings.Cut(trimmed, ":")
		if !ok {
			t.Fatalf("%s:%d: not a key: value line: %q", path, n, line)
		}
		for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		stack = append(stack, level{indent, key})
		keys := make([]string, len(stack))
		for i, l := range stack {
			keys[i] = l.key
		}
		value = strings.TrimSpace(value)
		if value == "|" || value == ">" {
			blockIndent = indent
			value = "(text)"
		}
		if len(value) >= 2 && (value[0] == '\'' || value[0] == '"') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		p := strings.Join(keys, "/")
		if _, dup := out[p]; dup {
			t.Fatalf("%s:%d: key %s twice", path, n, p)
		}
		out[p] = value
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAsyncAPIDocument(t *testing.T) {
	doc := yamlScalars(t, asyncAPIPath)
	if got, want := doc["asyncapi"], "3.0.0"; got != want {
		t.Errorf("asyncapi = %q, want %q", got, want)
	}

	// Every $ref resolves: local ones to a key of the document, relative
	// ones to a file.
	schemaFiles := map[string]bool{}
	for p, v := range doc {
		if !strings.HasSuffix(p, "/$ref") {
			continue
		}
		if local, ok := strings.CutPrefix(v, "#/"); ok {
			if _, found := doc[local]; !found {
				t.Errorf("%s: $ref %s names nothing in the document", p, v)
			}
			continue
		}
		file := filepath.Join(filepath.Dir(asyncAPIPath), v)
		if _, err := os.Stat(file); err != nil {
			t.Errorf("%s: $ref %s: %v", p, v, err)
		}
		schemaFiles[filepath.Base(v)] = true
	}

	// Every schema in events/schemas is referenced.
	files, err := filepath.Glob("../../events/schemas/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no schemas in events/schemas: %v", err)
	}
	for _, f := range files {
		if !schemaFiles[filepath.Base(f)] {
			t.Errorf("docs/asyncapi.yaml does not reference %s", filepath.Base(f))
		}
	}

	// Each default subject is a channel whose message's payload is the
	// schema for that subject and event type.
	subj := events.DefaultSubjects()
	want := map[string]string{
		subj.Signup:      events.TypeSignupRequested,
		subj.Provisioned: events.TypeTenantProvisioned,
		subj.Failed:      events.TypeProvisioningFailed,
		subj.Dead:        events.TypeSignupDead,
	}
	seen := map[string]bool{}
	for p, address := range doc {
		ch, ok := strings.CutPrefix(p, "channels/")
		if !ok || !strings.HasSuffix(ch, "/address") {
			continue
		}
		ch = strings.TrimSuffix(ch, "/address")
		typ, ok := want[address]
		if !ok {
			t.Errorf("channel %s: address %q is not a product subject", ch, address)
			continue
		}
		seen[address] = true
		for _, schema := range channelSchemas(t, doc, ch) {
			checkSchema(t, schema, address, typ)
		}
	}
	var missing []string
	for s := range want {
		if !seen[s] {
			missing = append(missing, s)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no channel for subjects %v", missing)
	}

	// Both headers are described.
	for _, h := range []string{"Nats-Msg-Id", "Provisioner-Replay"} {
		if _, ok := doc["components/schemas/SignupHeaders/properties/"+h+"/description"]; !ok {
			t.Errorf("signup header %s is not described", h)
		}
	}
	if _, ok := doc["components/schemas/ResultHeaders/properties/Nats-Msg-Id/description"]; !ok {
		t.Error("result header Nats-Msg-Id is not described")
	}
}

// channelSchemas follows a channel's message references to their payload
// schema files.
func channelSchemas(t testing.TB, doc map[string]string, ch string) []string {
	t.Helper()
	var out []string
	prefix := "channels/" + ch + "/messages/"
	for p, ref := range doc {
		if !strings.HasPrefix(p, prefix) || !strings.HasSuffix(p, "/$ref") {
			continue
		}
		msg := strings.TrimPrefix(ref, "#/")
		schema := doc[msg+"/payload/schema/$ref"]
		if schema == "" {
			t.Errorf("%s: message %s has no payload schema $ref", p, ref)
			continue
		}
		out = append(out, filepath.Join(filepath.Dir(asyncAPIPath), schema))
	}
	if len(out) == 0 {
		t.Errorf("channel %s has no message", ch)
	}
	return out
}

// checkSchema checks that a JSON Schema file is the one for subject and
// event type.
func checkSchema(t testing.TB, path, subject, typ string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Title      string `json:"title"`
		Properties struct {
			Type struct {
				Const string `json:"const"`
			} `json:"type"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if s.Title != subject || s.Properties.Type.Const != typ {
		t.Errorf("%s: title %q, type %q; want %q, %q", path, s.Title, s.Properties.Type.Const, subject, typ)
	}
}
