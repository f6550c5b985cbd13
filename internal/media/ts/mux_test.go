package ts

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"boxcar/internal/media"
)

// Parameter sets of x264 for 320x240, for synthetic H.264 samples.
var (
	muxtSPS = []byte{0x67, 0x64, 0x00, 0x0d, 0xac, 0xd9, 0x41, 0x41, 0xfb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10,
		0x00, 0x00, 0x03, 0x03, 0x20, 0xf1, 0x42, 0x99, 0x60}
	muxtPPS = []byte{0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0}
)

// muxtVideo makes n synthetic H.264 access units of the given sizes at
// fps, starting at dts, with an IDR every gop frames and B-frame-like
// composition offsets.
func muxtVideo(n, fps, gop int, dts int64, size func(i int) int) MuxTrack {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(fps)))
	dur := int64(media.VideoTimescale / fps)
	t := MuxTrack{Info: media.TrackInfo{Kind: media.KindVideo, Codec: media.CodecH264, Timescale: media.VideoTimescale,
		Width: 320, Height: 240, SPS: [][]byte{muxtSPS}, PPS: [][]byte{muxtPPS}}}
	for i := range n {
		sz := max(size(i), 6)
		data := make([]byte, sz)
		for j := range data {
			data[j] = byte(rng.Uint32()) | 1 // no zero bytes: no start code emulation
		}
		binary.BigEndian.PutUint32(data, uint32(sz-4))
		data[4] = 0x41
		sync := i%gop == 0
		if sync {
			data[4] = 0x65
		}
		t.Samples = append(t.Samples, media.Sample{DTS: dts + int64(i)*dur, PTSOffset: int32(dur * int64(1+i%3)),
			Duration: uint32(dur), Sync: sync, Data: data})
	}
	return t
}

// muxtAAC makes n synthetic AAC frames (48 kHz stereo) of size bytes
// starting at dts (in 48 kHz).
func muxtAAC(n, size int, dts int64) MuxTrack {
	t := MuxTrack{Info: media.TrackInfo{Kind: media.KindAudio, Codec: media.CodecAAC, Timescale: 48000,
		SampleRate: 48000, Channels: 2, AudioConfig: []byte{0x11, 0x90}, Language: "eng"}}
	for i := range n {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(i + j)
		}
		t.Samples = append(t.Samples, media.Sample{DTS: dts + int64(i)*1024, Duration: 1024, Sync: true, Data: data})
	}
	return t
}

// TestMuxStructure checks the stream rules (muxtCheck) on shapes ffmpeg
// does not produce, and that the demuxer gets the samples back.
func TestMuxStructure(t *testing.T) {
	const wrap = int64(1) << 33
	tests := []struct {
		name   string
		seq    uint64
		tracks []MuxTrack
	}{
		{"video and audio", 7, []MuxTrack{muxtVideo(50, 25, 25, 900000, func(i int) int { return 3000 + 100*i }), muxtAAC(94, 300, 480000)}},
		{"24 fps needs PCR-only packets", 0, []MuxTrack{muxtVideo(48, 24, 48, 0, func(int) int { return 500 })}},
		{"5 fps", 1, []MuxTrack{muxtVideo(10, 5, 5, 0, func(int) int { return 40000 })}},
		{"audio only", 15, []MuxTrack{muxtAAC(200, 200, 0)}},
		{"audio only with empty video track", 3, []MuxTrack{muxtVideo(0, 25, 25, 0, nil), muxtAAC(20, 200, 0)}},
		{"tiny frames", 2, []MuxTrack{muxtVideo(1, 25, 1, 0, func(int) int { return 6 }), muxtAAC(1, 1, 0)}},
		{"one huge frame", 9, []MuxTrack{muxtVideo(1, 25, 1, 0, func(int) int { return 2 << 20 })}},
		{"audio gap splits PES", 4, []MuxTrack{func() MuxTrack {
			a := muxtAAC(10, 100, 0)
			for i := 5; i < 10; i++ {
				a.Samples[i].DTS += 4096
			}
			return a
		}()}},
		{"audio leads video by 300 ms", 6, []MuxTrack{
			muxtVideo(50, 25, 25, 90000, func(int) int { return 2000 }),
			muxtAAC(100, 300, media.Rescale(90000-27000, media.VideoTimescale, 48000)),
		}},
		{"timestamps cross 2^33", 1 << 40, []MuxTrack{
			muxtVideo(50, 25, 25, wrap-45000, func(int) int { return 2000 }),
			muxtAAC(94, 300, media.Rescale(wrap-45000, media.VideoTimescale, 48000)),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Mux(tc.tracks, MuxOptions{Sequence: tc.seq})
			if err != nil {
				t.Fatalf("Mux: %v", err)
			}
			muxtCheck(t, r, tc.seq, tc.tracks)
			muxtDemuxBack(t, r.Data, tc.tracks)
		})
	}
}

