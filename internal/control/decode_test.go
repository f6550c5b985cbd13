package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// duplicateCases are bodies with and without a member given twice in one
// object; they also seed FuzzDuplicateMembers.
var duplicateCases = []struct {
	body string
	want []string // the duplicated members' paths; none for a good body
}{
	{`{}`, nil},
	{`{"id":"a","description":"b"}`, nil},
	{`{"a":{"id":1},"b":{"id":1}}`, nil},                  // same name in different objects
	{`{"l":[{"id":1},{"id":2}]}`, nil},                    // same name in sibling elements
	{`{"id":"x","ID":"y"}`, nil},                          // names are case-sensitive
	{`{"a":{"b":{}},"b":1}`, nil},                         // a name reused after a nested object closes
	{`{"l":[[],[{}],{"x":[1,{"x":2}]}],"x":3}`, nil},      // nesting and scalars in lists
	{`{"id":"a","id":"b"}`, []string{"id"}},               // top level
	{`{"id":"a","\u0069d":"b"}`, []string{"id"}},          // compared after unescaping
	{`{"p":{"s":6,"t":1,"s":2}}`, []string{"p.s"}},        // nested
	{`{"p":{"s":6},"p":{"s":6}}`, []string{"p"}},          // an object twice
	{`{"l":[{"a":1},{"a":1,"a":2}]}`, []string{"l[1].a"}}, // in a list element
	{`{"a":1,"a":2,"a":3,"b":[{"c":1,"c":1}]}`, []string{"a", "a", "b[0].c"}},
}

func TestDuplicateMembers(t *testing.T) {
	for _, tc := range duplicateCases {
		err := checkDuplicateMembers([]byte(tc.body))
		if len(tc.want) == 0 {
			if err != nil {
				t.Errorf("%s: %v, want no error", tc.body, err)
			}
			continue
		}
		var apiErr *Error
		if !errors.As(err, &apiErr) || apiErr.Status != 422 {
			t.Errorf("%s: got %v, want a 422", tc.body, err)
			continue
		}
		var got []string
		for _, part := range strings.Split(apiErr.Message, "; ") {
			path, _, _ := strings.Cut(part, ": given more than once")
			got = append(got, path)
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: reported %q, want %q", tc.body, got, tc.want)
		}
	}
}

// countNames counts the member names in a decoded JSON value.
func countNames(v any) int {
	n := 0
	switch x := v.(type) {
	case map[string]any:
		for _, m := range x {
			n += 1 + countNames(m)
		}
	case []any:
		for _, el := range x {
			n += countNames(el)
		}
	}
	return n
}

// countNameTokens counts the member names in a JSON text: every string
// token in an object that is followed by ':'. It is independent of
// checkDuplicateMembers: decoding collapses duplicates, so the two counts
// differ exactly when a body has one.
func countNameTokens(body []byte) int {
	dec := json.NewDecoder(bytes.NewReader(body))
	var (
		inObject []bool
		isKey    []bool
		n        int
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF || err != nil {
			return n
		}
		top := len(inObject) - 1
		if top >= 0 && inObject[top] && isKey[top] {
			if _, ok := tok.(string); ok {
				n++
				isKey[top] = false
				continue
			}
		}
		if top >= 0 && inObject[top] {
			isKey[top] = true // a value ends (or a container opens) here
		}
		switch tok {
		case json.Delim('{'):
			inObject, isKey = append(inObject, true), append(isKey, true)
		case json.Delim('['):
			inObject, isKey = append(inObject, false), append(isKey, false)
		case json.Delim('}'), json.Delim(']'):
			inObject, isKey = inObject[:top], isKey[:top]
		}
	}
}

// FuzzDuplicateMembers: on any valid JSON object, checkDuplicateMembers
// refuses it (with a 422) exactly when decoding it loses a member, and
// never panics.
func FuzzDuplicateMembers(f *testing.F) {
	for _, tc := range duplicateCases {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v any
		if json.Unmarshal(body, &v) != nil {
			return // DecodeStrict refuses invalid JSON before the walk
		}
		err := checkDuplicateMembers(body)
		lost := countNameTokens(body) != countNames(v)
		var apiErr *Error
		switch {
		case err != nil && (!errors.As(err, &apiErr) || apiErr.Status != 422):
			t.Fatalf("refusal %v: want a 422", err)
		case lost && err == nil:
			t.Fatalf("%s: decoding loses a member, but no duplicate was reported", body)
		case !lost && err != nil:
			t.Fatalf("%s: no member is lost, but %v", body, err)
		}
	})
}

