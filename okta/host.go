package okta

import (
	"fmt"
	"net"
	"strings"
)

// maxShownHost bounds how much of a refused host an error repeats.
const maxShownHost = 80

// checkHost applies the host policy: host must be a bare, ASCII DNS name
// (no scheme, user info, port, path, IP literal, trailing dot or punycode
// label) under one of the allowed suffixes. It returns the host in lower
// case, or an error wrapping ErrHostNotAllowed that names the reason.
func (c *Client) checkHost(host string) (string, error) {
	reason := hostShapeReason(host)
	lower := strings.ToLower(host)
	if reason == "" && !c.underAllowedSuffix(lower) {
		reason = "not under an allowed Okta domain"
	}
	if reason != "" {
		return "", fmt.Errorf("check host %q: %s: %w", shownHost(host), reason, ErrHostNotAllowed)
	}
	return lower, nil
}

// underAllowedSuffix reports whether host ends with "."+suffix for an
// allowed suffix.
func (c *Client) underAllowedSuffix(host string) bool {
	for _, s := range c.suffixes {
		if strings.HasSuffix(host, "."+s) {
			return true
		}
	}
	return false
}

// hostShapeReason says what is wrong with host as a bare DNS host name,
// or "" when nothing is.
func hostShapeReason(host string) string {
	switch {
	case host == "":
		return "empty"
	case len(host) > 253:
		return "longer than 253 bytes"
	}
	for i := 0; i < len(host); i++ {
		if host[i] >= 0x80 {
			return "not ASCII"
		}
		if host[i] <= 0x20 || host[i] == 0x7f {
			return "contains a space or control character"
		}
	}
	switch {
	case strings.Contains(host, "://"):
		return "has a scheme"
	case strings.Contains(host, "@"):
		return "has user info"
	case strings.ContainsAny(host, "/\\?#"):
		return "has a path, query or fragment"
	case isIPLiteral(host):
		return "is an IP literal"
	case strings.Contains(host, ":"):
		return "has a port"
	case strings.HasSuffix(host, "."):
		return "has a trailing dot"
	}
	return checkDNSName(strings.ToLower(host))
}

// isIPLiteral reports whether host is an IPv4 or IPv6 address, bracketed
// or not, with or without a port.
func isIPLiteral(host string) bool {
	if strings.HasPrefix(host, "[") || net.ParseIP(host) != nil {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		return net.ParseIP(h) != nil
	}
	return false
}

// checkDNSName checks every label of a lower-case name: 1..63 letters,
// digits or hyphens, no hyphen at either end, no punycode ("xn--"). It
// returns the reason for refusal or "".
func checkDNSName(name string) string {
	if name == "" {
		return "empty"
	}
	for _, label := range strings.Split(name, ".") {
		if reason := checkLabel(label); reason != "" {
			return reason
		}
	}
	return ""
}

func checkLabel(label string) string {
	switch {
	case label == "":
		return "has an empty label"
	case len(label) > 63:
		return "has a label longer than 63 bytes"
	case label[0] == '-' || label[len(label)-1] == '-':
		return "has a label starting or ending with a hyphen"
	case strings.HasPrefix(label, "xn--"):
		return "has a punycode (internationalised) label"
	}
	for i := 0; i < len(label); i++ {
		ch := label[i]
		ok := ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-'
		if !ok {
			return fmt.Sprintf("has a label with the character %q", ch)
		}
	}
	return ""
}

// shownHost shortens a refused host for an error message.
func shownHost(host string) string {
	if len(host) > maxShownHost {
		return host[:maxShownHost] + "..."
	}
	return host
}