// muxtDemuxBack demuxes a segment with Demux and compares its samples with
// the muxed ones (durations of last samples aside: TS does not carry them).
func muxtDemuxBack(t *testing.T, data []byte, tracks []MuxTrack) {
	t.Helper()
	var anchor int64 = -1
	for _, tr := range tracks {
		if len(tr.Samples) > 0 && tr.Info.Kind == media.KindVideo {
			anchor = tr.Samples[0].DTS
		}
	}
	if anchor < 0 {
		for _, tr := range tracks {
			if len(tr.Samples) > 0 {
				anchor = media.Rescale(tr.Samples[0].DTS, tr.Info.Timescale, media.VideoTimescale)
			}
		}
	}
	res, err := Demux(data, DemuxOptions{Anchor: anchor})
	if err != nil {
		t.Fatalf("Demux: %v", err)
	}
	if res.ContinuityErrors != 0 {
		t.Errorf("Demux counts %d continuity errors", res.ContinuityErrors)
	}
	for _, tr := range tracks {
		if len(tr.Samples) == 0 {
			continue
		}
		var got *Track
		for i := range res.Tracks {
			if res.Tracks[i].Info.Kind == tr.Info.Kind {
				got = &res.Tracks[i]
			}
		}
		if got == nil {
			t.Fatalf("Demux found no %s track", tr.Info.Kind)
		}
		if got.Dropped != 0 || got.Info.Codec != tr.Info.Codec {
			t.Errorf("%s: demuxed codec %s, %d dropped", tr.Info.Kind, got.Info.Codec, got.Dropped)
		}
		want := append([]media.Sample(nil), tr.Samples...)
		back := append([]media.Sample(nil), got.Samples...)
		if len(back) == len(want) {
			back[len(back)-1].Duration = want[len(want)-1].Duration
		}
		for i := range back {
			// Durations come from the next DTS, which a gap lengthens.
			if i+1 < len(want) && want[i].DTS+int64(want[i].Duration) != want[i+1].DTS {
				back[i].Duration = want[i].Duration
			}
		}
		// bytes.Equal on sample data: element-wise cmp takes seconds on
		// the 2 MB frame.
		if diff := cmp.Diff(want, back, cmp.Comparer(bytes.Equal)); diff != "" {
			t.Errorf("%s samples after Mux and Demux (-muxed +demuxed):\n%s", tr.Info.Kind, diff)
		}
		if tr.Info.Kind == media.KindVideo && (!equalSets(got.Info.SPS, tr.Info.SPS) || !equalSets(got.Info.PPS, tr.Info.PPS)) {
			t.Errorf("demuxed parameter sets differ")
		}
		if tr.Info.Kind == media.KindAudio && got.Info.Language != tr.Info.Language {
			t.Errorf("demuxed language %q, want %q", got.Info.Language, tr.Info.Language)
		}
	}
}

func equalSets(a, b [][]byte) bool {
	return cmp.Equal(a, b)
}

func TestMuxSequenceCounters(t *testing.T) {
	tracks := []MuxTrack{muxtAAC(10, 100, 0)}
	for _, seq := range []uint64{0, 1, 15, 16, 17, 1<<64 - 1} {
		r, err := Mux(tracks, MuxOptions{Sequence: seq})
		if err != nil {
			t.Fatal(err)
		}
		if cc := r.Data[3] & 0xf; uint64(cc) != seq%16 {
			t.Errorf("sequence %d: PAT continuity_counter %d", seq, cc)
		}
	}
}

func TestAppendMux(t *testing.T) {
	tracks := []MuxTrack{muxtVideo(25, 25, 25, 0, func(int) int { return 1000 }), muxtAAC(47, 200, 0)}
	want, err := Mux(tracks, MuxOptions{Sequence: 5})
	if err != nil {
		t.Fatal(err)
	}
	prefix := []byte("prefix")
	got, err := AppendMux(prefix, tracks, MuxOptions{Sequence: 5})
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Data[:6]) != "prefix" || string(got.Data[6:]) != string(want.Data) {
		t.Errorf("AppendMux did not append the segment Mux writes")
	}
	if len(got.Keyframes) != 1 || got.Keyframes[0].Offset != want.Keyframes[0].Offset+6 {
		t.Errorf("keyframes %+v, want %+v shifted by 6", got.Keyframes, want.Keyframes)
	}
}

