package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
)

// decodeStrict decodes a request body, which must be one JSON object, into
// v (a pointer to a request struct). Unlike encoding/json alone it matches
// member names exactly (the wire is case-sensitive camelCase), rejects
// unknown members — the SDKs never send them, so one is a typo that would
// otherwise silently do nothing — and names the member's full path in every
// error: "hlsPackage.segmentDurationSeconds: must be an integer, got 6.5".
// An empty body decodes as {}.
func decodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return unprocessable("request body is not valid JSON: %v (at byte %d)", syn, syn.Offset)
		}
		return unprocessable("request body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return unprocessable("request body has data after the JSON object")
	}
	if _, ok := raw.(map[string]any); !ok {
		return unprocessable("request body must be a JSON object, got %s", describeJSON(raw))
	}
	var fe fieldErrors
	checkShape(&fe, "", raw, reflect.TypeOf(v).Elem())
	if err := fe.err(); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		// checkShape accepted it, so this is a bug, not bad input.
		return fmt.Errorf("control: decode checked body: %w", err)
	}
	return nil
}

var rawMessageType = reflect.TypeOf(json.RawMessage(nil))

// checkShape reports every place where the decoded JSON value val does not
// fit the Go type t.
func checkShape(fe *fieldErrors, path string, val any, t reflect.Type) {
	if val == nil { // null is the same as absent
		return
	}
	if t == rawMessageType {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := val.(map[string]any)
		if !ok {
			fe.add(path, "must be an object, got %s", describeJSON(val))
			return
		}
		for _, key := range sortedKeys(obj) {
			f, ok := fieldByJSONName(t, key)
			if !ok {
				fe.add(join(path, key), "unknown field (names are case-sensitive camelCase; see docs/api.md)")
				continue
			}
			checkShape(fe, join(path, key), obj[key], f.Type)
		}
	case reflect.Map:
		obj, ok := val.(map[string]any)
		if !ok {
			fe.add(path, "must be an object, got %s", describeJSON(val))
			return
		}
		for _, key := range sortedKeys(obj) {
			checkShape(fe, join(path, key), obj[key], t.Elem())
		}
	case reflect.Slice:
		arr, ok := val.([]any)
		if !ok {
			fe.add(path, "must be an array, got %s", describeJSON(val))
			return
		}
		for i, el := range arr {
			if el == nil {
				fe.add(fmt.Sprintf("%s[%d]", path, i), "must not be null")
				continue
			}
			checkShape(fe, fmt.Sprintf("%s[%d]", path, i), el, t.Elem())
		}
	case reflect.String:
		if _, ok := val.(string); !ok {
			fe.add(path, "must be a string, got %s", describeJSON(val))
		}
	case reflect.Bool:
		if _, ok := val.(bool); !ok {
			fe.add(path, "must be true or false, got %s", describeJSON(val))
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, ok := val.(json.Number)
		if !ok {
			fe.add(path, "must be an integer, got %s", describeJSON(val))
			return
		}
		// The service model's integers are 32-bit.
		i, err := n.Int64()
		if err != nil {
			fe.add(path, "must be an integer, got %s", n)
			return
		}
		if i < math.MinInt32 || i > math.MaxInt32 {
			fe.add(path, "must fit in 32 bits, got %d", i)
		}
	default:
		fe.add(path, "unsupported type %s", t)
	}
}

func fieldByJSONName(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			if ef, ok := fieldByJSONName(f.Type, name); ok {
				return ef, true
			}
			continue
		}
		if tag == name && f.IsExported() {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

// describeJSON names a decoded JSON value for an error message without
// echoing long input.
func describeJSON(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if len(x) > 40 {
			return fmt.Sprintf("a string (%q…)", x[:40])
		}
		return fmt.Sprintf("a string (%q)", x)
	case json.Number:
		return "the number " + truncate(x.String(), 40)
	case bool:
		return fmt.Sprintf("%t", x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
