package events

import (
	"bytes"
	"embed"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// SchemaBaseURL is the base of every schema's $id. Nothing is fetched from
// it; it only names the schemas.
const SchemaBaseURL = "https://github.com/embedded-occ/provisioner/events/schemas/"

//go:embed schemas/*.json
var schemaFS embed.FS

// schemaFiles maps each event type to its schema file in schemas/.
var schemaFiles = map[string]string{
	TypeSignupRequested:    "signup-requested.json",
	TypeTenantProvisioned:  "tenant-provisioned.json",
	TypeProvisioningFailed: "provisioning-failed.json",
	TypeSignupDead:         "signup-dead.json",
}

// Schemas returns the JSON Schema (draft 2020-12) of every event type,
// keyed by type (TypeSignupRequested and so on). Each describes the whole
// CloudEvent, envelope and data. The map and its slices are copies.
func Schemas() map[string][]byte {
	out := make(map[string][]byte, len(schemaFiles))
	for typ, file := range schemaFiles {
		b, err := schemaFS.ReadFile("schemas/" + file)
		if err != nil {
			panic("events: embedded schema missing: " + file)
		}
		out[typ] = b
	}
	return out
}

var compiled struct {
	once    sync.Once
	schemas map[string]*jsonschema.Schema
	err     error
}

// compileSchemas compiles every schema once; formats (date-time, uri) are
// asserted.
func compileSchemas() (map[string]*jsonschema.Schema, error) {
	compiled.once.Do(func() {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		c.AssertFormat()
		raw := Schemas()
		for typ, file := range schemaFiles {
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw[typ]))
			if err != nil {
				compiled.err = fmt.Errorf("load schema %s: %w", file, err)
				return
			}
			if err := c.AddResource(SchemaBaseURL+file, doc); err != nil {
				compiled.err = fmt.Errorf("load schema %s: %w", file, err)
				return
			}
		}
		out := make(map[string]*jsonschema.Schema, len(schemaFiles))
		for typ, file := range schemaFiles {
			sch, err := c.Compile(SchemaBaseURL + file)
			if err != nil {
				compiled.err = fmt.Errorf("compile schema %s: %w", file, err)
				return
			}
			out[typ] = sch
		}
		compiled.schemas = out
	})
	return compiled.schemas, compiled.err
}

// ValidateEvent validates a whole CloudEvent (JSON) against the schema of
// its "type". It returns an error wrapping ErrUnknownEventType for a type
// without a schema, and a *ValidationError (Undecodable for input that is
// not a JSON object) whose problems name the failing JSON path and schema
// keyword. The errors never quote values from raw.
func ValidateEvent(raw []byte) error {
	schemas, err := compileSchemas()
	if err != nil {
		return fmt.Errorf("validate event: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return &ValidationError{Undecodable: true, Problems: []Problem{{
			Rule: RuleSyntax, Message: "not well-formed JSON"}}}
	}
	obj, ok := inst.(map[string]any)
	if !ok {
		return &ValidationError{Undecodable: true, Problems: []Problem{{
			Rule: RuleType, Message: "event must be a JSON object"}}}
	}
	typ, _ := obj["type"].(string)
	sch, ok := schemas[typ]
	if !ok {
		return fmt.Errorf("validate event: %w", ErrUnknownEventType)
	}
	if err := sch.Validate(inst); err != nil {
		ve, ok := err.(*jsonschema.ValidationError)
		if !ok {
			return fmt.Errorf("validate event: %w", err)
		}
		return &ValidationError{Problems: schemaProblems(ve)}
	}
	return nil
}

// SchemaTypes returns the event types that have a schema.
func SchemaTypes() []string {
	return slices.Sorted(maps.Keys(schemaFiles))
}

// schemaProblems flattens the leaves of a schema validation error into
// problems, with messages that never quote the instance.
func schemaProblems(ve *jsonschema.ValidationError) []Problem {
	var out []Problem
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		kw := e.ErrorKind.KeywordPath()
		rule := RuleSchema
		if len(kw) > 0 {
			rule = kw[len(kw)-1]
		}
		out = append(out, Problem{
			Field:   strings.Join(e.InstanceLocation, "."),
			Rule:    rule,
			Message: safeKindMessage(e.ErrorKind),
		})
	}
	walk(ve)
	return out
}

// safeKindMessage describes a schema failure without the instance value.
func safeKindMessage(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Type:
		return fmt.Sprintf("must be %s", strings.Join(k.Want, " or "))
	case *kind.Required:
		return "missing " + strings.Join(k.Missing, ", ")
	case *kind.MinLength:
		return fmt.Sprintf("must be at least %d characters", k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("must be at most %d characters", k.Want)
	case *kind.Pattern:
		return "does not match pattern " + k.Want
	case *kind.Format:
		return "is not a valid " + k.Want
	case *kind.Enum, *kind.Const:
		return "is not an allowed value"
	case *kind.AdditionalProperties:
		return "has unexpected properties"
	case *kind.MinItems:
		return fmt.Sprintf("must have at least %d items", k.Want)
	case *kind.FalseSchema, *kind.Not:
		return "is not allowed here"
	}
	return "fails schema keyword " + strings.Join(k.KeywordPath(), "/")
}
