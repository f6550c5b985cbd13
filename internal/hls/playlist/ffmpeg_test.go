package playlist

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"boxcar/internal/testutil"
)

// These tests parse playlists that ffmpeg's HLS muxer writes, the way an
// encoder pushes them to ingest, and check them against the files ffmpeg
// wrote next to them.

// ffmpegHLS runs ffmpeg in dir. Without ffmpeg the test skips, or fails in
// required mode (testutil.Need).
func ffmpegHLS(t *testing.T, dir string, args ...string) {
	t.Helper()
	bin := testutil.Need(t, testutil.FFmpeg)
	cmd := exec.Command(bin, append([]string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

var ffmpegInputs = []string{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine"}

// checkMedia checks a parsed ffmpeg media playlist against the files on disk.
func checkMedia(t *testing.T, dir string, m *Media, total float64) {
	t.Helper()
	if len(m.Segments) == 0 {
		t.Fatal("no segments")
	}
	var sum float64
	for i, s := range m.Segments {
		if _, err := os.Stat(filepath.Join(dir, s.URI)); err != nil {
			t.Errorf("segment %d: %v", i, err)
		}
		if s.Duration <= 0 || math.Round(s.Duration) > float64(m.TargetDuration) {
			t.Errorf("segment %d: duration %v with target %d", i, s.Duration, m.TargetDuration)
		}
		if s.Sequence != m.MediaSequence+uint64(i) {
			t.Errorf("segment %d: sequence %d", i, s.Sequence)
		}
		sum += s.Duration
	}
	if math.Abs(sum-total) > 0.1 {
		t.Errorf("durations add up to %v, want %v", sum, total)
	}
	if !m.EndList {
		t.Error("no #EXT-X-ENDLIST")
	}
}

func TestParseFFmpegTS(t *testing.T) {
	dir := t.TempDir()
	ffmpegHLS(t, dir, append(ffmpegInputs, "-c:v", "libx264", "-g", "25", "-c:a", "aac", "-t", "4",
		"-f", "hls", "-hls_time", "1", "-hls_flags", "program_date_time", "-hls_playlist_type", "event", "index.m3u8")...)
	data, err := os.ReadFile(filepath.Join(dir, "index.m3u8"))
	if err != nil {
		t.Fatal(err)
	}
	for _, crlf := range []bool{false, true} {
		in := data
		if crlf {
			in = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
		}
		m := mustParseMedia(t, in)
		checkMedia(t, dir, m, 4)
		if m.PlaylistType != "EVENT" || m.Version != 3 {
			t.Errorf("type %q version %d", m.PlaylistType, m.Version)
		}
		for i, s := range m.Segments {
			if s.ProgramDateTime.IsZero() {
				t.Fatalf("segment %d has no program date-time", i)
			}
			if i > 0 {
				gap := s.ProgramDateTime.Sub(m.Segments[i-1].ProgramDateTime).Seconds()
				if math.Abs(gap-m.Segments[i-1].Duration) > 0.01 {
					t.Errorf("segment %d: program date-time %v after the previous, which lasts %v", i, gap, m.Segments[i-1].Duration)
				}
			}
		}
	}
}

func TestParseFFmpegLadder(t *testing.T) {
	dir := t.TempDir()
	ffmpegHLS(t, dir, append(ffmpegInputs, "-map", "0:v", "-map", "0:v", "-map", "1:a",
		"-c:v", "libx264", "-g", "25", "-s:v:1", "160x120", "-b:v:0", "500k", "-b:v:1", "200k", "-c:a", "aac", "-t", "3",
		"-f", "hls", "-hls_time", "1", "-var_stream_map", "v:0,agroup:aud v:1,agroup:aud a:0,agroup:aud",
		"-master_pl_name", "channel.m3u8", "channel_%v.m3u8")...)
	pl, err := Parse(mustReadDir(t, dir, "channel.m3u8"))
	if err != nil {
		t.Fatal(err)
	}
	mv, ok := pl.(*Multivariant)
	if !ok {
		t.Fatalf("got %T", pl)
	}
	if len(mv.Variants) != 3 || len(mv.Renditions) != 1 {
		t.Fatalf("got %d variants, %d renditions", len(mv.Variants), len(mv.Renditions))
	}
	wantSizes := [][2]int{{320, 240}, {160, 120}, {0, 0}}
	for i, v := range mv.Variants {
		if v.Bandwidth <= 0 || v.Audio != mv.Renditions[0].GroupID || [2]int{v.Width, v.Height} != wantSizes[i] {
			t.Errorf("variant %d: %+v", i, v)
		}
		if len(v.Codecs) == 0 || !strings.HasPrefix(v.Codecs[len(v.Codecs)-1], "mp4a.40.") {
			t.Errorf("variant %d codecs %q", i, v.Codecs)
		}
		m := mustParseMedia(t, mustReadDir(t, dir, v.URI))
		checkMedia(t, dir, m, 3)
	}
	if r := mv.Renditions[0]; r.Type != "AUDIO" || !r.Default || r.URI != "channel_2.m3u8" {
		t.Errorf("rendition %+v", r)
	}
}

func TestParseFFmpegFMP4(t *testing.T) {
	for _, single := range []bool{false, true} {
		name := "segments"
		if single {
			name = "single file with byte ranges"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			args := append(ffmpegInputs, "-c:v", "libx264", "-g", "25", "-c:a", "aac", "-t", "3",
				"-f", "hls", "-hls_time", "1", "-hls_segment_type", "fmp4")
			if single {
				args = append(args, "-hls_flags", "single_file")
			}
			ffmpegHLS(t, dir, append(args, "index.m3u8")...)
			m := mustParseMedia(t, mustReadDir(t, dir, "index.m3u8"))
			checkMedia(t, dir, m, 3)
			var end int64
			for i, s := range m.Segments {
				if s.Map == nil {
					t.Fatalf("segment %d has no map", i)
				}
				if _, err := os.Stat(filepath.Join(dir, s.Map.URI)); err != nil {
					t.Errorf("map: %v", err)
				}
				if !single {
					continue
				}
				if s.ByteRange == nil || s.Map.ByteRange == nil {
					t.Fatalf("segment %d: no byte ranges", i)
				}
				if i == 0 {
					end = s.Map.ByteRange.Offset + s.Map.ByteRange.Length
				}
				if s.ByteRange.Offset != end {
					t.Errorf("segment %d: range starts at %d, previous ended at %d", i, s.ByteRange.Offset, end)
				}
				end = s.ByteRange.Offset + s.ByteRange.Length
			}
			if single {
				st, err := os.Stat(filepath.Join(dir, m.Segments[0].URI))
				if err != nil || st.Size() != end {
					t.Errorf("ranges end at %d, file has %v bytes (%v)", end, st.Size(), err)
				}
			}
		})
	}
}

func mustReadDir(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
