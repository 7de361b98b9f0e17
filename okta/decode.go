package okta

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Bounds on what an error keeps from Okta's error body.
const (
	maxErrorText   = 2000
	maxErrorCauses = 50
	// minScrubbed is the shortest secret scrubbed from Okta's error text;
	// shorter ones would mangle ordinary words.
	minScrubbed = 4
)

// newError builds the *Error for a non-2xx answer. The body is decoded
// leniently, and only when parse is set; a body that is not Okta's error
// JSON leaves Summary as the status text.
func newError(cl *call, resp *http.Response, body []byte, parse bool, rh rateHeaders) *Error {
	e := &Error{
		HTTPStatus: resp.StatusCode,
		RequestID:  resp.Header.Get("X-Okta-Request-Id"),
		Method:     cl.method,
		Endpoint:   cl.endpoint,
	}
	if parse {
		decodeErrorBody(body, e)
	}
	if e.Summary == "" {
		e.Summary = statusText(resp.StatusCode)
	}
	scrubError(e, cl.secrets)
	if e.HTTPStatus == http.StatusTooManyRequests {
		e.ConcurrencyLimited = rh.concurrency()
		e.RetryAfter = rh.retryAfter()
	}
	return e
}

// decodeErrorBody fills e from Okta's error JSON, field by field, so one
// odd field (causes as strings, a numeric id) does not lose the others.
// It also reads the OAuth form (error, error_description).
func decodeErrorBody(body []byte, e *Error) {
	var raw map[string]json.RawMessage
	if json.Unmarshal(body, &raw) != nil {
		return
	}
	e.Code = jsonText(raw["errorCode"])
	e.Summary = jsonText(raw["errorSummary"])
	e.Link = jsonText(raw["errorLink"])
	e.ID = jsonText(raw["errorId"])
	e.Causes = decodeCauses(raw["errorCauses"])
	if e.Summary == "" {
		e.Summary = jsonText(raw["error_description"])
	}
	if e.Summary == "" {
		e.Summary = jsonText(raw["error"])
	}
}

// decodeCauses reads errorCauses given as objects or as plain strings.
func decodeCauses(msg json.RawMessage) []Cause {
	var items []json.RawMessage
	if json.Unmarshal(msg, &items) != nil {
		return nil
	}
	var causes []Cause
	for _, item := range items {
		if len(causes) == maxErrorCauses {
			break
		}
		text := jsonText(item)
		if text == "" {
			var obj map[string]json.RawMessage
			if json.Unmarshal(item, &obj) == nil {
				text = jsonText(obj["errorSummary"])
			}
		}
		if text != "" {
			causes = append(causes, Cause{Summary: text})
		}
	}
	return causes
}

// jsonText returns a JSON string's value, or "" for anything else.
func jsonText(msg json.RawMessage) string {
	var s string
	if len(msg) == 0 || json.Unmarshal(msg, &s) != nil {
		return ""
	}
	if len(s) > maxErrorText {
		s = s[:maxErrorText] + "..."
	}
	return s
}

// scrubError removes every secret the request carried from the text Okta
// sent back, in case an error echoes a field.
func scrubError(e *Error, secrets []string) {
	scrub := func(s string) string {
		for _, secret := range secrets {
			if len(secret) >= minScrubbed {
				s = strings.ReplaceAll(s, secret, "[redacted]")
			}
		}
		return s
	}
	e.Code = scrub(e.Code)
	e.Summary = scrub(e.Summary)
	e.Link = scrub(e.Link)
	e.ID = scrub(e.ID)
	e.RequestID = scrub(e.RequestID)
	for i := range e.Causes {
		e.Causes[i].Summary = scrub(e.Causes[i].Summary)
	}
}

func statusText(status int) string {
	if t := http.StatusText(status); t != "" {
		return t
	}
	return fmt.Sprintf("HTTP status %d", status)
}
