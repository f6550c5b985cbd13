package fmp4

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"boxcar/internal/media"
	"boxcar/internal/media/codec"
	"boxcar/internal/testutil"
)

// TestFFmpegIngestAndServe parses ffmpeg's fMP4 HLS output with ParseInit
// and ParseSegment, writes every track back with WriteInit and
// WriteFragment, and checks with ffprobe and ffmpeg that the result
// decodes without errors to the very frames of the original. Under -short
// only the plain H.264 case runs (the H.265 encodes are the slow ones).
func TestFFmpegIngestAndServe(t *testing.T) {
	requireFFmpeg(t)
	tests := []struct {
		name      string
		videoArgs []string
		codec     media.Codec
		entry     string
		encoder   string
		short     bool // runs under -short too
	}{
		{"h264", []string{"-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-bf", "2"}, media.CodecH264, "avc1", "libx264", true},
		{"h265_hvc1", []string{"-c:v", "libx265", "-preset", "veryfast", "-x265-params", "log-level=error:keyint=25:min-keyint=25:bframes=3", "-tag:v", "hvc1"}, media.CodecH265, "hvc1", "libx265", false},
		{"h265_hev1", []string{"-c:v", "libx265", "-preset", "veryfast", "-x265-params", "log-level=error:keyint=25:min-keyint=25", "-tag:v", "hev1"}, media.CodecH265, "hev1", "libx265", false},
		{"h265_hev1_inband", []string{"-c:v", "libx265", "-preset", "veryfast", "-x265-params", "log-level=error:keyint=25:min-keyint=25:repeat-headers=1:aud=1", "-tag:v", "hev1"}, media.CodecH265, "hev1", "libx265", false},
		{"h264_inband", []string{"-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-x264-params", "repeat-headers=1:aud=1"}, media.CodecH264, "avc1", "libx264", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && !tc.short {
				t.Skip("-short runs only h264")
			}
			testutil.NeedEncoder(t, tc.encoder)
			dir := t.TempDir()
			initData, segs := ffmpegHLS(t, dir, tc.videoArgs, "4")
			tracks, err := ParseInit(initData)
			if err != nil {
				t.Fatalf("ParseInit: %v", err)
			}
			if len(tracks) != 2 {
				t.Fatalf("got %d tracks, want 2", len(tracks))
			}
			v, a := tracks[0], tracks[1]
			if v.Info.Codec != tc.codec || v.SampleEntry != tc.entry || v.Info.Width != 320 || v.Info.Height != 240 ||
				v.Info.Timescale != media.VideoTimescale || len(v.Info.SPS) == 0 || len(v.Info.PPS) == 0 {
				t.Errorf("video track = %+v", v)
			}
			if a.Info.Codec != media.CodecAAC || a.Info.SampleRate != 48000 || a.Info.Channels != 1 ||
				a.Info.Timescale != 48000 || len(a.Info.AudioConfig) < 2 {
				t.Errorf("audio track = %+v", a)
			}

			perTrack := make([][][]media.Sample, 2) // track, segment, samples
			for i, seg := range segs {
				got, err := ParseSegment(seg, tracks)
				if err != nil {
					t.Fatalf("ParseSegment %d: %v", i, err)
				}
				for _, ts := range got {
					if ts.Info != nil {
						t.Errorf("segment %d track %d: unexpected Info update", i, ts.TrackID)
					}
					idx := 0
					if ts.TrackID == a.TrackID {
						idx = 1
					}
					perTrack[idx] = append(perTrack[idx], ts.Samples)
				}
			}
			checkCanonical(t, perTrack[0], media.VideoTimescale/25, true)
			for i, seg := range perTrack[0] {
				for j, smp := range seg {
					_ = walkNALs(smp.Data, 4, func(nal []byte) error {
						if k := codec.ClassifyNAL(tc.codec, nal); k == codec.NALAUD || k.ParameterSet() {
							t.Fatalf("segment %d sample %d keeps a delimiter or parameter set", i, j)
						}
						return nil
					})
				}
			}
			checkCanonical(t, perTrack[1], 1024, false)

			for idx, tr := range tracks {
				kind := "v"
				if idx == 1 {
					kind = "a"
				}
				file := writeTrackFile(t, dir, tr, perTrack[idx])
				var want int
				for _, s := range perTrack[idx] {
					want += len(s)
				}
				if got := probeFrames(t, file); got != want {
					t.Errorf("%s: ffprobe counted %d frames, want %d", kind, got, want)
				}
				got := frameHashes(t, file, kind)
				orig := frameHashes(t, filepath.Join(dir, "index.m3u8"), kind)
				if kind == "a" {
					// The HLS demuxer presents audio through the edit
					// list; compare the frames both decode.
					orig = orig[len(orig)-min(len(orig), len(got)):]
					got = got[len(got)-len(orig):]
				}
				t.Logf("%s: %d frames decoded and equal to the original", kind, len(got))
				if len(got) != len(orig) || len(got) == 0 {
					t.Fatalf("%s: decoded %d frames, original %d", kind, len(got), len(orig))
				}
				for i := range got {
					if got[i] != orig[i] {
						t.Fatalf("%s: frame %d differs from the original", kind, i)
					}
				}
			}
		})
	}
}

// checkCanonical checks that samples of consecutive segments form one
// contiguous timeline with the expected nominal duration.
func checkCanonical(t *testing.T, segs [][]media.Sample, dur uint32, video bool) {
	t.Helper()
	var next int64
	for i, seg := range segs {
		if video && !seg[0].Sync {
			t.Errorf("segment %d does not start with a sync sample", i)
		}
		for j, s := range seg {
			if (i > 0 || j > 0) && s.DTS != next {
				t.Fatalf("segment %d sample %d: DTS %d, want %d", i, j, s.DTS, next)
			}
			next = s.DTS + int64(s.Duration)
			last := i == len(segs)-1 && j == len(seg)-1 // the encoder may cut the last one short
			if s.Duration != dur && !last {
				t.Fatalf("segment %d sample %d: duration %d, want %d", i, j, s.Duration, dur)
			}
			if !video && (!s.Sync || s.PTSOffset != 0) {
				t.Fatalf("audio segment %d sample %d: sync %v, PTS offset %d", i, j, s.Sync, s.PTSOffset)
			}
			if video && (len(s.Data) < 5 || !lengthPrefixed(s.Data)) {
				t.Fatalf("segment %d sample %d: not 4-byte length-prefixed NAL units", i, j)
			}
		}
	}
}

func lengthPrefixed(b []byte) bool {
	return walkNALs(b, 4, func([]byte) error { return nil }) == nil
}

// writeTrackFile writes one track as init + one fragment per segment and
// returns the file name.
func writeTrackFile(t *testing.T, dir string, tr InitTrack, segs [][]media.Sample) string {
	t.Helper()
	init, err := WriteInit(1, tr.Info)
	if err != nil {
		t.Fatalf("WriteInit: %v", err)
	}
	var file bytes.Buffer
	file.Write(init)
	for i, samples := range segs {
		frag, err := WriteFragment(uint32(i+1), 1, samples)
		if err != nil {
			t.Fatalf("WriteFragment: %v", err)
		}
		_, back, err := ParseFragment(frag)
		if err != nil || len(back) != len(samples) {
			t.Fatalf("ParseFragment of our fragment: %d samples, %v", len(back), err)
		}
		file.Write(SegmentHeader())
		file.Write(frag)
	}
	name := filepath.Join(dir, tr.Info.Kind.String()+".mp4")
	if err := os.WriteFile(name, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}
