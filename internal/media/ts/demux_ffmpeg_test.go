package ts

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"boxcar/internal/media"
	"boxcar/internal/media/codec"
	"boxcar/internal/testutil"
)

// These tests encode real transport streams with ffmpeg and hold Demux to
// what ffprobe reads from the same file: frame counts, timestamps, key
// frames, picture size, audio format. Then they rebuild elementary streams
// from the samples and check that ffmpeg decodes them to the same frames
// as the original.

const dmxtWrap = int64(1) << 33

type dmxtFFmpegCase struct {
	name     string
	args     []string // ffmpeg arguments before "-f mpegts out.ts"
	encoders []string // ffmpeg must have these (testutil.NeedEncoder)
	anchor   int64
	check    func(t *testing.T, r *DemuxResult)
}

func dmxtFFmpegCases() []dmxtFFmpegCase {
	src := func(size, rate string) []string {
		return []string{"-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=" + rate}
	}
	sine := func(rate int) []string {
		return []string{"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=" + strconv.Itoa(rate)}
	}
	join := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	wrapStart := float64(dmxtWrap)/90000 - 1.4 - 2 // ffmpeg starts PTS 1.4 s after the offset
	return []dmxtFFmpegCase{
		{
			name: "h264 aac",
			args: join(src("320x240", "25"), sine(44100), []string{"-c:v", "libx264", "-g", "25", "-c:a", "aac", "-t", "2"}),
		},
		{
			name: "h264 high b-frames 50 fps aac 48k stereo",
			args: join(src("640x360", "50"), sine(48000), []string{"-c:v", "libx264", "-profile:v", "high", "-preset", "veryfast", "-bf", "3", "-g", "50",
				"-c:a", "aac", "-ac", "2", "-t", "2"}),
		},
		{
			name:     "h265 aac",
			args:     join(src("320x240", "25"), sine(48000), []string{"-c:v", "libx265", "-x265-params", "log-level=error:keyint=25", "-c:a", "aac", "-t", "2"}),
			encoders: []string{"libx265"},
		},
		{
			name: "h264 ac3 5.1",
			args: join(src("320x240", "25"), sine(48000), []string{"-c:v", "libx264", "-g", "25", "-c:a", "ac3", "-ac", "6", "-t", "2"}),
		},
		{
			name: "h264 eac3",
			args: join(src("320x240", "25"), sine(48000), []string{"-c:v", "libx264", "-g", "25", "-c:a", "eac3", "-ac", "2", "-t", "2"}),
		},
		{
			name: "DVB signalling: AC-3 and E-AC-3 as private PES with descriptors",
			args: join(src("320x240", "25"), sine(48000), sine(48000), []string{"-map", "0:v", "-map", "1:a", "-map", "2:a",
				"-c:v", "libx264", "-g", "25", "-c:a:0", "ac3", "-c:a:1", "eac3", "-t", "1", "-mpegts_flags", "system_b"}),
			check: func(t *testing.T, r *DemuxResult) {
				if r.Tracks[1].StreamType != streamTypePrivatePES || r.Tracks[1].Info.Codec != media.CodecAC3 ||
					r.Tracks[2].StreamType != streamTypePrivatePES || r.Tracks[2].Info.Codec != media.CodecEAC3 {
					t.Errorf("tracks %+v", r.Tracks)
				}
			},
		},
		{
			name: "29.97 fps, 44.1 kHz mono, odd size",
			args: join(src("322x242", "30000/1001"), sine(44100), []string{"-c:v", "libx264", "-g", "30", "-c:a", "aac", "-ac", "1", "-t", "2"}),
		},
		{
			name: "two audio languages",
			args: join(src("320x240", "25"), sine(48000), sine(44100), []string{"-map", "0:v", "-map", "1:a", "-map", "2:a",
				"-c:v", "libx264", "-g", "25", "-c:a:0", "aac", "-c:a:1", "ac3",
				"-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=spa", "-t", "1"}),
			check: func(t *testing.T, r *DemuxResult) {
				if len(r.Tracks) != 3 || r.Tracks[1].Info.Language != "eng" || r.Tracks[2].Info.Language != "spa" {
					t.Errorf("languages: %+v", r.Tracks)
				}
			},
		},
		{
			name: "audio only",
			args: join(sine(48000), []string{"-c:a", "aac", "-t", "1"}),
		},
		{
			name: "video only",
			args: join(src("320x240", "25"), []string{"-c:v", "libx264", "-g", "10", "-t", "1"}),
		},
		{
			name:   "crossing the 33-bit wrap",
			args:   join(src("320x240", "25"), sine(48000), []string{"-c:v", "libx264", "-g", "25", "-c:a", "aac", "-t", "4", "-output_ts_offset", fmt.Sprintf("%.3f", wrapStart)}),
			anchor: -1,
			check: func(t *testing.T, r *DemuxResult) {
				v := r.Tracks[0].Samples
				if first, last := v[0].DTS, v[len(v)-1].DTS; first >= dmxtWrap || last <= dmxtWrap {
					t.Errorf("video DTS %d..%d does not cross 2^33", first, last)
				}
			},
		},
		{
			name:   "crossing the wrap with an anchor five periods on",
			args:   join(src("320x240", "25"), sine(48000), []string{"-c:v", "libx264", "-g", "25", "-c:a", "aac", "-t", "4", "-output_ts_offset", fmt.Sprintf("%.3f", wrapStart)}),
			anchor: 6*dmxtWrap - 90000*10,
			check: func(t *testing.T, r *DemuxResult) {
				v := r.Tracks[0].Samples
				if first, last := v[0].DTS, v[len(v)-1].DTS; first >= 6*dmxtWrap || last <= 6*dmxtWrap {
					t.Errorf("video DTS %d..%d does not cross 6·2^33", first, last)
				}
			},
		},
	}
}

