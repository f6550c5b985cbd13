package ingest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"boxcar/internal/mediatest"
)

// fixtures are short HLS encodes made once per test binary: 1 s segments
// of 320x180 H.264 at 25 fps.
type fixtures struct {
	dir string
	err error
}

var (
	fixOnce sync.Once
	fix     fixtures
)

// fixtureDir encodes the fixtures on first use:
//
//	aac/seg{0..3}.ts      H.264 + AAC, 0-4 s
//	ac3/seg{0..1}.ts      H.264 + AC-3, 4-6 s (continues aac in time)
//	fmp4/init.mp4, fmp4/seg{0..3}.m4s  H.264 + AAC fMP4
func fixtureDir(t testing.TB) string {
	t.Helper()
	mediatest.RequireFFmpeg(t)
	fixOnce.Do(func() {
		dir, err := os.MkdirTemp("", "boxcar-ingest-fixtures")
		if err != nil {
			fix.err = err
			return
		}
		fix.dir = dir
		common := []string{"-nostdin", "-v", "error",
			"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25",
			"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
			"-map", "0:v", "-map", "1:a",
			"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-bf", "0",
		}
		runs := []struct {
			sub  string
			args []string
		}{
			{"aac", []string{"-t", "4", "-c:a", "aac", "-b:a", "64k", "-f", "hls", "-hls_time", "1", "-hls_list_size", "0",
				"-hls_segment_filename", "%DIR%/seg%d.ts", "%DIR%/index.m3u8"}},
			{"ac3", []string{"-t", "2", "-c:a", "ac3", "-b:a", "96k", "-output_ts_offset", "4", "-f", "hls", "-hls_time", "1", "-hls_list_size", "0",
				"-hls_segment_filename", "%DIR%/seg%d.ts", "%DIR%/index.m3u8"}},
			{"fmp4", []string{"-t", "4", "-c:a", "aac", "-b:a", "64k", "-f", "hls", "-hls_time", "1", "-hls_list_size", "0",
				"-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
				"-hls_segment_filename", "%DIR%/seg%d.m4s", "%DIR%/index.m3u8"}},
		}
		for _, r := range runs {
			d := filepath.Join(dir, r.sub)
			if err := os.MkdirAll(d, 0o755); err != nil {
				fix.err = err
				return
			}
			args := append([]string(nil), common...)
			for _, a := range r.args {
				args = append(args, replaceDir(a, d))
			}
			if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
				fix.err = fmt.Errorf("ffmpeg %v: %v\n%s", args, err, out)
				return
			}
		}
	})
	if fix.err != nil {
		t.Fatalf("fixtures: %v", fix.err)
	}
	return fix.dir
}

func replaceDir(a, d string) string {
	const k = "%DIR%"
	if len(a) >= len(k) && a[:len(k)] == k {
		return d + a[len(k):]
	}
	return a
}

// fixture reads a fixture file, e.g. "aac/seg0.ts".
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fix.dir != "" {
		os.RemoveAll(fix.dir)
	}
	os.Exit(code)
}
