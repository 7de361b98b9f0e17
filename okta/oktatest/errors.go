package oktatest

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Okta error codes the emulator answers with.
const (
	CodeValidation     = "E0000001"
	CodeMalformedBody  = "E0000003"
	CodeInvalidSession = "E0000005"
	CodeForbidden      = "E0000006"
	CodeNotFound       = "E0000007"
	CodePathNotFound   = "E0000008"
	CodeInternal       = "E0000009"
	CodeReadOnly       = "E0000010"
	CodeInvalidToken   = "E0000011"
	CodeBadMethod      = "E0000022"
	CodeRateLimited    = "E0000047"
	CodeSubdomainTaken = "E0000088"
	CodeSubdomainBusy  = "E0000171"
	CodeSubdomainLong  = "E0000172"
)

// codeInfo is the HTTP status and fixed summary of a code. An empty
// summary means the summary depends on the request.
var codeInfo = map[string]struct {
	status  int
	summary string
}{
	CodeValidation:     {400, ""},
	CodeMalformedBody:  {400, "The request body was not well-formed."},
	CodeInvalidSession: {403, "Invalid session"},
	CodeForbidden:      {403, "You do not have permission to perform the requested action"},
	CodeNotFound:       {404, "Not found: Resource not found"},
	CodePathNotFound:   {404, "The requested path was not found"},
	CodeInternal:       {500, "Internal Server Error"},
	CodeReadOnly:       {503, "Service is in read only mode"},
	CodeInvalidToken:   {401, "Invalid token provided"},
	CodeBadMethod:      {405, "The endpoint does not support the provided HTTP method"},
	CodeRateLimited:    {429, "API call exceeded rate limit due to too many requests."},
	CodeSubdomainTaken: {400, "Api validation failed: subDomain"},
	CodeSubdomainBusy: {400, "Org Creator API subdomain validation exception: " +
		"The value is already in use by a different request."},
	CodeSubdomainLong: {400, "Org Creator API subdomain validation exception: " +
		"The value exceeds the max length."},
	"E0000004": {401, "Authentication failed"},
	"E0000015": {401, "You do not have permission to access the feature you are requesting"},
	"E0000040": {400, "Application label must not be the same as an existing application label."},
	"E0000065": {500, "Internal error processing app metadata."},
	"E0000100": {503, "Search is temporarily unavailable"},
}

// defaultCodeFor is the code a fault with only a status answers with.
var defaultCodeFor = map[int]string{
	400: CodeValidation,
	401: CodeInvalidToken,
	403: CodeForbidden,
	404: CodeNotFound,
	405: CodeBadMethod,
	429: CodeRateLimited,
	500: CodeInternal,
	503: CodeReadOnly,
}

// reply is a response built by a handler before it is written, so that a
// fault can replace it after the side effect happened.
type reply struct {
	status      int
	contentType string
	body        []byte
	code        string // Okta errorCode when the reply is an error
	allow       string // Allow header of a 405
}

type errorCause struct {
	Summary string `json:"errorSummary"`
}

type errorBody struct {
	Code    string       `json:"errorCode"`
	Summary string       `json:"errorSummary"`
	Link    string       `json:"errorLink"`
	ID      string       `json:"errorId"`
	Causes  []errorCause `json:"errorCauses"`
}

// oktaError builds Okta's error body for code with the code's fixed
// summary.
func oktaError(code string, causes ...string) *reply {
	return oktaErrorf(code, codeInfo[code].summary, causes...)
}

// oktaErrorf builds Okta's error body with the given summary. Each cause
// becomes one errorCauses entry.
func oktaErrorf(code, summary string, causes ...string) *reply {
	status := http.StatusInternalServerError
	if info, ok := codeInfo[code]; ok {
		status = info.status
	}
	return errorWithStatus(status, code, summary, causes...)
}

func errorWithStatus(status int, code, summary string, causes ...string) *reply {
	body := errorBody{
		Code:    code,
		Summary: summary,
		Link:    code,
		ID:      newErrorID(),
		Causes:  make([]errorCause, 0, len(causes)),
	}
	for _, c := range causes {
		body.Causes = append(body.Causes, errorCause{Summary: c})
	}
	rep := jsonReply(status, body)
	rep.code = code
	return rep
}

// validationError is Okta's E0000001 for failed fields: the summary names
// the first field and each cause is "field: message".
func validationError(fails []fieldError) *reply {
	causes := make([]string, len(fails))
	for i, f := range fails {
		causes[i] = f.field + ": " + f.msg
	}
	return oktaErrorf(CodeValidation, "Api validation failed: "+fails[0].field, causes...)
}

// fieldError is one failed field of a validation.
type fieldError struct {
	field string
	msg   string
}

// notFound is Okta's E0000007 for a resource of kind (e.g. "App").
func notFound(name, kind string) *reply {
	return oktaErrorf(CodeNotFound, fmt.Sprintf("Not found: Resource not found: %s (%s)", name, kind))
}

// jsonReply encodes v as a JSON reply.
func jsonReply(status int, v any) *reply {
	body, err := json.Marshal(v)
	if err != nil {
		// Only the emulator's own types are encoded; this is a bug.
		panic("oktatest: encode reply: " + err.Error())
	}
	return &reply{status: status, contentType: "application/json", body: body}
}

// faultReply is the answer of a fault with this status and code. A status
// without a known code answers a gateway-style HTML page, as a proxy in
// front of Okta would.
func faultReply(f Fault) *reply {
	status, code := f.Status, f.Code
	if status == 0 {
		status = http.StatusInternalServerError
		if info, ok := codeInfo[code]; ok {
			status = info.status
		}
	}
	if code == "" {
		code = defaultCodeFor[status]
	}
	if code == "" {
		text := fmt.Sprintf("%d %s", status, http.StatusText(status))
		page := "<html><head><title>" + text + "</title></head><body><h1>" +
			text + "</h1></body></html>\n"
		return &reply{status: status, contentType: "text/html", body: []byte(page)}
	}
	summary := codeInfo[code].summary
	if summary == "" {
		summary = "Emulated fault"
	}
	return errorWithStatus(status, code, summary)
}