func TestDemuxFFmpeg(t *testing.T) {
	for _, tc := range dmxtFFmpegCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, e := range tc.encoders {
				testutil.NeedEncoder(t, e)
			}
			dir := t.TempDir()
			path := dmxtFFmpeg(t, dir, "out.ts", append(tc.args, "-f", "mpegts")...)
			anchor := tc.anchor
			if anchor == 0 {
				anchor = -1
			}
			r, err := Demux(dmxtRead(t, path), DemuxOptions{Anchor: anchor})
			if err != nil {
				t.Fatal(err)
			}
			probe := dmxtFFprobe(t, path)
			dmxtCompareProbe(t, r, probe)
			dmxtCompareDecode(t, dir, path, r)
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// dmxtCompareProbe holds the demuxed tracks to ffprobe's streams and packets.
func dmxtCompareProbe(t *testing.T, r *DemuxResult, probe dmxtProbe) {
	t.Helper()
	if r.ContinuityErrors != 0 {
		t.Errorf("%d continuity errors", r.ContinuityErrors)
	}
	var avStreams int
	for _, ps := range probe.Streams {
		if ps.CodecType != "video" && ps.CodecType != "audio" {
			continue
		}
		avStreams++
		var tr *Track
		for i := range r.Tracks {
			if r.Tracks[i].PID == ps.pid() {
				tr = &r.Tracks[i]
			}
		}
		if tr == nil {
			t.Errorf("no track for ffprobe stream %d (PID %#x, %s)", ps.Index, ps.pid(), ps.CodecName)
			continue
		}
		if tr.Dropped != 0 || len(tr.Changes) != 0 {
			t.Errorf("PID %#x: dropped %d, %d config changes", tr.PID, tr.Dropped, len(tr.Changes))
		}
		if want, _ := strconv.Atoi(ps.NbReadFrames); len(tr.Samples) != want {
			t.Errorf("PID %#x %s: got %d samples, ffprobe counts %d frames", tr.PID, ps.CodecName, len(tr.Samples), want)
		}
		var pkts []dmxtProbePacket
		for _, p := range probe.Packets {
			if p.StreamIndex == ps.Index {
				pkts = append(pkts, p)
			}
		}
		if len(pkts) != len(tr.Samples) {
			t.Errorf("PID %#x: got %d samples, ffprobe shows %d packets", tr.PID, len(tr.Samples), len(pkts))
			continue
		}
		if codec.RFC6381(tr.Info) == "" {
			t.Errorf("PID %#x: no codec string for %+v", tr.PID, tr.Info)
		}
		mod := func(v int64) int64 { return (v%dmxtWrap + dmxtWrap) % dmxtWrap }
		for i, s := range tr.Samples {
			if i > 0 && s.DTS <= tr.Samples[i-1].DTS {
				t.Errorf("PID %#x sample %d: DTS %d not after %d", tr.PID, i, s.DTS, tr.Samples[i-1].DTS)
			}
			if i+1 < len(tr.Samples) && int64(s.Duration) != tr.Samples[i+1].DTS-s.DTS {
				t.Errorf("PID %#x sample %d: duration %d, next DTS is %d later", tr.PID, i, s.Duration, tr.Samples[i+1].DTS-s.DTS)
			}
			if len(s.Data) == 0 {
				t.Errorf("PID %#x sample %d: empty", tr.PID, i)
			}
		}
		if n := len(tr.Samples); n >= 2 && tr.Samples[n-1].Duration != tr.Samples[n-2].Duration {
			t.Errorf("PID %#x: last duration %d, previous %d", tr.PID, tr.Samples[n-1].Duration, tr.Samples[n-2].Duration)
		}
		switch ps.CodecType {
		case "video":
			if tr.Info.Width != ps.Width || tr.Info.Height != ps.Height || tr.Info.Timescale != media.VideoTimescale {
				t.Errorf("PID %#x: %dx%d timescale %d, ffprobe says %dx%d", tr.PID, tr.Info.Width, tr.Info.Height, tr.Info.Timescale, ps.Width, ps.Height)
			}
			for i, s := range tr.Samples {
				p := pkts[i]
				if mod(s.DTS) != mod(*p.DTS) || mod(s.PTS()) != mod(*p.PTS) || s.Sync != strings.Contains(p.Flags, "K") {
					t.Errorf("PID %#x sample %d: DTS %d PTS %d sync %v; ffprobe dts %d pts %d flags %s",
						tr.PID, i, mod(s.DTS), mod(s.PTS()), s.Sync, *p.DTS, *p.PTS, p.Flags)
				}
			}
			if !tr.Samples[0].Sync {
				t.Errorf("PID %#x: first sample is not a sync sample", tr.PID)
			}
		case "audio":
			rate, _ := strconv.Atoi(ps.SampleRate)
			if tr.Info.SampleRate != rate || int(tr.Info.Timescale) != rate || tr.Info.Channels != ps.Channels || len(tr.Info.AudioConfig) == 0 {
				t.Errorf("PID %#x: %d Hz %d channels timescale %d config %x; ffprobe says %d Hz %d channels",
					tr.PID, tr.Info.SampleRate, tr.Info.Channels, tr.Info.Timescale, tr.Info.AudioConfig, rate, ps.Channels)
			}
			header := 0
			if tr.Info.Codec == media.CodecAAC {
				header = 7
			}
			// ffprobe times the frames after the first of a PES by adding a
			// frame duration truncated to 90 kHz ticks, so it drifts when
			// that duration is not a whole number of ticks.
			tol := int64(1)
			if int64(tr.Samples[0].Duration)*90000%int64(rate) != 0 {
				tol = 10
			}
			for i, s := range tr.Samples {
				p := pkts[i]
				got := media.Rescale(s.DTS, uint32(rate), 90000)
				if d := mod(got) - mod(*p.PTS); d < -tol || d > tol || !s.Sync {
					t.Errorf("PID %#x sample %d: DTS %d (%d at 90 kHz); ffprobe pts %d", tr.PID, i, s.DTS, mod(got), *p.PTS)
				}
				if size, _ := strconv.Atoi(p.Size); len(s.Data) != size-header {
					t.Errorf("PID %#x sample %d: %d bytes, ffprobe packet %d", tr.PID, i, len(s.Data), size)
				}
			}
		}
	}
	if avStreams != len(r.Tracks) {
		t.Errorf("got %d tracks, ffprobe shows %d audio/video streams", len(r.Tracks), avStreams)
	}
}

// dmxtCompareDecode rebuilds an elementary stream from each track's
// samples and checks that ffmpeg decodes it to the same frames as the
// stream in the original file.
func dmxtCompareDecode(t *testing.T, dir, orig string, r *DemuxResult) {
	t.Helper()
	for i, tr := range r.Tracks {
		var es []byte
		var format string
		switch tr.Info.Codec {
		case media.CodecH264, media.CodecH265:
			format = map[media.Codec]string{media.CodecH264: "h264", media.CodecH265: "hevc"}[tr.Info.Codec]
			for _, s := range tr.Samples {
				if s.Sync {
					for _, ps := range slicesConcat(tr.Info.VPS, tr.Info.SPS, tr.Info.PPS) {
						es = append(append(es, 0, 0, 0, 1), ps...)
					}
				}
				for b := s.Data; len(b) >= 4; {
					n := int(binary.BigEndian.Uint32(b))
					es = append(append(es, 0, 0, 0, 1), b[4:4+n]...)
					b = b[4+n:]
				}
			}
		case media.CodecAAC:
			format = "aac"
			asc := tr.Info.AudioConfig
			aot, sfi, ch := int(asc[0]>>3), int(asc[0]&7)<<1|int(asc[1]>>7), int(asc[1]>>3&0x0f)
			for _, s := range tr.Samples {
				n := 7 + len(s.Data)
				es = append(es, 0xff, 0xf1, byte((aot-1)<<6|sfi<<2|ch>>2), byte(ch&3<<6|n>>11), byte(n>>3), byte(n&7<<5|0x1f), 0xfc)
				es = append(es, s.Data...)
			}
		case media.CodecAC3, media.CodecEAC3:
			format = map[media.Codec]string{media.CodecAC3: "ac3", media.CodecEAC3: "eac3"}[tr.Info.Codec]
			for _, s := range tr.Samples {
				es = append(es, s.Data...)
			}
		}
		rebuilt := filepath.Join(dir, fmt.Sprintf("track%d.%s", i, format))
		if err := os.WriteFile(rebuilt, es, 0o644); err != nil {
			t.Fatal(err)
		}
		kind := "v"
		if tr.Info.Kind == media.KindAudio {
			kind = "a"
		}
		want := dmxtFrameHashes(t, orig, fmt.Sprintf("0:i:%#x", tr.PID), "")
		got := dmxtFrameHashes(t, rebuilt, "0:"+kind+":0", format)
		if len(want) == 0 || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("PID %#x: rebuilt %s stream decodes to %d frames, original to %d; first differing frame %d",
				tr.PID, format, len(got), len(want), dmxtFirstDiff(got, want))
		}
	}
}

