package events

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// expectedOutcome is one entry of examples/expected.json.
type expectedOutcome struct {
	Result     string `json:"result"`
	Step       string `json:"step"`
	ErrorCode  string `json:"errorCode"`
	HTTPStatus int    `json:"httpStatus"`
}

// TestExamples checks that every examples/*.json signup decodes, passes
// local validation (each must reach Okta) and its schema, has a unique id
// and an expected outcome, and holds only secrets of 6 or more characters
// (the seed's 4-character answer "Okta" excepted).
func TestExamples(t *testing.T) {
	raw, err := os.ReadFile("../examples/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var expected map[string]expectedOutcome
	if err := json.Unmarshal(raw, &expected); err != nil {
		t.Fatalf("expected.json: %v", err)
	}
	files, err := filepath.Glob("../examples/*.json")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	checked := 0
	for _, f := range files {
		name := filepath.Base(f)
		if name == "expected.json" {
			continue
		}
		checked++
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			ev, s, err := DecodeSignup(b, 0)
			if err != nil {
				t.Fatalf("DecodeSignup: %v", err)
			}
			if err := s.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if err := ValidateEvent(b); err != nil {
				t.Fatalf("ValidateEvent: %v", err)
			}
			if ev.Source != "https://signup.acme.example/" {
				t.Errorf("source = %q", ev.Source)
			}
			if other, dup := ids[ev.ID]; dup {
				t.Errorf("id %q also used by %s", ev.ID, other)
			}
			ids[ev.ID] = name
			for _, sec := range s.Secrets() {
				if len(sec.raw) < 6 && sec.raw != "Okta" {
					t.Errorf("a secret is shorter than 6 characters")
				}
			}
			want, ok := expected[name]
			if !ok {
				t.Fatalf("no entry in expected.json")
			}
			switch want.Result {
			case "provisioned":
			case "failed":
				if !strings.HasPrefix(want.ErrorCode, "E") || want.HTTPStatus == 0 || want.Step == "" {
					t.Errorf("expected outcome incomplete: %+v", want)
				}
			default:
				t.Errorf("expected result %q", want.Result)
			}
		})
	}
	if checked != len(expected) {
		t.Errorf("%d example files, %d expected outcomes", checked, len(expected))
	}
}
