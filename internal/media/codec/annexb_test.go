package codec

import (
	"bytes"
	"testing"
)

func annexBCases() []struct {
	name string
	in   []byte
	want [][]byte
} {
	return []struct {
		name string
		in   []byte
		want [][]byte
	}{
		{"empty", nil, nil},
		{"no start code", []byte{1, 2, 3, 4}, nil},
		{"four byte start codes", []byte{0, 0, 0, 1, 9, 0xf0, 0, 0, 0, 1, 0x67, 1, 2}, [][]byte{{9, 0xf0}, {0x67, 1, 2}}},
		{"three byte start codes", []byte{0, 0, 1, 0x65, 0xaa, 0, 0, 1, 0x41, 0xbb}, [][]byte{{0x65, 0xaa}, {0x41, 0xbb}}},
		{"leading garbage ignored", []byte{7, 7, 0, 0, 1, 0x06, 5}, [][]byte{{0x06, 5}}},
		{"trailing zeros stripped", []byte{0, 0, 1, 0x65, 1, 0, 0, 0, 0, 0, 1, 0x41, 0, 0}, [][]byte{{0x65, 1}, {0x41}}},
		{"empty units skipped", []byte{0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0x68, 3}, [][]byte{{0x68, 3}}},
		{"emulation prevention kept", []byte{0, 0, 1, 0x65, 0, 0, 3, 1, 2}, [][]byte{{0x65, 0, 0, 3, 1, 2}}},
		{"start code at end", []byte{0, 0, 1, 0x65, 1, 0, 0, 1}, [][]byte{{0x65, 1}}},
	}
}

func TestAnnexBNALUs(t *testing.T) {
	for _, tc := range annexBCases() {
		t.Run(tc.name, func(t *testing.T) {
			var got [][]byte
			for n := range AnnexBNALUs(tc.in) {
				got = append(got, n)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d units %x, want %d %x", len(got), got, len(tc.want), tc.want)
			}
			for i := range got {
				if !bytes.Equal(got[i], tc.want[i]) {
					t.Errorf("unit %d: got %x, want %x", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestAnnexBNALUsStop(t *testing.T) {
	in := []byte{0, 0, 1, 1, 0, 0, 1, 2, 0, 0, 1, 3}
	n := 0
	for range AnnexBNALUs(in) {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Fatalf("got %d iterations, want 2", n)
	}
}

func FuzzAnnexBNALUs(f *testing.F) {
	for _, tc := range annexBCases() {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		total := 0
		for n := range AnnexBNALUs(b) {
			if len(n) == 0 || n[len(n)-1] == 0 {
				t.Fatalf("unit %x is empty or ends in zero", n)
			}
			if bytes.Contains(n, []byte{0, 0, 1}) {
				t.Fatalf("unit %x contains a start code", n)
			}
			total += len(n)
		}
		if total > len(b) {
			t.Fatalf("units total %d bytes from %d input bytes", total, len(b))
		}
	})
}
