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
			return // decodeStrict refuses invalid JSON before the walk
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
	err := decodeStrict([]byte(deep), new(createChannelRequest))
	var apiErr *Error
	want := "a" + strings.Repeat("[0]", depth) + ".x: given more than once"
	if !errors.As(err, &apiErr) || apiErr.Status != 422 || !strings.HasPrefix(apiErr.Message, want) {
		t.Errorf("deep duplicate: got %.200v, want a 422 starting %.60q…", err, want)
	}

	many := `{"tags":{` + strings.Repeat(`"k":"v",`, 1000) + `"k":"v"}}`
	err = decodeStrict([]byte(many), new(createChannelRequest))
	if !errors.As(err, &apiErr) || apiErr.Status != 422 ||
		strings.Count(apiErr.Message, "tags.k: given more than once") != maxReportedErrors ||
		!strings.HasSuffix(apiErr.Message, fmt.Sprintf("; and %d more", 1000-maxReportedErrors)) {
		t.Errorf("many duplicates: got %.300v…", err)
	}
}
