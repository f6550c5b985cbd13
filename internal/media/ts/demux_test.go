package ts

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"boxcar/internal/media"
)

// Parameter sets and NAL units for synthetic H.264 streams (from libx264).
var (
	dmxtSPS320  = dmxtHex("6764000dacd94141fb011000000300100000030320f1429960") // 320x240, 25 fps VUI timing
	dmxtSPS640  = dmxtHex("6742c01ed900a02ff97011000003000100000300320f162e48") // 640x360 baseline
	dmxtPPS     = dmxtHex("68ebe3cb22c0")
	dmxtAUD     = []byte{0x09, 0xf0}
	dmxtSEI     = []byte{0x06, 0x04, 0x02, 0xab, 0xcd, 0x80}
	dmxtIDR     = append([]byte{0x65, 0x88, 0x84}, bytes.Repeat([]byte{0x5a}, 300)...)
	dmxtSlice   = append([]byte{0x41, 0x9a, 0x02}, bytes.Repeat([]byte{0x3c}, 250)...)
	dmxtSmallP  = []byte{0x41, 0x9a, 0x04, 0x11}
	dmxtADTSPay = bytes.Repeat([]byte{0x21}, 100)
)

func dmxtHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// dmxtAnnexB joins NAL units with 4-byte start codes.
func dmxtAnnexB(nalus ...[]byte) []byte {
	var b []byte
	for _, n := range nalus {
		b = append(b, 0, 0, 0, 1)
		b = append(b, n...)
	}
	return b
}

// dmxtAVCC joins NAL units with 4-byte lengths.
func dmxtAVCC(nalus ...[]byte) []byte {
	var b []byte
	for _, n := range nalus {
		b = binary.BigEndian.AppendUint32(b, uint32(len(n)))
		b = append(b, n...)
	}
	return b
}

// dmxtADTS builds an ADTS frame (AAC-LC, no CRC) around payload.
func dmxtADTS(sfi, channels int, payload []byte) []byte {
	n := 7 + len(payload)
	h := []byte{0xff, 0xf1, byte(1<<6 | sfi<<2 | channels>>2), byte(channels&3<<6 | n>>11), byte(n >> 3), byte(n&7<<5 | 0x1f), 0xfc}
	return append(h, payload...)
}

const (
	dmxtVideoPID = 0x100
	dmxtAudioPID = 0x101
	dmxtDataPID  = 0x102
)

var (
	dmxtVideoES = dmxtES{streamType: streamTypeH264, pid: dmxtVideoPID}
	dmxtAudioES = dmxtES{streamType: streamTypeAAC, pid: dmxtAudioPID}
)

// dmxtGOP writes n H.264 access units at 25 fps starting at dts, the first
// an IDR with parameter sets, each PES unbounded as video PES usually are.
func (m *dmxtMux) dmxtGOP(dts int64, n int) {
	for i := range n {
		t := dts + int64(i)*3600
		if i == 0 {
			m.pes(dmxtVideoPID, 0xe0, t+7200, t, dmxtAnnexB(dmxtAUD, dmxtSPS320, dmxtPPS, dmxtSEI, dmxtIDR), false)
		} else {
			m.pes(dmxtVideoPID, 0xe0, t+7200, t, dmxtAnnexB(dmxtAUD, dmxtSlice), false)
		}
	}
}

func demuxOK(t *testing.T, data []byte, opts DemuxOptions) *DemuxResult {
	t.Helper()
	r, err := Demux(data, opts)
	if err != nil {
		t.Fatalf("Demux: %v", err)
	}
	return r
}

func TestDemuxH264Synthetic(t *testing.T) {
	m := newDmxtMux()
	m.writeProgram(dmxtVideoES)
	m.dmxtGOP(900000, 3)
	r := demuxOK(t, m.out, DemuxOptions{Anchor: -1})
	if len(r.Tracks) != 1 || len(r.Data) != 0 {
		t.Fatalf("got %d tracks %d data streams, want 1 and 0", len(r.Tracks), len(r.Data))
	}
	tr := r.Tracks[0]
	wantInfo := media.TrackInfo{
		Kind: media.KindVideo, Codec: media.CodecH264, Timescale: 90000,
		Width: 320, Height: 240, SPS: [][]byte{dmxtSPS320}, PPS: [][]byte{dmxtPPS},
	}
	if diff := cmp.Diff(wantInfo, tr.Info); diff != "" {
		t.Errorf("info (-want +got):\n%s", diff)
	}
	want := []media.Sample{
		{DTS: 900000, PTSOffset: 7200, Duration: 3600, Sync: true, Data: dmxtAVCC(dmxtSEI, dmxtIDR)},
		{DTS: 903600, PTSOffset: 7200, Duration: 3600, Data: dmxtAVCC(dmxtSlice)},
		{DTS: 907200, PTSOffset: 7200, Duration: 3600, Data: dmxtAVCC(dmxtSlice)},
	}
	if diff := cmp.Diff(want, tr.Samples); diff != "" {
		t.Errorf("samples (-want +got):\n%s", diff)
	}
	if tr.PID != dmxtVideoPID || tr.StreamType != streamTypeH264 || tr.Dropped != 0 || r.ContinuityErrors != 0 || r.ProgramNumber != 1 {
		t.Errorf("got PID %#x type %#x dropped %d cc errors %d program %d", tr.PID, tr.StreamType, tr.Dropped, r.ContinuityErrors, r.ProgramNumber)
	}
}

