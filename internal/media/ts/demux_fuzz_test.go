package ts

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"boxcar/internal/media"
)

// TestDemuxTestdata pins the committed sample segments (the fuzz seeds),
// so the demuxer is exercised on real encoder output without ffmpeg.
func TestDemuxTestdata(t *testing.T) {
	type track struct {
		codec    media.Codec
		samples  int
		width    int
		rate     int
		channels int
		language string
	}
	tests := []struct {
		file   string
		tracks []track
	}{
		{"h264_aac.ts", []track{{media.CodecH264, 4, 64, 0, 0, ""}, {media.CodecAAC, 10, 0, 22050, 1, ""}}},
		{"h265_ac3.ts", []track{{media.CodecH265, 3, 64, 0, 0, ""}, {media.CodecAC3, 7, 0, 32000, 1, ""}}},
		{"eac3.ts", []track{{media.CodecEAC3, 7, 0, 48000, 1, "eng"}}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			r := demuxOK(t, dmxtRead(t, filepath.Join("testdata", tc.file)), DemuxOptions{Anchor: -1})
			if len(r.Tracks) != len(tc.tracks) {
				t.Fatalf("got %d tracks, want %d", len(r.Tracks), len(tc.tracks))
			}
			for i, want := range tc.tracks {
				tr := r.Tracks[i]
				got := track{tr.Info.Codec, len(tr.Samples), tr.Info.Width, tr.Info.SampleRate, tr.Info.Channels, tr.Info.Language}
				if got != want {
					t.Errorf("track %d: got %+v, want %+v", i, got, want)
				}
				dmxtCheckTrack(t, tr)
			}
		})
	}
}

// dmxtCheckTrack checks invariants every demuxed track must hold.
func dmxtCheckTrack(t *testing.T, tr Track) {
	t.Helper()
	if len(tr.Samples) > MaxSamplesPerTrack {
		t.Fatalf("track %#x: %d samples", tr.PID, len(tr.Samples))
	}
	last := -1
	for _, c := range tr.Changes {
		if c.Index <= last || c.Index <= 0 || c.Index >= len(tr.Samples) {
			t.Fatalf("track %#x: change at %d of %d samples", tr.PID, c.Index, len(tr.Samples))
		}
		last = c.Index
	}
	if len(tr.Samples) > 0 && tr.Info.Timescale == 0 {
		t.Fatalf("track %#x: samples without a timescale", tr.PID)
	}
	for i, s := range tr.Samples {
		if len(s.Data) == 0 {
			t.Fatalf("track %#x sample %d: empty", tr.PID, i)
		}
		if tr.Info.Kind != media.KindVideo {
			if s.PTSOffset != 0 || !s.Sync || s.Duration == 0 {
				t.Fatalf("track %#x audio sample %d: %+v", tr.PID, i, s)
			}
			continue
		}
		// Well-formed AVCC/HVCC: 4-byte lengths that add up, no empty NAL
		// units, no parameter sets or delimiters left in.
		nalus := 0
		for b := s.Data; len(b) > 0; nalus++ {
			if len(b) < 4 {
				t.Fatalf("track %#x sample %d: %d trailing bytes", tr.PID, i, len(b))
			}
			n := int(binary.BigEndian.Uint32(b))
			if n == 0 || n > len(b)-4 {
				t.Fatalf("track %#x sample %d: NAL unit length %d of %d bytes", tr.PID, i, n, len(b)-4)
			}
			typ := b[4] & 0x1f
			if tr.Info.Codec == media.CodecH265 {
				typ = b[4] >> 1 & 0x3f
				if typ >= 32 && typ <= 35 {
					t.Fatalf("track %#x sample %d: H.265 NAL type %d in sample", tr.PID, i, typ)
				}
			} else if typ == 7 || typ == 8 || typ == 9 {
				t.Fatalf("track %#x sample %d: H.264 NAL type %d in sample", tr.PID, i, typ)
			}
			b = b[4+n:]
		}
		if nalus > MaxNALUsPerSample {
			t.Fatalf("track %#x sample %d: %d NAL units", tr.PID, i, nalus)
		}
	}
}

func FuzzDemux(f *testing.F) {
	for _, name := range []string{"h264_aac.ts", "h265_ac3.ts", "eac3.ts"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, int64(-1))
	}
	f.Add(dmxtBasicStream(), int64(5)<<33)
	m := newDmxtMux()
	m.writeProgram(dmxtVideoES, dmxtES{streamType: streamTypeSCTE35, pid: 0x1f0}, dmxtES{streamType: streamTypeMetadata, pid: 0x1f1})
	m.dmxtGOP(1<<33-3600, 2)
	m.psi(0x1f0, dmxtSCTE35)
	m.pes(0x1f1, 0xbd, 1000, -1, []byte("ID3\x04\x00\x00\x00\x00\x00\x00"), true)
	f.Add(m.out, int64(0))
	f.Fuzz(func(t *testing.T, data []byte, anchor int64) {
		if anchor > 1<<50 || anchor < -1<<50 {
			anchor = -1
		}
		r, err := Demux(data, DemuxOptions{Anchor: anchor})
		if err != nil {
			if r != nil {
				t.Fatalf("result with error %v", err)
			}
			return
		}
		for _, tr := range r.Tracks {
			dmxtCheckTrack(t, tr)
		}
		for _, d := range r.Data {
			if len(d.Units) > MaxDataUnits {
				t.Fatalf("data %#x: %d units", d.PID, len(d.Units))
			}
			for _, u := range d.Units {
				if d.Kind == DataSCTE35 && (len(u.Data) < 4 || u.Data[0] != tableIDSCTE35 || crc32MPEG2(u.Data) != 0) {
					t.Fatalf("data %#x: SCTE-35 unit %x", d.PID, u.Data)
				}
			}
		}
	})
}
