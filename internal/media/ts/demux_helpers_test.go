package ts

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"boxcar/internal/testutil"
)

// Test helpers for the demuxer. Names carry a dmxt prefix because the muxer
// tests share the package.

// dmxtFFmpeg runs ffmpeg with args, writing out inside dir, and returns the
// output path. Without ffmpeg the test skips, or fails in required mode
// (testutil.Need).
func dmxtFFmpeg(tb testing.TB, dir, out string, args ...string) string {
	tb.Helper()
	bin := testutil.Need(tb, testutil.FFmpeg)
	full := append([]string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y"}, args...)
	full = append(full, out)
	cmd := exec.Command(bin, full...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("ffmpeg %v: %v\n%s", full, err, b)
	}
	return filepath.Join(dir, out)
}

// dmxtProbePacket is one packet as ffprobe reports it.
type dmxtProbePacket struct {
	StreamIndex int    `json:"stream_index"`
	PTS         *int64 `json:"pts"`
	DTS         *int64 `json:"dts"`
	Size        string `json:"size"`
	Flags       string `json:"flags"`
}

// dmxtProbeStream is one stream as ffprobe reports it.
type dmxtProbeStream struct {
	Index        int    `json:"index"`
	CodecName    string `json:"codec_name"`
	CodecType    string `json:"codec_type"`
	ID           string `json:"id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	SampleRate   string `json:"sample_rate"`
	Channels     int    `json:"channels"`
	NbReadFrames string `json:"nb_read_frames"`
	Tags         struct {
		Language string `json:"language"`
	} `json:"tags"`
}

type dmxtProbe struct {
	Streams []dmxtProbeStream `json:"streams"`
	Packets []dmxtProbePacket `json:"packets"`
}

// dmxtFFprobe returns ffprobe's view of a file: streams with counted
// frames, and every packet.
func dmxtFFprobe(tb testing.TB, path string) dmxtProbe {
	tb.Helper()
	bin := testutil.Need(tb, testutil.FFprobe)
	out, err := exec.Command(bin, "-v", "error", "-count_frames", "-show_streams", "-show_packets",
		"-show_entries", "packet=stream_index,pts,dts,size,flags:stream=index,codec_name,codec_type,id,width,height,sample_rate,channels,nb_read_frames:stream_tags=language",
		"-of", "json", path).Output()
	if err != nil {
		tb.Fatalf("ffprobe %s: %v", path, err)
	}
	var p dmxtProbe
	if err := json.Unmarshal(out, &p); err != nil {
		tb.Fatalf("ffprobe %s: %v", path, err)
	}
	return p
}

// pid returns the stream's PID from ffprobe's "0x100" id.
func (s dmxtProbeStream) pid() uint16 {
	v, _ := strconv.ParseUint(s.ID, 0, 16)
	return uint16(v)
}

func dmxtRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