// TestDuplicateMembersLimits: a body nested thousands of levels deep is
// walked (its path is built only for what is reported), and a body full
// of duplicates reports the first ones and counts the rest.
func TestDuplicateMembersLimits(t *testing.T) {
	const depth = 5000
	deep := `{"a":` + strings.Repeat(`[`, depth) + `{"x":1,"x":2}` + strings.Repeat(`]`, depth) + `}`
	err := DecodeStrict([]byte(deep), new(createChannelRequest))
	var apiErr *Error
	want := "a" + strings.Repeat("[0]", depth) + ".x: given more than once"
	if !errors.As(err, &apiErr) || apiErr.Status != 422 || !strings.HasPrefix(apiErr.Message, want) {
		t.Errorf("deep duplicate: got %.200v, want a 422 starting %.60q…", err, want)
	}

	many := `{"tags":{` + strings.Repeat(`"k":"v",`, 1000) + `"k":"v"}}`
	err = DecodeStrict([]byte(many), new(createChannelRequest))
	if !errors.As(err, &apiErr) || apiErr.Status != 422 ||
		strings.Count(apiErr.Message, "tags.k: given more than once") != maxReportedErrors ||
		!strings.HasSuffix(apiErr.Message, fmt.Sprintf("; and %d more", 1000-maxReportedErrors)) {
		t.Errorf("many duplicates: got %.300v…", err)
	}
}

// TestDecodeStrictKinds: a body that is not one JSON object matches
// ErrNotJSONObject and a body with wrong members does not; both are 422s.
// The shapes cover what the Secrets Manager requests use besides the
// MediaPackage ones: []byte (a base64 string), int64 (the whole range),
// string lists and nested structs.
func TestDecodeStrictKinds(t *testing.T) {
	type item struct {
		Key    string   `json:"Key"`
		Values []string `json:"Values"`
	}
	type request struct {
		Binary []byte  `json:"Binary"`
		Long   *int64  `json:"Long"`
		Short  *int    `json:"Short"`
		Items  []item  `json:"Items"`
		Text   *string `json:"Text"`
	}
	tests := []struct {
		body    string
		notJSON bool // want ErrNotJSONObject; else a member error, or none
		want    string
	}{
		{``, false, ""},
		{`{"Binary":"AAEC","Long":9007199254740993,"Short":-5,"Items":[{"Key":"k","Values":["a"]}],"Text":null}`, false, ""},
		{`{"Binary":null}`, false, ""},
		{`{"Text":`, true, "not valid JSON"},
		{`[{}]`, true, "must be a JSON object, got an array"},
		{`"x"`, true, "must be a JSON object"},
		{`{} {}`, true, "data after the JSON object"},
		{`{"Binary":5}`, false, "Binary: must be a base64 string, got the number 5"},
		{`{"Binary":[1,2]}`, false, "Binary: must be a base64 string, got an array"},
		{`{"Binary":"!!"}`, false, "Binary: must be a base64 string"},
		{`{"Long":1.5}`, false, "Long: must be an integer, got 1.5"},
		{`{"Long":99999999999999999999}`, false, "Long: must be an integer"},
		{`{"Short":9007199254740993}`, false, "Short: must fit in 32 bits"},
		{`{"Items":[{"key":"k"}]}`, false, "Items[0].key: unknown field"},
		{`{"Items":[{"Key":"k","Key":"l"}]}`, false, "Items[0].Key: given more than once"},
		{`{"Items":[{"Key":"k","Bogus":1}]}`, false, "Items[0].Bogus: unknown field"},
		{`{"Items":[{"Values":[1]}]}`, false, "Items[0].Values[0]: must be a string"},
		{`{"Items":[null]}`, false, "Items[0]: must not be null"},
	}
	for _, tc := range tests {
		var v request
		err := DecodeStrict([]byte(tc.body), &v)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: got %v, want no error", tc.body, err)
			}
			continue
		}
		var apiErr *Error
		if !errors.As(err, &apiErr) || apiErr.Status != 422 || !strings.Contains(apiErr.Message, tc.want) {
			t.Errorf("%s: got %v, want a 422 containing %q", tc.body, err, tc.want)
			continue
		}
		if got := errors.Is(err, ErrNotJSONObject); got != tc.notJSON {
			t.Errorf("%s: errors.Is(err, ErrNotJSONObject) = %t, want %t", tc.body, got, tc.notJSON)
		}
	}
	var v request
	if err := DecodeStrict([]byte(`{"Binary":"AAEC","Long":9007199254740993}`), &v); err != nil || string(v.Binary) != "\x00\x01\x02" || *v.Long != 9007199254740993 {
		t.Errorf("decoded %+v, %v; want Binary 00 01 02, Long 9007199254740993", v, err)
	}
}
