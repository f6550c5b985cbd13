package fmp4

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"boxcar/internal/testutil"
)

// requireFFmpeg ends the test as testutil.Need says when ffmpeg or
// ffprobe is missing: skips, or fails in required mode.
func requireFFmpeg(t testing.TB) {
	t.Helper()
	testutil.Need(t, testutil.FFmpeg)
	testutil.Need(t, testutil.FFprobe)
}

// runTool runs a command and fails the test with its output on error.
func runTool(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// ffmpegHLS encodes a few seconds of test pattern and tone into fMP4 HLS
// in dir and returns the init segment and the media segments.
func ffmpegHLS(t testing.TB, dir string, videoArgs []string, seconds string) (init []byte, segments [][]byte) {
	t.Helper()
	requireFFmpeg(t)
	args := []string{"-v", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"}
	args = append(args, videoArgs...)
	args = append(args, "-c:a", "aac", "-b:a", "96k", "-t", seconds,
		"-f", "hls", "-hls_segment_type", "fmp4", "-hls_time", "2", "-hls_playlist_type", "vod",
		"-hls_segment_filename", filepath.Join(dir, "seg%d.m4s"), filepath.Join(dir, "index.m3u8"))
	runTool(t, "ffmpeg", args...)
	init, err := os.ReadFile(filepath.Join(dir, "init.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		b, err := os.ReadFile(filepath.Join(dir, "seg"+strconv.Itoa(i)+".m4s"))
		if err != nil {
			break
		}
		segments = append(segments, b)
	}
	if len(segments) == 0 {
		t.Fatal("ffmpeg wrote no segments")
	}
	return init, segments
}

// frameHashes decodes the first stream of kind (v or a) of a file with
// ffmpeg and returns the hash of every decoded frame, failing on any
// decoder message.
func frameHashes(t testing.TB, path, kind string) []string {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-v", "error", "-i", path, "-map", "0:"+kind+":0", "-f", "framemd5", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg framemd5 %s: %v\n%s", path, err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("ffmpeg decoding %s logged errors:\n%s", path, stderr.String())
	}
	var hashes []string
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, ",")
		hashes = append(hashes, strings.TrimSpace(f[len(f)-1]))
	}
	return hashes
}

// probeFrames counts the frames of the first stream with ffprobe -count_frames.
func probeFrames(t testing.TB, path string) int {
	t.Helper()
	out := runTool(t, "ffprobe", "-v", "error", "-count_frames", "-select_streams", "0",
		"-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path)
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("ffprobe output %q: %v", out, err)
	}
	return n
}
