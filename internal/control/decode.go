package control

import (
	"bytes"
	"encoding/base64"
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

// ErrNotJSONObject is matched (errors.Is) by DecodeStrict's error when
// the body is not one JSON object: not JSON at all, another JSON value, or
// an object followed by more data. Any other refusal is about the object's
// members.
var ErrNotJSONObject = errors.New("request body is not one JSON object")

// DecodeStrict decodes a request body, which must be one JSON object, into
// v (a pointer to a request struct). Unlike encoding/json alone it matches
// member names exactly (the wire is case-sensitive), rejects unknown
// members — the SDKs never send them, so one is a typo that would
// otherwise silently do nothing — rejects a member given twice in one
// object, at any depth, and names the member's full path in every error:
// "hlsPackage.segmentDurationSeconds: must be an integer, got 6.5".
// An empty body decodes as {}.
//
// A refusal is an *Error (422 UnprocessableEntityException) whose Message
// is safe to show the client; it matches ErrNotJSONObject when the body is
// not one JSON object. Another AWS-style API on the same listener (the
// Secrets Manager subset) decodes with it too and maps the two kinds to
// its own error codes. body should be at most MaxBodyBytes: the checks
// walk all of it.
func DecodeStrict(body []byte, v any) error {
	_, err := decodeStrictObject(body, v)
	return err
}

// decodeStrictObject is DecodeStrict that also returns the body as a
// generic object (numbers as json.Number), for callers that need to know
// which members were sent: an update leaves the others as they are.
func decodeStrictObject(body []byte, v any) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, notJSONObject("request body is not valid JSON: %v (at byte %d)", syn, syn.Offset)
		}
		return nil, notJSONObject("request body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, notJSONObject("request body has data after the JSON object")
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, notJSONObject("request body must be a JSON object, got %s", describeJSON(raw))
	}
	// Decoding above proved the body is one well-formed value nested at
	// most encoding/json's 10,000 levels deep, within maxBodyBytes: the
	// walk is bounded by both.
	if err := checkDuplicateMembers(body); err != nil {
		return nil, err
	}
	var fe fieldErrors
	checkShape(&fe, "", raw, reflect.TypeOf(v).Elem())
	if err := fe.err(); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, v); err != nil {
		// checkShape accepted it, so this is a bug, not bad input.
		return nil, fmt.Errorf("control: decode checked body: %w", err)
	}
	return obj, nil
}

// checkDuplicateMembers refuses an object that names a member twice, at
// any depth: {"id":"a","id":"b"}. encoding/json keeps the last one
// silently, other parsers the first, so such a body means different
// things to different readers; it is ambiguous input, not a request. Names
// are compared after unescaping ("id" and "\u0069d" are the same member)
// and case-sensitively, as members are matched. body must be valid JSON.
//
// Paths are built only for the members reported (at most
// maxReportedErrors), by walking up from the innermost container, so a
// deeply nested body costs memory linear in its depth.
func checkDuplicateMembers(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	var (
		fe    fieldErrors
		stack []*jsonFrame
	)
	// enter moves the innermost container past the value about to be read
	// and returns that value's place in it.
	enter := func() jsonPlace {
		if len(stack) == 0 {
			return jsonPlace{}
		}
		top := stack[len(stack)-1]
		if top.seen == nil {
			top.index++
			return jsonPlace{parent: top, index: top.index - 1}
		}
		top.isKey = true
		return jsonPlace{parent: top, name: top.key, member: true}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return notJSONObject("request body is not valid JSON: %v", err)
		}
		if len(stack) > 0 {
			if top := stack[len(stack)-1]; top.seen != nil && top.isKey {
				if name, ok := tok.(string); ok {
					if top.seen[name] {
						if len(fe.list) < maxReportedErrors {
							fe.add(jsonPlace{parent: top, name: name, member: true}.path(), "given more than once in one object, which is ambiguous: send each member once")
						} else {
							fe.list = append(fe.list, "") // counted, not shown
						}
					}
					top.seen[name] = true
					top.key, top.isKey = name, false
					continue
				}
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &jsonFrame{at: enter(), seen: map[string]bool{}, isKey: true})
		case json.Delim('['):
			stack = append(stack, &jsonFrame{at: enter()})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			enter()
		}
	}
	return fe.err()
}

// jsonFrame is an object or array being walked by checkDuplicateMembers.
type jsonFrame struct {
	at    jsonPlace
	seen  map[string]bool // member names so far; nil for an array
	key   string          // object: the member whose value comes next
	isKey bool            // object: the next string is a member name
	index int             // array: the next element's index
}

// jsonPlace is where a value sits: a member of an object or an element of
// an array (parent nil: the whole body).
type jsonPlace struct {
	parent *jsonFrame
	name   string
	member bool
	index  int
}

// path names the place as error messages do: "a.b[2].c".
func (p jsonPlace) path() string {
	var parts []jsonPlace
	for q := p; q.parent != nil; q = q.parent.at {
		parts = append(parts, q)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		if q := parts[i]; q.member {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(q.name)
		} else {
			fmt.Fprintf(&b, "[%d]", q.index)
		}
	}
	return b.String()
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
				fe.add(join(path, key), "unknown field (names are case-sensitive; see docs/api.md)")
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
		if t.Elem().Kind() == reflect.Uint8 {
			// encoding/json's form of []byte: a base64 string.
			s, ok := val.(string)
			if !ok {
				fe.add(path, "must be a base64 string, got %s", describeJSON(val))
				return
			}
			if _, err := base64.StdEncoding.DecodeString(s); err != nil {
				fe.add(path, "must be a base64 string: %v", err)
			}
			return
		}
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
		i, err := n.Int64()
		if err != nil {
			fe.add(path, "must be an integer, got %s", truncate(n.String(), 40))
			return
		}
		// The MediaPackage model's integers are 32-bit (int here); a
		// member declared int64 takes the whole range (a Secrets Manager
		// Long, or an Integer validated later).
		if t.Kind() != reflect.Int64 && (i < math.MinInt32 || i > math.MaxInt32) {
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
