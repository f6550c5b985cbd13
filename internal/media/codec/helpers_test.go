package codec

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"boxcar/internal/testutil"
)

// ffmpeg runs ffmpeg with args in dir and returns the path of out inside
// dir. Without ffmpeg the test skips, or fails in required mode
// (testutil.Need).
func ffmpeg(t *testing.T, dir, out string, args ...string) string {
	t.Helper()
	bin := testutil.Need(t, testutil.FFmpeg)
	full := append([]string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y"}, args...)
	full = append(full, out)
	cmd := exec.Command(bin, full...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", full, err, b)
	}
	return filepath.Join(dir, out)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// firstNALU returns the first NAL unit in an Annex B stream for which match
// returns true.
func firstNALU(t *testing.T, stream []byte, match func([]byte) bool) []byte {
	t.Helper()
	for n := range AnnexBNALUs(stream) {
		if match(n) {
			return n
		}
	}
	t.Fatal("NAL unit not found")
	return nil
}

func isH264SPS(n []byte) bool { return n[0]&0x1f == 7 }
func isH265SPS(n []byte) bool { return len(n) > 1 && (n[0]>>1)&0x3f == 33 }

// ffprobeStream returns stream entries (key=value) of the first stream of
// kind ("v" or "a") in path.
func ffprobeStream(t *testing.T, path, kind string, entries string) map[string]string {
	t.Helper()
	bin := testutil.Need(t, testutil.FFprobe)
	out, err := exec.Command(bin, "-v", "error", "-select_streams", kind+":0", "-show_entries", "stream="+entries,
		"-of", "default=noprint_wrappers=1", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}