func slicesConcat(lists ...[][]byte) [][]byte {
	var out [][]byte
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// dmxtFrameHashes decodes one stream of path and returns the MD5 of every
// decoded frame.
func dmxtFrameHashes(t *testing.T, path, stream, format string) []string {
	t.Helper()
	args := []string{"-hide_banner", "-loglevel", "error", "-nostdin"}
	if format != "" {
		args = append(args, "-f", format)
	}
	args = append(args, "-i", path, "-map", stream, "-f", "framemd5", "-")
	out, err := exec.Command("ffmpeg", args...).Output()
	if err != nil {
		t.Fatalf("ffmpeg %v: %v", args, err)
	}
	var hashes []string
	for _, line := range bytes.Split(out, []byte("\n")) {
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		f := strings.Split(string(line), ",")
		hashes = append(hashes, strings.TrimSpace(f[len(f)-1]))
	}
	return hashes
}

func dmxtFirstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestDemuxEAC3DependentSubstreams builds E-AC-3 access units of an
// independent and a dependent substream (ffmpeg's encoder writes only
// independent ones, so every other frame is relabelled dependent) and
// checks they come out as one sample each, even when an access unit
// straddles two PES packets.
func TestDemuxEAC3DependentSubstreams(t *testing.T) {
	dir := t.TempDir()
	raw := dmxtRead(t, dmxtFFmpeg(t, dir, "a.eac3", "-f", "lavfi", "-i", "sine=sample_rate=48000", "-c:a", "eac3", "-ac", "2", "-b:a", "96k", "-t", "0.5", "-f", "eac3"))
	var frames [][]byte
	for off := 0; off < len(raw); {
		h, err := codec.ParseEAC3Header(raw[off:])
		if err != nil {
			t.Fatal(err)
		}
		f := bytes.Clone(raw[off : off+h.FrameSize])
		if len(frames)%2 == 1 {
			f[2] = f[2]&0x3f | 1<<6 // strmtyp 1: dependent
		}
		frames = append(frames, f)
		off += h.FrameSize
	}
	n := len(frames) / 2 * 2
	frames = frames[:n]
	m := newDmxtMux()
	m.writeProgram(dmxtES{streamType: streamTypeEAC3, pid: dmxtAudioPID})
	// Two PES packets, split inside an access unit: between the
	// independent and the dependent frame of access unit 2.
	first := bytes.Join(frames[:5], nil)
	m.pes(dmxtAudioPID, 0xc0, 90000, -1, first, true)
	m.pes(dmxtAudioPID, 0xc0, -1, -1, bytes.Join(frames[5:], nil), true)
	r := demuxOK(t, m.out, DemuxOptions{Anchor: -1})
	tr := r.Tracks[0]
	if len(tr.Samples) != n/2 || tr.Dropped != 0 {
		t.Fatalf("got %d samples, dropped %d; want %d", len(tr.Samples), tr.Dropped, n/2)
	}
	for i, s := range tr.Samples {
		if want := append(bytes.Clone(frames[2*i]), frames[2*i+1]...); !bytes.Equal(s.Data, want) {
			t.Errorf("sample %d: %d bytes, want the %d bytes of frames %d and %d", i, len(s.Data), len(want), 2*i, 2*i+1)
		}
		if s.Duration != 1536 || s.DTS != 48000+int64(i)*1536 {
			t.Errorf("sample %d: DTS %d duration %d", i, s.DTS, s.Duration)
		}
	}
	// dec3 lists one dependent substream under the independent one.
	if cfg := tr.Info.AudioConfig; len(cfg) != 6 || cfg[4]&0x1e>>1 != 1 {
		t.Errorf("dec3 %x: want num_dep_sub 1", cfg)
	}
}
