package codec

import (
	"testing"

	"boxcar/internal/media"
)

// h265NAL returns a two-byte H.265 NAL unit header of type t.
func h265NAL(t byte) []byte { return []byte{t << 1, 1} }

func TestClassifyNAL(t *testing.T) {
	tests := []struct {
		name  string
		codec media.Codec
		nal   []byte
		want  NALKind
	}{
		{"empty", media.CodecH264, nil, NALOther},
		{"h264 unspecified 0", media.CodecH264, []byte{0x00}, NALOther},
		{"h264 non-idr slice", media.CodecH264, []byte{0x41, 0x9a}, NALSlice},
		{"h264 partition a", media.CodecH264, []byte{0x22}, NALSlice},
		{"h264 partition c", media.CodecH264, []byte{0x24}, NALSlice},
		{"h264 idr", media.CodecH264, []byte{0x65, 0x88}, NALKeyFrame},
		{"h264 sei", media.CodecH264, []byte{0x06, 0x05}, NALSEI},
		{"h264 sps", media.CodecH264, []byte{0x67, 0x64}, NALSPS},
		{"h264 pps", media.CodecH264, []byte{0x68, 0xee}, NALPPS},
		{"h264 aud", media.CodecH264, []byte{0x09, 0xf0}, NALAUD},
		{"h264 end of seq", media.CodecH264, []byte{0x0a}, NALEndOfSeq},
		{"h264 end of stream", media.CodecH264, []byte{0x0b}, NALEndOfSeq},
		{"h264 filler", media.CodecH264, []byte{0x0c, 0xff}, NALFiller},
		{"h264 sps extension", media.CodecH264, []byte{0x0d}, NALSPSExt},
		{"h264 prefix nal", media.CodecH264, []byte{0x0e}, NALOther},
		{"h264 slice extension", media.CodecH264, []byte{0x14}, NALOther},
		{"h264 nal_ref_idc ignored", media.CodecH264, []byte{0x05}, NALKeyFrame},
		{"h265 trail_n", media.CodecH265, h265NAL(0), NALSlice},
		{"h265 trail_r", media.CodecH265, h265NAL(1), NALSlice},
		{"h265 rasl_r", media.CodecH265, h265NAL(9), NALSlice},
		{"h265 reserved non-irap 15", media.CodecH265, h265NAL(15), NALSlice},
		{"h265 bla_w_lp", media.CodecH265, h265NAL(16), NALKeyFrame},
		{"h265 bla_n_lp", media.CodecH265, h265NAL(18), NALKeyFrame},
		{"h265 idr_w_radl", media.CodecH265, h265NAL(H265IDRWRADL), NALKeyFrame},
		{"h265 idr_n_lp", media.CodecH265, h265NAL(H265IDRNLP), NALKeyFrame},
		{"h265 cra", media.CodecH265, h265NAL(H265CRA), NALKeyFrame},
		{"h265 reserved irap 22", media.CodecH265, h265NAL(22), NALKeyFrame},
		{"h265 reserved irap 23", media.CodecH265, h265NAL(23), NALKeyFrame},
		{"h265 reserved non-irap 24", media.CodecH265, h265NAL(24), NALSlice},
		{"h265 reserved non-irap 31", media.CodecH265, h265NAL(31), NALSlice},
		{"h265 vps", media.CodecH265, h265NAL(32), NALVPS},
		{"h265 sps", media.CodecH265, h265NAL(33), NALSPS},
		{"h265 pps", media.CodecH265, h265NAL(34), NALPPS},
		{"h265 aud", media.CodecH265, h265NAL(35), NALAUD},
		{"h265 eos", media.CodecH265, h265NAL(36), NALEndOfSeq},
		{"h265 eob", media.CodecH265, h265NAL(37), NALEndOfSeq},
		{"h265 filler", media.CodecH265, h265NAL(38), NALFiller},
		{"h265 prefix sei", media.CodecH265, h265NAL(39), NALSEI},
		{"h265 suffix sei", media.CodecH265, h265NAL(40), NALSEI},
		{"h265 reserved 41", media.CodecH265, h265NAL(41), NALOther},
		{"h265 unspecified 63", media.CodecH265, h265NAL(63), NALOther},
		{"h265 one header byte", media.CodecH265, []byte{0x40}, NALVPS},
		{"h265 layer id ignored", media.CodecH265, []byte{0x26 | 1, 0x01}, NALKeyFrame},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ClassifyNAL(tc.codec, tc.nal); got != tc.want {
				t.Errorf("ClassifyNAL(%v, %x): got %d, want %d", tc.codec, tc.nal, got, tc.want)
			}
		})
	}
}

func TestNALKindPredicates(t *testing.T) {
	for k := NALOther; k <= NALEndOfSeq; k++ {
		ps := k == NALVPS || k == NALSPS || k == NALPPS
		vcl := k == NALSlice || k == NALKeyFrame
		if got := k.ParameterSet(); got != ps {
			t.Errorf("NALKind(%d).ParameterSet(): got %v, want %v", k, got, ps)
		}
		if got := k.VCL(); got != vcl {
			t.Errorf("NALKind(%d).VCL(): got %v, want %v", k, got, vcl)
		}
	}
}

func BenchmarkClassifyNAL(b *testing.B) {
	nals := [][]byte{{0x09, 0xf0}, {0x67}, {0x68}, {0x06}, {0x65}, {0x41}, {0x41}, {0x41}}
	hevc := [][]byte{h265NAL(35), h265NAL(32), h265NAL(33), h265NAL(34), h265NAL(19), h265NAL(1), h265NAL(1), h265NAL(0)}
	var n int
	for b.Loop() {
		for i := range nals {
			n += int(ClassifyNAL(media.CodecH264, nals[i]))
			n += int(ClassifyNAL(media.CodecH265, hevc[i]))
		}
	}
	_ = n
}