func TestMuxErrors(t *testing.T) {
	video := muxtVideo(2, 25, 25, 0, func(int) int { return 100 })
	audio := muxtAAC(2, 100, 0)
	with := func(tr MuxTrack, mod func(*MuxTrack)) MuxTrack {
		tr.Info.SPS = append([][]byte(nil), tr.Info.SPS...)
		tr.Samples = append([]media.Sample(nil), tr.Samples...)
		mod(&tr)
		return tr
	}
	tests := []struct {
		name   string
		tracks []MuxTrack
	}{
		{"no tracks", nil},
		{"three tracks", []MuxTrack{video, audio, audio}},
		{"two video tracks", []MuxTrack{video, video}},
		{"two audio tracks", []MuxTrack{audio, audio}},
		{"no samples", []MuxTrack{muxtAAC(0, 1, 0)}},
		{"unknown codec", []MuxTrack{with(audio, func(t *MuxTrack) { t.Info.Codec = 0 })}},
		{"video without SPS", []MuxTrack{with(video, func(t *MuxTrack) { t.Info.SPS = nil })}},
		{"H.265 without VPS", []MuxTrack{with(video, func(t *MuxTrack) { t.Info.Codec = media.CodecH265 })}},
		{"video timescale not 90 kHz", []MuxTrack{with(video, func(t *MuxTrack) { t.Info.Timescale = 1000 })}},
		{"bad AudioSpecificConfig", []MuxTrack{with(audio, func(t *MuxTrack) { t.Info.AudioConfig = []byte{0xff} })}},
		{"audio without timescale", []MuxTrack{with(audio, func(t *MuxTrack) { t.Info.Timescale = 0 })}},
		{"bad NAL length", []MuxTrack{with(video, func(t *MuxTrack) {
			t.Samples[1] = media.Sample{DTS: 3600, Data: []byte{0, 0, 1, 0, 0x41}}
		})}},
		{"samples out of order", []MuxTrack{with(video, func(t *MuxTrack) { t.Samples[0].DTS = 7200 })}},
		{"segment of 11 minutes", []MuxTrack{with(video, func(t *MuxTrack) { t.Samples[1].DTS = 660 * 90000 })}},
		{"empty audio frame", []MuxTrack{with(audio, func(t *MuxTrack) { t.Samples[1].Data = nil })}},
		{"AAC frame too large for ADTS", []MuxTrack{with(audio, func(t *MuxTrack) { t.Samples[1].Data = make([]byte, 8190) })}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Mux(tc.tracks, MuxOptions{}); !errors.Is(err, ErrMuxInput) {
				t.Errorf("Mux error = %v, want ErrMuxInput", err)
			}
		})
	}
}

// TestMuxWrapFFmpeg shifts ffmpeg-encoded media to 0.5 s before the 33-bit
// wrap: the segment crossing it must decode without a message, and
// consecutive segments concatenate without continuity errors.
func TestMuxWrapFFmpeg(t *testing.T) {
	dir := t.TempDir()
	segs := muxtSource(t, dir, append(append(muxtLavfi(48000), muxtX264...), "-c:a", "aac", "-t", "4")...)
	const shift = int64(1)<<33 - 45000
	var names []string
	for i, seg := range segs {
		for k := range seg {
			ts := seg[k].Info.Timescale
			off := media.Rescale(shift, media.VideoTimescale, ts)
			samples := append([]media.Sample(nil), seg[k].Samples...)
			for j := range samples {
				samples[j].DTS += off
			}
			seg[k].Samples = samples
		}
		r, err := Mux(seg, MuxOptions{Sequence: uint64(i)})
		if err != nil {
			t.Fatal(err)
		}
		muxtCheck(t, r, uint64(i), seg)
		muxtDemuxBack(t, r.Data, seg)
		name := filepath.Join(dir, "wrap"+string(rune('0'+i))+".ts")
		if err := writeFile(name, r.Data); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
		muxtCheckAlone(t, name, seg)
	}
	_, logs := muxtRun(t, "ffmpeg", "-v", "debug", "-i", "concat:"+names[0]+"|"+names[1], "-f", "null", "-")
	if containsAny(logs, "Continuity check failed", "Invalid timestamps", "Non-monotonous") {
		t.Errorf("ffmpeg complains about the concatenation across the wrap")
	}
}
