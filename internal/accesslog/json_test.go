package accesslog

import (
	"encoding/json"
	"math"
	"testing"
	"unicode/utf8"
)

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `quo"te\back`, "tab\tnl\ncr\r", "\x00\x1f", "<script>&", "\u2028\u2029", "é ünïcödé 😀", "\xff\xfe bad utf-8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := AppendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("AppendString(%q) = %s, not a JSON string: %v", s, b, err)
		}
		if utf8.ValidString(s) && got != s {
			t.Fatalf("AppendString(%q) decodes to %q", s, got)
		}
		if !utf8.ValidString(got) || len(s) > 0 && len(got) == 0 {
			t.Fatalf("AppendString(%q) decodes to %q", s, got)
		}
	})
}

// TestAppendFloatAsJSON: AppendFloat writes the bytes encoding/json
// writes for the same float64.
func TestAppendFloatAsJSON(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 0.5, 1e-6, 9.99e-7, 5e-7, 1.234567e-9, 0.000123, 12.000001, 1e20, 1e21, 1.5e300, math.SmallestNonzeroFloat64, 0.1 + 0.2} {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendFloat(nil, f); string(got) != string(want) {
			t.Errorf("AppendFloat(%v) = %s, want %s", f, got, want)
		}
	}
}

// FuzzAppendFloat: any finite float64 is written as encoding/json would.
func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0, 1e-7, 0.25, 3.5e21} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		want, err := json.Marshal(v)
		if err != nil {
			return // NaN, Inf: never a duration
		}
		if got := AppendFloat(nil, v); string(got) != string(want) {
			t.Fatalf("AppendFloat(%v) = %s, want %s", v, got, want)
		}
	})
}
