package push

import (
	"io/fs"
	"testing"

	"boxcar/internal/demo/clip"
	"boxcar/internal/digest"
)

// FuzzParseChallenges: any WWW-Authenticate value parses without a panic,
// and a Digest challenge picked from it can be answered.
func FuzzParseChallenges(f *testing.F) {
	for _, s := range []string{
		`Digest realm="boxcar", qop="auth", algorithm=SHA-256, nonce="abc", opaque="def"`,
		`Digest realm="r", qop="auth, auth-int", algorithm=MD5-sess, nonce="a\"b", stale=true`,
		`Basic realm="ingest", charset="UTF-8"`,
		`Digest realm=r,nonce=n`,
		`Digest realm="unterminated`,
		`Negotiate`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		cs := digest.ParseChallenges([]string{v})
		if d := digest.Pick(cs); d != nil {
			newDigestSession(d).authorization("PUT", "/in/x", "u", "p", "c")
		}
	})
}

// FuzzReadClip: a damaged MP4 file is an error, never a panic.
func FuzzReadClip(f *testing.F) {
	b, err := fs.ReadFile(clip.FS(), clip.AudioFile)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[:4096])
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		ReadClip(ClipFile{Name: "fuzz.mp4", Data: data})
	})
}
