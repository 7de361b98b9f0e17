package oktatest

import "testing"

func TestPasswordOK(t *testing.T) {
	const login, email = "joe.smith-jr+ops@mycompany.com", "j.doe@example.com"
	tests := []struct {
		pw     string
		symbol bool
		want   bool
	}{
		{"L0v30ktA!", false, true},
		{"L0v30ktAx", false, true},
		{"L0v30ktAx", true, false},
		{"L0v30kt!", false, true},
		{"L0v30k!", false, false},   // 7 characters
		{"l0v30kta!", false, false}, // no upper case
		{"L0V30KTA!", false, false}, // no lower case
		{"LoveOktA!", false, false}, // no digit
		{"xSMITH9abc", false, false},
		{"xJoe9abcQ", false, false},
		{"xOps9abcQ", false, false},
		{"xJr9abcQz", false, true}, // "jr" is under 3 characters
		{"xDOE9abcQ", false, false},
		{"xJ.doe9aQ", false, false},
		{"Pässwört9", false, true},
	}
	for _, tt := range tests {
		if got := passwordOK(tt.pw, tt.symbol, login, email); got != tt.want {
			t.Errorf("passwordOK(%q, symbol %v) = %v, want %v", tt.pw, tt.symbol, got, tt.want)
		}
	}
}

func TestRecoveryQuestionError(t *testing.T) {
	tests := []struct {
		question, answer string
		want             string
	}{
		{"", "", ""},
		{"Q?", "A", ""},
		{"", "A", "admin.customSecurityQuestion"},
		{"  ", "A", "admin.customSecurityQuestion"},
		{"Q?", "", "admin.securityQuestion"},
		{"Q?", " ", "admin.securityQuestion"},
	}
	for _, tt := range tests {
		got := ""
		if f := recoveryQuestionError(tt.question, tt.answer); f != nil {
			got = f.field
		}
		if got != tt.want {
			t.Errorf("recoveryQuestionError(%q, %q) = %q, want %q", tt.question, tt.answer, got, tt.want)
		}
	}
}