func TestDemuxVideoCases(t *testing.T) {
	tests := []struct {
		name  string
		build func(m *dmxtMux)
		check func(t *testing.T, tr Track)
	}{
		{
			name: "access unit split over two PES",
			build: func(m *dmxtMux) {
				m.pes(dmxtVideoPID, 0xe0, 1000, -1, dmxtAnnexB(dmxtSPS320, dmxtPPS, dmxtIDR), false)
				m.pes(dmxtVideoPID, 0xe0, -1, -1, dmxtAnnexB(dmxtSlice), false) // second slice, no PTS
				m.pes(dmxtVideoPID, 0xe0, 4600, -1, dmxtAnnexB(dmxtSmallP), false)
			},
			check: func(t *testing.T, tr Track) {
				want := []media.Sample{
					{DTS: 1000, Duration: 3600, Sync: true, Data: dmxtAVCC(dmxtIDR, dmxtSlice)},
					{DTS: 4600, Duration: 3600, Data: dmxtAVCC(dmxtSmallP)},
				}
				if diff := cmp.Diff(want, tr.Samples); diff != "" {
					t.Errorf("samples (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "parameter sets and SEI in their own PES",
			build: func(m *dmxtMux) {
				m.pes(dmxtVideoPID, 0xe0, 1000, -1, dmxtAnnexB(dmxtAUD, dmxtSPS320, dmxtPPS, dmxtSEI), false)
				m.pes(dmxtVideoPID, 0xe0, 1000, -1, dmxtAnnexB(dmxtIDR), false)
			},
			check: func(t *testing.T, tr Track) {
				want := []media.Sample{{DTS: 1000, Duration: 3600, Sync: true, Data: dmxtAVCC(dmxtSEI, dmxtIDR)}}
				if diff := cmp.Diff(want, tr.Samples); diff != "" {
					t.Errorf("samples (-want +got):\n%s", diff)
				}
				if len(tr.Info.SPS) != 1 || tr.Info.Width != 320 {
					t.Errorf("info %+v", tr.Info)
				}
			},
		},
		{
			name: "samples before the first IDR are kept",
			build: func(m *dmxtMux) {
				m.pes(dmxtVideoPID, 0xe0, 1000, -1, dmxtAnnexB(dmxtSlice), false)
				m.pes(dmxtVideoPID, 0xe0, 4600, -1, dmxtAnnexB(dmxtSPS320, dmxtPPS, dmxtIDR), false)
			},
			check: func(t *testing.T, tr Track) {
				if len(tr.Samples) != 2 || tr.Samples[0].Sync || !tr.Samples[1].Sync {
					t.Fatalf("got %d samples %+v", len(tr.Samples), tr.Samples)
				}
				if tr.Info.Width != 320 || len(tr.Changes) != 0 {
					t.Errorf("info %dx%d, %d changes", tr.Info.Width, tr.Info.Height, len(tr.Changes))
				}
			},
		},
		{
			name: "SPS change mid-segment",
			build: func(m *dmxtMux) {
				m.pes(dmxtVideoPID, 0xe0, 1000, -1, dmxtAnnexB(dmxtSPS320, dmxtPPS, dmxtIDR), false)
				m.pes(dmxtVideoPID, 0xe0, 4600, -1, dmxtAnnexB(dmxtSlice), false)
				m.pes(dmxtVideoPID, 0xe0, 8200, -1, dmxtAnnexB(dmxtSPS320, dmxtPPS, dmxtIDR), false) // repeated: no change
				m.pes(dmxtVideoPID, 0xe0, 11800, -1, dmxtAnnexB(dmxtSPS640, dmxtPPS, dmxtIDR), false)
				m.pes(dmxtVideoPID, 0xe0, 15400, -1, dmxtAnnexB(dmxtSlice), false)
			},
			check: func(t *testing.T, tr Track) {
				if len(tr.Samples) != 5 {
					t.Fatalf("got %d samples", len(tr.Samples))
				}
				if len(tr.Changes) != 1 {
					t.Fatalf("got %d changes, want 1", len(tr.Changes))
				}
				c := tr.Changes[0]
				if c.Index != 3 || c.Info.Width != 640 || c.Info.Height != 360 || !bytes.Equal(c.Info.SPS[0], dmxtSPS640) || !bytes.Equal(c.Info.PPS[0], dmxtPPS) {
					t.Errorf("change %+v", c)
				}
				if tr.Info.Width != 320 || !bytes.Equal(tr.Info.SPS[0], dmxtSPS320) {
					t.Errorf("info %+v", tr.Info)
				}
			},
		},
		{
			name: "single sample gets its duration from the SPS frame rate",
			build: func(m *dmxtMux) {
				m.pes(dmxtVideoPID, 0xe0, 1000, -1, dmxtAnnexB(dmxtSPS320, dmxtPPS, dmxtIDR), true)
			},
			check: func(t *testing.T, tr Track) {
				if len(tr.Samples) != 1 || tr.Samples[0].Duration != 3600 {
					t.Errorf("got %+v", tr.Samples)
				}
			},
		},
		{
			name: "unparsable SPS drops the access unit",
			build: func(m *dmxtMux) {
				m.pes(dmxtVideoPID, 0xe0, 1000, -1, dmxtAnnexB([]byte{0x67, 0x64}, dmxtPPS, dmxtIDR), false)
				m.pes(dmxtVideoPID, 0xe0, 4600, -1, dmxtAnnexB(dmxtSPS320, dmxtPPS, dmxtIDR), false)
			},
			check: func(t *testing.T, tr Track) {
				if len(tr.Samples) != 1 || tr.Dropped != 1 || tr.Samples[0].DTS != 4600 {
					t.Errorf("got %d samples, dropped %d", len(tr.Samples), tr.Dropped)
				}
			},
		},
		{
			name: "forbidden_zero_bit drops the access unit",
			build: func(m *dmxtMux) {
				m.pes(dmxtVideoPID, 0xe0, 1000, -1, dmxtAnnexB(dmxtSPS320, dmxtPPS, dmxtIDR), false)
				m.pes(dmxtVideoPID, 0xe0, 4600, -1, dmxtAnnexB([]byte{0xc1, 0x00, 0x01}), false)
			},
			check: func(t *testing.T, tr Track) {
				if len(tr.Samples) != 1 || tr.Dropped != 1 {
					t.Errorf("got %d samples, dropped %d", len(tr.Samples), tr.Dropped)
				}
			},
		},
		{
			name: "continuation without a started access unit is dropped",
			build: func(m *dmxtMux) {
				m.pes(dmxtVideoPID, 0xe0, -1, -1, dmxtAnnexB(dmxtSlice), false)
				m.pes(dmxtVideoPID, 0xe0, 1000, -1, dmxtAnnexB(dmxtSPS320, dmxtPPS, dmxtIDR), false)
			},
			check: func(t *testing.T, tr Track) {
				if len(tr.Samples) != 1 || tr.Dropped != 1 {
					t.Errorf("got %d samples, dropped %d", len(tr.Samples), tr.Dropped)
				}
			},
		},
		{
			name: "DTS that does not increase gives duration 0",
			build: func(m *dmxtMux) {
				m.pes(dmxtVideoPID, 0xe0, 1000, -1, dmxtAnnexB(dmxtSPS320, dmxtPPS, dmxtIDR), false)
				m.pes(dmxtVideoPID, 0xe0, 1000, -1, dmxtAnnexB(dmxtSlice), false)
				m.pes(dmxtVideoPID, 0xe0, 4600, -1, dmxtAnnexB(dmxtSlice), false)
			},
			check: func(t *testing.T, tr Track) {
				if len(tr.Samples) != 3 || tr.Samples[0].Duration != 0 || tr.Samples[1].Duration != 3600 {
					t.Errorf("got %+v", tr.Samples)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newDmxtMux()
			m.writeProgram(dmxtVideoES)
			tc.build(m)
			r := demuxOK(t, m.out, DemuxOptions{Anchor: -1})
			tc.check(t, r.Tracks[0])
		})
	}
}

func TestDemuxAACCases(t *testing.T) {
	frame := func(i int) []byte { return dmxtADTS(3, 2, append([]byte{byte(i)}, dmxtADTSPay...)) } // 48 kHz stereo
	// 1024 samples at 48 kHz are 1920 ticks of 90 kHz.
	tests := []struct {
		name    string
		build   func(m *dmxtMux)
		wantDTS []int64
		dropped int
		changes int
	}{
		{
			name: "several frames per PES",
			build: func(m *dmxtMux) {
				m.pes(dmxtAudioPID, 0xc0, 90000, -1, append(frame(0), frame(1)...), true)
				m.pes(dmxtAudioPID, 0xc0, 90000+2*1920, -1, frame(2), true)
			},
			wantDTS: []int64{48000, 49024, 50048},
		},
		{
			name: "frames straddle PES packets",
			build: func(m *dmxtMux) {
				all := append(append(frame(0), frame(1)...), frame(2)...)
				m.pes(dmxtAudioPID, 0xc0, 90000, -1, all[:150], true)           // frame 0 and the start of 1
				m.pes(dmxtAudioPID, 0xc0, 90000+2*1920, -1, all[150:250], true) // rest of 1, start of 2: PTS is frame 2's
				m.pes(dmxtAudioPID, 0xc0, -1, -1, all[250:], true)
			},
			wantDTS: []int64{48000, 49024, 50048},
		},
		{
			name: "a PES holding only the start of a frame brings its PTS along",
			build: func(m *dmxtMux) {
				f := frame(0)
				m.pes(dmxtAudioPID, 0xc0, 90000, -1, f[:50], true)
				m.pes(dmxtAudioPID, 0xc0, -1, -1, f[50:], true)
			},
			wantDTS: []int64{48000},
		},
		{
			name: "jitter below half a frame keeps the running time",
			build: func(m *dmxtMux) {
				m.pes(dmxtAudioPID, 0xc0, 90000, -1, frame(0), true)
				m.pes(dmxtAudioPID, 0xc0, 90000+1920+900, -1, frame(1), true)
			},
			wantDTS: []int64{48000, 49024},
		},
		{
			name: "a jump over half a frame re-anchors",
			build: func(m *dmxtMux) {
				m.pes(dmxtAudioPID, 0xc0, 90000, -1, frame(0), true)
				m.pes(dmxtAudioPID, 0xc0, 90000+1920+1000, -1, frame(1), true)
			},
			wantDTS: []int64{48000, 49024 + 533},
		},
		{
			name: "frames before any PTS are dropped",
			build: func(m *dmxtMux) {
				m.pes(dmxtAudioPID, 0xc0, -1, -1, frame(0), true)
				m.pes(dmxtAudioPID, 0xc0, 90000, -1, frame(1), true)
			},
			wantDTS: []int64{48000},
			dropped: 1,
		},
		{
			name: "garbage in a PES drops the whole PES",
			build: func(m *dmxtMux) {
				m.pes(dmxtAudioPID, 0xc0, 90000, -1, append(frame(0), 1, 2, 3, 4, 5, 6, 7, 8), true)
				m.pes(dmxtAudioPID, 0xc0, 90000+1920, -1, frame(1), true)
			},
			wantDTS: []int64{49024},
			dropped: 1,
		},
		{
			name: "truncated last frame is dropped",
			build: func(m *dmxtMux) {
				m.pes(dmxtAudioPID, 0xc0, 90000, -1, append(frame(0), frame(1)[:20]...), true)
			},
			wantDTS: []int64{48000},
			dropped: 1,
		},
		{
			name: "sample rate change",
			build: func(m *dmxtMux) {
				m.pes(dmxtAudioPID, 0xc0, 90000, -1, frame(0), true)
				m.pes(dmxtAudioPID, 0xc0, 90000+1920, -1, dmxtADTS(4, 2, append([]byte{1}, dmxtADTSPay...)), true) // 44.1 kHz
			},
			wantDTS: []int64{48000, 45041}, // 92880 ticks of 90 kHz at 44.1 kHz
			changes: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newDmxtMux()
			m.writeProgram(dmxtAudioES)
			tc.build(m)
			r := demuxOK(t, m.out, DemuxOptions{Anchor: -1})
			tr := r.Tracks[0]
			var got []int64
			for _, s := range tr.Samples {
				got = append(got, s.DTS)
				if s.Duration != 1024 || !s.Sync || len(s.Data) != 101 {
					t.Errorf("sample %+v: want duration 1024, sync, 101 bytes", s)
				}
			}
			if diff := cmp.Diff(tc.wantDTS, got); diff != "" {
				t.Errorf("DTS (-want +got):\n%s", diff)
			}
			if tr.Dropped != tc.dropped || len(tr.Changes) != tc.changes {
				t.Errorf("dropped %d changes %d, want %d and %d", tr.Dropped, len(tr.Changes), tc.dropped, tc.changes)
			}
			if len(tr.Samples) > 0 {
				want := media.TrackInfo{Kind: media.KindAudio, Codec: media.CodecAAC, Timescale: 48000, SampleRate: 48000, Channels: 2, AudioConfig: []byte{0x11, 0x90}}
				if diff := cmp.Diff(want, tr.Info); diff != "" {
					t.Errorf("info (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// dmxtSCTE35 is a valid time_signal splice_info_section (SCTE 35 §14.1).
var dmxtSCTE35 = dmxtHex("fc3034000000000000fffff00506fe72bd0050001e021c435545494800008e7fcf0001a599b00808000000002ca0a18a3402009ac9d17e")

func TestDemuxDataStreams(t *testing.T) {
	m := newDmxtMux()
	id3Desc := []byte{descMetadata, 15, 0xff, 0xff, 'I', 'D', '3', ' ', 0xff, 'I', 'D', '3', ' ', 0x00, 0x1f, 0, 0}
	m.writeProgram(dmxtVideoES,
		dmxtES{streamType: streamTypeSCTE35, pid: 0x1f0, descs: []byte{0x8a, 1, 0x01}},
		dmxtES{streamType: streamTypeMetadata, pid: 0x1f1, descs: id3Desc},
		dmxtES{streamType: 0x05, pid: 0x1f2}, // private sections: other
		dmxtES{streamType: streamTypePrivatePES, pid: 0x1f3, descs: []byte{descRegistration, 4, 'I', 'D', '3', ' '}},
	)
	m.dmxtGOP(900000, 1)
	// Two sections in one packet, then one spanning two packets, then a
	// section with a bad CRC.
	two := append(append([]byte{0}, dmxtSCTE35...), dmxtSCTE35...)
	m.packet(0x1f0, true, append(two, bytes.Repeat([]byte{0xff}, 184-len(two))...))
	long := append([]byte{}, dmxtSCTE35...)
	m.dmxtGOP(903600, 1)
	pad := append(append([]byte{0}, bytes.Repeat([]byte{0xff}, 0)...), long...)
	m.packet(0x1f0, true, append(bytes.Repeat([]byte{0xff}, 0), append([]byte{byte(184 - 1 - 30)}, append(bytes.Repeat([]byte{0xee}, 184-1-30), long[:30]...)...)...))
	m.packet(0x1f0, false, append(long[30:], bytes.Repeat([]byte{0xff}, 184-len(long)+30)...))
	_ = pad
	bad := append([]byte{}, dmxtSCTE35...)
	bad[len(bad)-1] ^= 1
	m.psi(0x1f0, bad)
	id3 := append([]byte("ID3\x04\x00\x00\x00\x00\x00\x10"), bytes.Repeat([]byte{7}, 16)...)
	m.pes(0x1f1, 0xbd, 903600+3000, -1, id3, true)
	m.packet(0x1f2, true, bytes.Repeat([]byte{0x42}, 184))
	m.pes(0x1f3, 0xbd, -1, -1, id3, true)
	r := demuxOK(t, m.out, DemuxOptions{Anchor: -1})

	if len(r.Data) != 4 {
		t.Fatalf("got %d data streams, want 4", len(r.Data))
	}
	scte := r.Data[0]
	if scte.Kind != DataSCTE35 || scte.PID != 0x1f0 || scte.StreamType != streamTypeSCTE35 {
		t.Errorf("stream 0: %v PID %#x type %#x", scte.Kind, scte.PID, scte.StreamType)
	}
	if len(scte.Units) != 3 || scte.Dropped != 1 {
		t.Fatalf("scte-35: got %d units, dropped %d; want 3 and 1", len(scte.Units), scte.Dropped)
	}
	for i, u := range scte.Units {
		if !bytes.Equal(u.Data, dmxtSCTE35) {
			t.Errorf("unit %d: got %x", i, u.Data)
		}
	}
	// Arrival: the PTS of the last video PES started before each section.
	if got := []int64{scte.Units[0].PTS, scte.Units[1].PTS, scte.Units[2].PTS}; !cmp.Equal(got, []int64{907200, 907200, 910800}) {
		t.Errorf("scte-35 arrival PTS %v", got)
	}
	id3s := r.Data[1]
	if id3s.Kind != DataID3 || len(id3s.Units) != 1 || id3s.Units[0].PTS != 906600 || !bytes.Equal(id3s.Units[0].Data, id3) {
		t.Errorf("id3: %+v", id3s)
	}
	other := r.Data[2]
	if other.Kind != DataOther || len(other.Units) != 1 || other.Units[0].PTS != -1 || len(other.Units[0].Data) != 184 {
		t.Errorf("other: %+v", other)
	}
	if reg := r.Data[3]; reg.Kind != DataID3 || len(reg.Units) != 1 || reg.Units[0].PTS != -1 {
		t.Errorf("id3 by registration: %+v", reg)
	}
}

func TestDemuxClassify(t *testing.T) {
	m := newDmxtMux()
	lang := func(l string) []byte { return []byte{descISO639, 4, l[0], l[1], l[2], 0} }
	m.writeProgram(
		dmxtES{streamType: streamTypeH265, pid: 0x100},
		dmxtES{streamType: streamTypeAAC, pid: 0x101, descs: lang("eng")},
		dmxtES{streamType: streamTypeAC3, pid: 0x102, descs: lang("SPA")},
		dmxtES{streamType: streamTypeEAC3, pid: 0x103},
		dmxtES{streamType: streamTypePrivatePES, pid: 0x104, descs: []byte{descDVBAC3, 1, 0}},
		dmxtES{streamType: streamTypePrivatePES, pid: 0x105, descs: append([]byte{descDVBEAC3, 1, 0}, lang("fra")...)},
		dmxtES{streamType: streamTypePrivatePES, pid: 0x106, descs: []byte{descRegistration, 4, 'A', 'C', '-', '3'}},
		dmxtES{streamType: streamTypePrivatePES, pid: 0x107, descs: []byte{descRegistration, 4, 'E', 'A', 'C', '3'}},
		dmxtES{streamType: streamTypePrivatePES, pid: 0x108, descs: []byte{0x59, 8, 'e', 'n', 'g', 0x10, 0, 1, 0, 1}}, // DVB subtitles
		dmxtES{streamType: 0x03, pid: 0x109},                                                                          // MPEG-1 audio: not supported, kept as data
		dmxtES{streamType: 0xdb, pid: 0x10a},                                                                          // SAMPLE-AES H.264: kept as data
		dmxtES{streamType: streamTypeMetadata, pid: 0x10b},
		dmxtES{streamType: streamTypeMetadata, pid: 0x10c, descs: []byte{descMetadata, 5, 0x01, 0x00, 0x02, 0x00, 0x00}},
		dmxtES{streamType: streamTypeH264, pid: 0x10d, descs: lang("e1g")},
		dmxtES{streamType: streamTypeH264, pid: 0x10d},  // duplicate PID: ignored
		dmxtES{streamType: streamTypeH264, pid: 0x0001}, // reserved PID: ignored
	)
	r := demuxOK(t, m.out, DemuxOptions{Anchor: -1})
	type tk struct {
		PID      uint16
		Codec    media.Codec
		Language string
	}
	var gotTracks []tk
	for _, tr := range r.Tracks {
		gotTracks = append(gotTracks, tk{tr.PID, tr.Info.Codec, tr.Info.Language})
	}
	wantTracks := []tk{
		{0x100, media.CodecH265, ""}, {0x101, media.CodecAAC, "eng"}, {0x102, media.CodecAC3, "spa"},
		{0x103, media.CodecEAC3, ""}, {0x104, media.CodecAC3, ""}, {0x105, media.CodecEAC3, "fra"},
		{0x106, media.CodecAC3, ""}, {0x107, media.CodecEAC3, ""}, {0x10d, media.CodecH264, ""},
	}
	if diff := cmp.Diff(wantTracks, gotTracks); diff != "" {
		t.Errorf("tracks (-want +got):\n%s", diff)
	}
	type dk struct {
		PID  uint16
		Kind DataKind
	}
	var gotData []dk
	for _, d := range r.Data {
		gotData = append(gotData, dk{d.PID, d.Kind})
	}
	wantData := []dk{{0x108, DataOther}, {0x109, DataOther}, {0x10a, DataOther}, {0x10b, DataID3}, {0x10c, DataOther}}
	if diff := cmp.Diff(wantData, gotData); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}
	for _, tr := range r.Tracks {
		if len(tr.Samples) != 0 || tr.Info.Kind != tr.Info.Codec.Kind() {
			t.Errorf("track %#x: %+v", tr.PID, tr)
		}
	}
}

func TestDemuxTimestamps(t *testing.T) {
	const wrap = int64(1) << 33
	tests := []struct {
		name    string
		anchor  int64
		first   int64 // DTS of the first access unit, may exceed 2^33 (written mod 2^33)
		want    int64 // unwrapped DTS of the first access unit
		samples int
	}{
		{"no anchor", -1, 900000, 900000, 3},
		{"no anchor, raw value near the wrap", -1, wrap - 3600, wrap - 3600, 3},
		{"no anchor, crossing the wrap", -1, wrap - 3600, wrap - 3600, 10},
		{"anchor picks the period", 5*wrap + 100, 5*wrap + 900000, 5*wrap + 900000, 3},
		{"anchor just after a wrap, timestamps just before", 3*wrap + 1000, 3*wrap - 5000, 3*wrap - 5000, 5},
		{"anchor just before a wrap, timestamps just after", 3*wrap - 1000, 3*wrap + 5000, 3*wrap + 5000, 5},
		{"anchor 0, timestamps before it", 0, -7200, -7200, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newDmxtMux()
			m.writeProgram(dmxtVideoES, dmxtAudioES)
			m.dmxtGOP(tc.first&(wrap-1), tc.samples)
			m.pes(dmxtAudioPID, 0xc0, (tc.first+1800)&(wrap-1), -1, dmxtADTS(3, 2, dmxtADTSPay), true)
			r := demuxOK(t, m.out, DemuxOptions{Anchor: tc.anchor})
			v := r.Tracks[0].Samples
			if len(v) != tc.samples {
				t.Fatalf("got %d samples", len(v))
			}
			for i, s := range v {
				if want := tc.want + int64(i)*3600; s.DTS != want || s.PTS() != want+7200 {
					t.Errorf("sample %d: DTS %d PTS %d, want %d and %d", i, s.DTS, s.PTS(), want, want+7200)
				}
			}
			a := r.Tracks[1].Samples
			if len(a) != 1 || a[0].DTS != media.Rescale(tc.want+1800, 90000, 48000) {
				t.Errorf("audio %+v, want DTS %d", a, media.Rescale(tc.want+1800, 90000, 48000))
			}
		})
	}
}

func TestUnwrap(t *testing.T) {
	const wrap = int64(1) << 33
	tests := []struct {
		raw  uint64
		ref  int64
		want int64
	}{
		{0, 0, 0},
		{1000, 0, 1000},
		{uint64(wrap - 10), 0, -10},
		{5, wrap - 10, wrap + 5},
		{uint64(wrap - 10), wrap + 5, wrap - 10},
		{100, 7 * wrap, 7*wrap + 100},
		{uint64(wrap/2 - 1), 0, wrap/2 - 1},
		{uint64(wrap / 2), 0, wrap / 2}, // a tie goes forward
		{uint64(wrap/2 + 1), 0, -wrap/2 + 1},
		{uint64(wrap + 123), 0, 123}, // bits above 33 are ignored
		{42, -3 * wrap, -3*wrap + 42},
	}
	for _, tc := range tests {
		if got := Unwrap(tc.raw, tc.ref); got != tc.want {
			t.Errorf("Unwrap(%d, %d) = %d, want %d", tc.raw, tc.ref, got, tc.want)
		}
	}
}

func TestCRC32(t *testing.T) {
	if got := crc32MPEG2([]byte("123456789")); got != 0x0376e6e7 {
		t.Errorf("CRC-32/MPEG-2 check value: got %#08x, want 0x0376e6e7", got)
	}
	if got := crc32MPEG2(dmxtSCTE35); got != 0 {
		t.Errorf("CRC over a section with its CRC: got %#08x, want 0", got)
	}
}

func TestParsePESHeader(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    pesHeader
		wantErr bool
	}{
		{"pts and dts", dmxtPES(0xe0, 123456789, 123450000, nil, false), pesHeader{streamID: 0xe0, size: 19, hasPTS: true, hasDTS: true, pts: 123456789, dts: 123450000}, false},
		{"pts", dmxtPES(0xc0, 1<<33-1, -1, []byte{1}, true), pesHeader{streamID: 0xc0, size: 14, hasPTS: true, pts: 1<<33 - 1}, false},
		{"none", dmxtPES(0xbd, -1, -1, nil, false), pesHeader{streamID: 0xbd, size: 9}, false},
		{"padding stream has no optional header", []byte{0, 0, 1, 0xbe, 0, 2, 0xff, 0xff}, pesHeader{streamID: 0xbe, size: 6}, false},
		{"no start code", []byte{0, 0, 2, 0xe0, 0, 0, 0x80, 0, 0}, pesHeader{}, true},
		{"short", []byte{0, 0, 1, 0xe0, 0}, pesHeader{}, true},
		{"mpeg-1 header", []byte{0, 0, 1, 0xe0, 0, 0, 0x0f, 0, 0}, pesHeader{}, true},
		{"header length beyond data", []byte{0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 5, 0x21}, pesHeader{}, true},
		{"pts flag with short header", []byte{0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 2, 0x21, 0}, pesHeader{}, true},
		{"forbidden flags", []byte{0, 0, 1, 0xe0, 0, 0, 0x80, 0x40, 0}, pesHeader{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parsePESHeader(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSectionAssembler(t *testing.T) {
	sec := dmxtSCTE35
	tests := []struct {
		name     string
		payloads [][]byte
		pusi     []bool
		want     int
	}{
		{"one section", [][]byte{append([]byte{0}, sec...)}, []bool{true}, 1},
		{"two sections one payload", [][]byte{append(append([]byte{0}, sec...), sec...)}, []bool{true}, 2},
		{"stuffing ends the unit", [][]byte{append(append([]byte{0}, sec...), 0xff, 0xfc, 0x30)}, []bool{true}, 1},
		{"spanning payloads", [][]byte{append([]byte{0}, sec[:20]...), sec[20:]}, []bool{true, false}, 1},
		{"pointer field completes the previous section", [][]byte{append([]byte{0}, sec[:20]...), append(append([]byte{byte(len(sec) - 20)}, sec[20:]...), sec...)}, []bool{true, true}, 2},
		{"continuation without start is ignored", [][]byte{sec}, []bool{false}, 0},
		{"pointer beyond payload", [][]byte{{200, 1, 2}}, []bool{true}, 0},
		{"section length over the maximum", [][]byte{{0, 0xfc, 0x3f, 0xff}}, []bool{true}, 0},
		{"empty payload", [][]byte{{}}, []bool{true}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a sectionAssembler
			n := 0
			for i, p := range tc.payloads {
				a.push(p, tc.pusi[i], func(s []byte) {
					if !bytes.Equal(s, sec) {
						t.Errorf("section %x", s)
					}
					n++
				})
			}
			if n != tc.want {
				t.Errorf("got %d sections, want %d", n, tc.want)
			}
		})
	}
}

// dmxtPackets splits a stream into its packets.
func dmxtPackets(b []byte) [][]byte {
	var ps [][]byte
	for len(b) >= packetSize {
		ps = append(ps, b[:packetSize])
		b = b[packetSize:]
	}
	return ps
}

func dmxtJoin(ps [][]byte) []byte { return bytes.Join(ps, nil) }

func dmxtPID(p []byte) uint16 { return uint16(p[1]&0x1f)<<8 | uint16(p[2]) }

// dmxtBasicStream is a PAT, PMT, three video access units (two packets or
// more each) and two audio PES packets.
func dmxtBasicStream() []byte {
	m := newDmxtMux()
	m.writeProgram(dmxtVideoES, dmxtAudioES)
	m.dmxtGOP(900000, 3)
	m.pes(dmxtAudioPID, 0xc0, 900000, -1, dmxtADTS(3, 2, dmxtADTSPay), true)
	m.pes(dmxtAudioPID, 0xc0, 900000+1920, -1, dmxtADTS(3, 2, dmxtADTSPay), true)
	return m.out
}

func TestDemuxDamage(t *testing.T) {
	// Packet indexes in dmxtBasicStream: 0 PAT, 1 PMT, 2-4 AU 0, 5-6 AU 1,
	// 7-8 AU 2, 9 and 10 audio.
	basic := dmxtBasicStream()
	edit := func(f func(ps [][]byte) [][]byte) []byte {
		ps := dmxtPackets(bytes.Clone(basic))
		for i := range ps {
			ps[i] = bytes.Clone(ps[i])
		}
		return dmxtJoin(f(ps))
	}
	tests := []struct {
		name                       string
		in                         []byte
		videoSamples, audioSamples int
		videoDropped, audioDropped int
		ccErrors                   int
	}{
		{"intact", basic, 3, 2, 0, 0, 0},
		{"lost video packet", edit(func(ps [][]byte) [][]byte { return append(ps[:6], ps[7:]...) }), 2, 2, 1, 0, 1},
		// With unbounded video PES the lost packet may be the tail of access
		// unit 0 or the head of 1: unit 0 is dropped, 1 never started.
		{"lost first packet of an access unit", edit(func(ps [][]byte) [][]byte { return append(ps[:5], ps[6:]...) }), 1, 2, 1, 0, 1},
		{"duplicate packet", edit(func(ps [][]byte) [][]byte { return append(ps[:6], append([][]byte{ps[5]}, ps[6:]...)...) }), 3, 2, 0, 0, 0},
		{"transport error indicator", edit(func(ps [][]byte) [][]byte { ps[6][1] |= 0x80; return ps }), 2, 2, 1, 0, 0},
		{"discontinuity indicator licenses a counter jump", edit(func(ps [][]byte) [][]byte {
			p := ps[9] // audio packet with adaptation field stuffing
			p[3] = p[3]&0xf0 | (p[3]+5)&0x0f
			p[5] |= 0x80
			ps[10][3] = ps[10][3]&0xf0 | (p[3]+1)&0x0f
			return ps
		}), 3, 2, 0, 0, 0},
		{"lost audio packet", edit(func(ps [][]byte) [][]byte { return append(ps[:9], ps[10:]...) }), 3, 1, 0, 0, 0},
		{"truncated after the last video packet", edit(func(ps [][]byte) [][]byte { return ps[:9] }), 3, 0, 0, 0, 0},
		{"cut in the middle of a bounded PES", edit(func(ps [][]byte) [][]byte {
			// Make the last video PES bounded, then drop its last packet.
			pes := dmxtPES(0xe0, 907200+7200, 907200, dmxtAnnexB(dmxtAUD, dmxtSlice), true)
			m := newDmxtMux()
			m.cc[dmxtVideoPID] = ps[7][3] & 0x0f
			m.pesPackets(dmxtVideoPID, pes)
			last := dmxtPackets(m.out)
			return append(ps[:7], last[0])
		}), 2, 0, 1, 0, 0},
		{"adaptation field longer than the packet", edit(func(ps [][]byte) [][]byte { ps[9][4] = 190; return ps }), 3, 1, 0, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := demuxOK(t, tc.in, DemuxOptions{Anchor: -1})
			v, a := r.Tracks[0], r.Tracks[1]
			if len(v.Samples) != tc.videoSamples || len(a.Samples) != tc.audioSamples ||
				v.Dropped != tc.videoDropped || a.Dropped != tc.audioDropped || r.ContinuityErrors != tc.ccErrors {
				t.Errorf("got video %d samples %d dropped, audio %d samples %d dropped, %d cc errors; want %d %d, %d %d, %d",
					len(v.Samples), v.Dropped, len(a.Samples), a.Dropped, r.ContinuityErrors,
					tc.videoSamples, tc.videoDropped, tc.audioSamples, tc.audioDropped, tc.ccErrors)
			}
			for i, s := range v.Samples {
				if want := dmxtAVCC(dmxtSlice); i > 0 && !bytes.Equal(s.Data, want) {
					t.Errorf("video sample %d: corrupt data of %d bytes", i, len(s.Data))
				}
			}
		})
	}
}

func TestDemuxErrors(t *testing.T) {
	basic := dmxtBasicStream()
	ps := dmxtPackets(basic)
	without := func(pid uint16) []byte {
		var out [][]byte
		for _, p := range ps {
			if dmxtPID(p) != pid {
				out = append(out, p)
			}
		}
		return dmxtJoin(out)
	}
	badCRC := bytes.Clone(basic)
	badCRC[4+1+12] ^= 0xff // inside the PAT's CRC
	syncLost := bytes.Clone(basic)
	syncLost[5*packetSize] = 0x48
	tooMany := newDmxtMux()
	var streams []dmxtES
	for i := range MaxStreams + 1 {
		streams = append(streams, dmxtES{streamType: streamTypeH264, pid: uint16(0x100 + i)})
	}
	tooMany.writeProgram(streams...)
	otherProgram := newDmxtMux()
	otherProgram.psi(0, dmxtPAT(1, 0x1000))
	otherProgram.psi(0x1000, dmxtPMT(2, 0x100, nil, dmxtVideoES))
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrNoProgram},
		{"garbage", []byte("this is not a transport stream, not at all, it is text"), ErrNoSync},
		{"garbage after a sync byte", append([]byte{0x47}, bytes.Repeat([]byte{1}, 187)...), ErrNoProgram},
		{"not a multiple of 188", basic[:len(basic)-100], ErrTruncated},
		{"sync lost in the middle", syncLost, ErrNoSync},
		{"no PAT", without(0), ErrNoProgram},
		{"no PMT", without(0x1000), ErrNoProgram},
		{"PAT with a bad CRC", badCRC, ErrNoProgram},
		{"PMT for another program", otherProgram.out, ErrNoProgram},
		{"too many streams", tooMany.out, ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Demux(tc.in, DemuxOptions{Anchor: -1})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, %v; want %v", r, err, tc.want)
			}
		})
	}
}

func TestDemuxMediaBeforePAT(t *testing.T) {
	m := newDmxtMux()
	m.dmxtGOP(900000, 2)
	m.writeProgram(dmxtVideoES)
	m.pes(dmxtVideoPID, 0xe0, 907200, -1, dmxtAnnexB(dmxtSlice), false)
	r := demuxOK(t, m.out, DemuxOptions{Anchor: -1})
	if n := len(r.Tracks[0].Samples); n != 3 {
		t.Errorf("got %d samples, want 3", n)
	}
}

func TestDemuxLimits(t *testing.T) {
	t.Run("PES over MaxPESSize", func(t *testing.T) {
		m := newDmxtMux()
		m.writeProgram(dmxtVideoES)
		big := append([]byte{0x65}, bytes.Repeat([]byte{0x5a}, MaxPESSize)...)
		m.pes(dmxtVideoPID, 0xe0, 1000, -1, dmxtAnnexB(dmxtSPS320, dmxtPPS, big), false)
		m.pes(dmxtVideoPID, 0xe0, 4600, -1, dmxtAnnexB(dmxtSPS320, dmxtPPS, dmxtIDR), false)
		r := demuxOK(t, m.out, DemuxOptions{Anchor: -1})
		if tr := r.Tracks[0]; len(tr.Samples) != 1 || tr.Dropped != 1 {
			t.Errorf("got %d samples, dropped %d", len(tr.Samples), tr.Dropped)
		}
	})
	t.Run("NAL units over MaxNALUsPerSample", func(t *testing.T) {
		m := newDmxtMux()
		m.writeProgram(dmxtVideoES)
		var nalus [][]byte
		for range MaxNALUsPerSample + 1 {
			nalus = append(nalus, dmxtSEI)
		}
		m.pes(dmxtVideoPID, 0xe0, 1000, -1, dmxtAnnexB(append(nalus, dmxtIDR)...), false)
		r := demuxOK(t, m.out, DemuxOptions{Anchor: -1})
		if tr := r.Tracks[0]; len(tr.Samples) != 0 || tr.Dropped != 1 {
			t.Errorf("got %d samples, dropped %d", len(tr.Samples), tr.Dropped)
		}
	})
	t.Run("samples over MaxSamplesPerTrack", func(t *testing.T) {
		m := newDmxtMux()
		m.writeProgram(dmxtAudioES)
		frame := dmxtADTS(3, 2, []byte{1})
		for i := range MaxSamplesPerTrack/16 + 1 {
			m.pes(dmxtAudioPID, 0xc0, int64(i)*16*1920, -1, bytes.Repeat(frame, 16), true)
		}
		if _, err := Demux(m.out, DemuxOptions{Anchor: -1}); !errors.Is(err, ErrTooLarge) {
			t.Errorf("got %v, want ErrTooLarge", err)
		}
	})
}

// A data stream with a timestamp half a period away from the media must
// not change how audio and video unwrap.
func TestDemuxStrayDataTimestamp(t *testing.T) {
	const wrap = int64(1) << 33
	m := newDmxtMux()
	m.writeProgram(dmxtVideoES, dmxtES{streamType: streamTypeMetadata, pid: 0x1f1})
	start := wrap - 7200
	m.pes(dmxtVideoPID, 0xe0, start, -1, dmxtAnnexB(dmxtSPS320, dmxtPPS, dmxtIDR), false)
	for i := int64(1); i < 5; i++ {
		m.pes(dmxtVideoPID, 0xe0, (start+i*3600)&(wrap-1), -1, dmxtAnnexB(dmxtSlice), false)
		if i == 1 { // after the first access unit is complete
			m.pes(0x1f1, 0xbd, (start+wrap/2+100)&(wrap-1), -1, []byte("ID3"), true)
		}
	}
	r := demuxOK(t, m.out, DemuxOptions{Anchor: -1})
	for i, s := range r.Tracks[0].Samples {
		if want := start + int64(i)*3600; s.DTS != want {
			t.Errorf("sample %d: DTS %d, want %d", i, s.DTS, want)
		}
	}
}
