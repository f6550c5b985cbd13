package push_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"boxcar/internal/mediatest"
)

// clipDir holds the clips ffmpeg makes for this package's tests, once per
// test binary.
var clipDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "boxcar-push-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	clipDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	clipsMu sync.Mutex
	clips   = map[string]string{}
)

// Test clips: 4 s of testsrc2 and a sine, keyframes every second on every
// rendition (-g with scene cuts off).
var clipArgs = map[string][]string{
	// One file, two video tracks with B-frames (ctts, edit lists) and AAC
	// at 44.1 kHz, whose frames do not divide the 4 s loop.
	"ladder.mp4": {"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
		"-t", "4", "-filter_complex", "[0:v]split=2[a][b];[b]scale=320:180[b2]", "-map", "[a]", "-map", "[b2]", "-map", "1:a",
		"-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0",
		"-b:v:0", "600k", "-b:v:1", "200k", "-c:a", "aac", "-b:a", "64k"},
	// Separate files per rendition, each with its own audio, no B-frames.
	"a.mp4": {"-f", "lavfi", "-i", "testsrc2=size=480x270:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-b:v", "400k", "-c:a", "aac"},
	"b.mp4": {"-f", "lavfi", "-i", "testsrc2=size=256x144:rate=25", "-f", "lavfi", "-i", "sine=frequency=880:sample_rate=48000",
		"-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-b:v", "150k", "-c:a", "aac"},
	// a.mp4 as a fragmented MP4.
	"a-frag.mp4": {"-i", "a.mp4", "-c", "copy", "-movflags", "frag_keyframe+empty_moov+default_base_moof"},
	// Audio only.
	"audio.mp4": {"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "2", "-c:a", "aac"},
	// Keyframes every second on one rendition, every 1.5 s on the other.
	"unaligned.mp4": {"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30", "-t", "3",
		"-map", "0:v", "-map", "0:v", "-c:v", "libx264", "-preset", "ultrafast", "-sc_threshold", "0",
		"-g:v:0", "30", "-keyint_min:v:0", "30", "-g:v:1", "45", "-keyint_min:v:1", "45"},
}

// testClip returns the path of a test clip, making it with ffmpeg on first
// use.
func testClip(t *testing.T, name string) string {
	t.Helper()
	clipsMu.Lock()
	defer clipsMu.Unlock()
	if p, ok := clips[name]; ok {
		return p
	}
	ffmpeg := mediatest.RequireFFmpeg(t)
	args, ok := clipArgs[name]
	if !ok {
		t.Fatalf("no test clip %q", name)
	}
	for _, a := range args {
		if _, dep := clipArgs[a]; dep && a != name {
			clipsMu.Unlock()
			testClip(t, a)
			clipsMu.Lock()
		}
	}
	out := filepath.Join(clipDir, name)
	cmd := exec.Command(ffmpeg, append(append([]string{"-nostdin", "-v", "error", "-y"}, args...), out)...)
	cmd.Dir = clipDir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make test clip %s: %v\n%s", name, err, b)
	}
	clips[name] = out
	return out
}
