package ts

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"boxcar/internal/media"
)

// muxtLavfi are ffmpeg inputs: 320x240 test pattern at 25 fps and a tone.
func muxtLavfi(rate int) []string {
	return []string{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=" + strconv.Itoa(rate)}
}

var muxtX264 = []string{"-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-bf", "2"}

// TestMuxFFmpeg packages ffmpeg-encoded media (parsed from fMP4 by the fmp4
// package) into TS segments and has ffmpeg, ffprobe and tstools judge them:
// every segment decodes alone without a message and with every frame;
// all segments concatenated decode without a continuity error to the very
// frames of the source.
func TestMuxFFmpeg(t *testing.T) {
	muxtRequire(t, "ffmpeg", "ffprobe")
	tests := []struct {
		name    string
		args    []string
		encoder string
	}{
		{"h264_aac", append(append(muxtLavfi(48000), muxtX264...), "-c:a", "aac", "-t", "6"), ""},
		{"h264_aac_44100", append(append(muxtLavfi(44100), muxtX264...), "-c:a", "aac", "-ac", "2", "-t", "4"), ""},
		{"h264_only", append(append(muxtLavfi(48000), muxtX264...), "-an", "-t", "4"), ""},
		{"aac_only", []string{"-f", "lavfi", "-i", "sine=sample_rate=48000", "-c:a", "aac", "-t", "4"}, ""},
		{"h264_ac3", append(append(muxtLavfi(48000), muxtX264...), "-c:a", "ac3", "-ac", "6", "-t", "4"), ""},
		{"h264_eac3", append(append(muxtLavfi(48000), muxtX264...), "-c:a", "eac3", "-t", "4"), ""},
		{"h265_aac", append(muxtLavfi(48000), "-c:v", "libx265", "-preset", "veryfast",
			"-x265-params", "log-level=error:keyint=25:min-keyint=25:open-gop=0", "-c:a", "aac", "-t", "4"), "libx265"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.encoder != "" && !muxtHasEncoder(t, tc.encoder) {
				t.Skipf("ffmpeg has no %s", tc.encoder)
			}
			dir := t.TempDir()
			segs := muxtSource(t, dir, tc.args...)
			const firstSeq = 1000 // 1000 mod 16 = 8: PSI counters do not start at 0
			var names []string
			for i, seg := range segs {
				seq := uint64(firstSeq + i)
				r, err := Mux(seg, MuxOptions{Sequence: seq})
				if err != nil {
					t.Fatalf("Mux segment %d: %v", i, err)
				}
				muxtCheck(t, r, seq, seg)
				name := filepath.Join(dir, fmt.Sprintf("out%d.ts", i))
				if err := os.WriteFile(name, r.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				names = append(names, name)
				muxtCheckAlone(t, name, seg)
			}
			concat := "concat:" + strings.Join(names, "|")
			_, logs := muxtRun(t, "ffmpeg", "-v", "debug", "-i", concat, "-f", "null", "-")
			if strings.Contains(logs, "Continuity check failed") {
				t.Errorf("ffmpeg reports continuity errors across segments")
			}
			src := filepath.Join(dir, "src.m3u8")
			for _, stream := range []string{"v", "a"} {
				kind := media.KindVideo
				if stream == "a" {
					kind = media.KindAudio
				}
				if muxtCount(segs[0], kind) == 0 {
					continue
				}
				got := muxtFrameHashes(t, concat, stream)
				want := muxtFrameHashes(t, src, stream)
				if stream == "a" {
					// The fMP4 source is read through its edit list, which
					// may hide the encoder's first frames: compare the tail.
					n := min(len(got), len(want))
					got, want = got[len(got)-n:], want[len(want)-n:]
				}
				if len(got) == 0 || len(got) != len(want) {
					t.Fatalf("%s: %d frames decoded, source has %d", stream, len(got), len(want))
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s: frame %d of %d differs from the source", stream, i, len(got))
					}
				}
			}
			muxtTSTools(t, names)
		})
	}
}

// muxtCheckAlone decodes one segment with ffmpeg (no message allowed) and
// counts its frames with ffprobe.
func muxtCheckAlone(t *testing.T, name string, seg []MuxTrack) {
	t.Helper()
	if _, logs := muxtRun(t, "ffmpeg", "-v", "error", "-i", name, "-f", "null", "-"); logs != "" {
		t.Errorf("ffmpeg decoding %s logged:\n%s", filepath.Base(name), logs)
	}
	out, _ := muxtRun(t, "ffprobe", "-v", "error", "-count_frames",
		"-show_entries", "stream=codec_type,nb_read_frames", "-of", "csv=p=0", name)
	got := map[string]string{}
	for _, line := range strings.Fields(out) {
		f := strings.Split(line, ",")
		got[f[0]] = f[1]
	}
	for kind, k := range map[string]media.Kind{"video": media.KindVideo, "audio": media.KindAudio} {
		if want := muxtCount(seg, k); want > 0 && got[kind] != strconv.Itoa(want) {
			t.Errorf("%s: ffprobe counts %s %s frames, want %d", filepath.Base(name), got[kind], kind, want)
		}
	}
}

// muxtTSTools runs tstools' tsinfo and tsreport (when installed) on the
// segments; they must find the program and report no error.
func muxtTSTools(t *testing.T, names []string) {
	t.Helper()
	if _, err := exec.LookPath("tsreport"); err != nil {
		t.Log("tstools not installed (apt-get install tstools)")
		return
	}
	all := filepath.Join(filepath.Dir(names[0]), "all.ts")
	var data []byte
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, b...)
	}
	if err := os.WriteFile(all, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range append(names, all) {
		info, _ := muxtRun(t, "tsinfo", name)
		if !strings.Contains(info, "Program 1 -> PID 1000") || !strings.Contains(info, "PCR PID") {
			t.Errorf("tsinfo %s:\n%s", filepath.Base(name), info)
		}
		rep, errs := muxtRun(t, "tsreport", "-b", name)
		if strings.Contains(rep+errs, "###") || strings.Contains(rep+errs, "!!!") || !strings.Contains(rep, "Bad (>.1s) gaps: 0") {
			t.Errorf("tsreport -b %s:\n%s%s", filepath.Base(name), rep, errs)
		}
	}
}

func muxtHasEncoder(tb testing.TB, name string) bool {
	tb.Helper()
	out, _ := muxtRun(tb, "ffmpeg", "-hide_banner", "-encoders")
	return strings.Contains(out, " "+name+" ")
}
