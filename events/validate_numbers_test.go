package events

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestValidateRefusesNumbersOktaCannotRead(t *testing.T) {
	s := &Signup{}
	if err := json.Unmarshal([]byte(`{"tenant":"existing"}`), s); err != nil {
		t.Fatal(err)
	}
	s.App.Settings.App = map[string]any{
		"ok":     json.Number("42"),
		"huge":   json.Number("1e999999"),
		"nested": map[string]any{"list": []any{json.Number("-1e400")}},
	}
	var verr *ValidationError
	if !errors.As(s.Validate(), &verr) {
		t.Fatal("Validate accepted unusable numbers")
	}
	want := map[string]bool{"app.settings.app.huge": true, "app.settings.app.nested.list[0]": true}
	for _, p := range verr.Problems {
		if p.Rule == RuleType {
			if !want[p.Field] {
				t.Errorf("unexpected number problem at %s", p.Field)
			}
			delete(want, p.Field)
		}
	}
	for f := range want {
		t.Errorf("no problem reported for %s", f)
	}
}
