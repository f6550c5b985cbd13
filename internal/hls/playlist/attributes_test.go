package playlist

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAttrs(t *testing.T) {
	tests := []struct {
		in      string
		want    []Attr
		wantErr bool
	}{
		{``, nil, false},
		{`A=1`, []Attr{{"A", "1", false}}, false},
		{`URI="a,b=c",BYTERANGE="1@2"`, []Attr{{"URI", "a,b=c", true}, {"BYTERANGE", "1@2", true}}, false},
		{`IV=0xABCDEF,METHOD=AES-128`, []Attr{{"IV", "0xABCDEF", false}, {"METHOD", "AES-128", false}}, false},
		{`RESOLUTION=1920x1080,FRAME-RATE=29.970`, []Attr{{"RESOLUTION", "1920x1080", false}, {"FRAME-RATE", "29.970", false}}, false},
		{`A=1, B="x" ,C=-2.5`, []Attr{{"A", "1", false}, {"B", "x", true}, {"C", "-2.5", false}}, false},
		{`A=1,A=2`, []Attr{{"A", "1", false}}, false},
		{`A=""`, []Attr{{"A", "", true}}, false},
		{`A=1,`, []Attr{{"A", "1", false}}, false},
		{`=1`, nil, true},
		{`A`, nil, true},
		{`A="x`, nil, true},
		{`A="x"y`, nil, true},
		{`A=1,,B=2`, nil, true},
		{`ÄB=1`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseAttrs("#TAG", tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if err == nil {
				if diff := cmp.Diff(tc.want, got.attrs); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestAttrTypes(t *testing.T) {
	l, err := parseAttrs("#TAG", `I=42,BIG=99999999999999999999999,F=-1.25,Y=YES,N=NO,BAD=maybe,R=640x360,RB=640y360,Q="q"`)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := l.integer("I"); v != 42 || err != nil {
		t.Errorf("integer I: %v %v", v, err)
	}
	if _, err := l.integer("BIG"); err == nil {
		t.Error("integer BIG: no error")
	}
	if _, err := l.integer("F"); err == nil {
		t.Error("integer F: no error")
	}
	if v, ok, err := l.float("F"); v != -1.25 || !ok || err != nil {
		t.Errorf("float F: %v %v %v", v, ok, err)
	}
	if v, ok, err := l.float("ABSENT"); v != 0 || ok || err != nil {
		t.Errorf("float ABSENT: %v %v %v", v, ok, err)
	}
	if y, err := l.yesNo("Y"); !y || err != nil {
		t.Errorf("Y: %v %v", y, err)
	}
	if n, err := l.yesNo("N"); n || err != nil {
		t.Errorf("N: %v %v", n, err)
	}
	if _, err := l.yesNo("BAD"); err == nil {
		t.Error("BAD: no error")
	}
	if w, h, err := l.resolution("R"); w != 640 || h != 360 || err != nil {
		t.Errorf("R: %v %v %v", w, h, err)
	}
	if _, _, err := l.resolution("RB"); err == nil {
		t.Error("RB: no error")
	}
	if _, err := l.quoted("I"); err == nil {
		t.Error("quoted I: no error")
	}
	if v, err := l.quoted("Q"); v != "q" || err != nil {
		t.Errorf("quoted Q: %v %v", v, err)
	}
}

func TestParseFloat(t *testing.T) {
	for _, s := range []string{"0", "1", "1.5", "-2.25", "10.", ".5", "6.000000"} {
		if _, err := parseFloat(s); err != nil {
			t.Errorf("parseFloat(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "-", ".", "1e3", "NaN", "Inf", "0x10", "1.2.3", "+1", " 1"} {
		if v, err := parseFloat(s); err == nil {
			t.Errorf("parseFloat(%q) = %v, want error", s, v)
		}
	}
}
