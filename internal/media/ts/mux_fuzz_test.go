package ts

import (
	"encoding/binary"
	"errors"
	"testing"

	"boxcar/internal/media"
)

// FuzzMux builds tracks from the fuzzer's bytes (codecs, sample sizes,
// durations, composition offsets, sync flags, broken NAL lengths) and
// checks that Mux either rejects them with ErrMuxInput or writes a stream
// that keeps every structural promise (muxtCheck).
func FuzzMux(f *testing.F) {
	f.Add(uint64(0), []byte{0x03, 0x81, 0x10, 0x08, 0x00, 0x02, 0x40, 0x08, 0x01, 0x00, 0x20, 0x04, 0x00})
	f.Add(uint64(17), []byte{0x01, 0xff, 0xff, 0x02, 0x00, 0xfe, 0x01, 0x02, 0x00})
	f.Add(uint64(5), []byte{0x1e, 0x01, 0x05, 0x00, 0x01, 0x00, 0x05, 0x00, 0x01, 0x00, 0x05, 0x00, 0x01})
	f.Fuzz(func(t *testing.T, seq uint64, spec []byte) {
		if len(spec) == 0 {
			return
		}
		tracks := muxtFuzzTracks(spec)
		r, err := Mux(tracks, MuxOptions{Sequence: seq})
		if err != nil {
			if !errors.Is(err, ErrMuxInput) {
				t.Fatalf("Mux error %v does not wrap ErrMuxInput", err)
			}
			return
		}
		muxtCheckPCR(t, r, seq, tracks, false)
	})
}

// muxtFuzzTracks turns fuzz bytes into tracks: spec[0] picks tracks and
// codecs, then every 3 bytes make a sample.
func muxtFuzzTracks(spec []byte) []MuxTrack {
	var video, audio *MuxTrack
	flags := spec[0]
	if flags&1 != 0 {
		codec := media.CodecH264
		info := media.TrackInfo{Kind: media.KindVideo, Codec: codec, Timescale: media.VideoTimescale,
			SPS: [][]byte{muxtSPS}, PPS: [][]byte{muxtPPS}}
		if flags&4 != 0 {
			info.Codec = media.CodecH265
			info.VPS = [][]byte{{0x40, 0x01, 0x0c}}
			info.SPS = [][]byte{{0x42, 0x01, 0x01}}
			info.PPS = [][]byte{{0x44, 0x01, 0xc1}}
		}
		video = &MuxTrack{Info: info}
	}
	if flags&2 != 0 {
		info := media.TrackInfo{Kind: media.KindAudio, Codec: media.CodecAAC, Timescale: 48000, SampleRate: 48000,
			Channels: 2, AudioConfig: []byte{0x11, 0x90}}
		switch flags >> 3 & 3 {
		case 1:
			info.Codec, info.AudioConfig = media.CodecAC3, []byte{0x10, 0x3d, 0xe0}
		case 2:
			info.Codec, info.Timescale = media.CodecEAC3, 44100
		}
		audio = &MuxTrack{Info: info}
	}
	var vdts, adts int64
	for i := 1; i+2 < len(spec); i += 3 {
		b0, b1, b2 := spec[i], spec[i+1], spec[i+2]
		if b0&1 != 0 && video != nil {
			size := int(b1)*8 + 1
			data := make([]byte, 4+size)
			binary.BigEndian.PutUint32(data, uint32(size))
			if b0&0x80 != 0 {
				binary.BigEndian.PutUint32(data, uint32(size+1)) // broken length
			}
			for j := 4; j < len(data); j++ {
				data[j] = byte(j) | 1
			}
			sync := b0&2 != 0
			data[4] = 0x41
			if sync {
				data[4] = 0x65
			}
			dur := uint32(b2) * 150
			video.Samples = append(video.Samples, media.Sample{DTS: vdts, PTSOffset: int32(int8(b0)>>2) * 900,
				Duration: dur, Sync: sync, Data: data})
			vdts += int64(dur)
		} else if audio != nil {
			data := make([]byte, int(b1)*4+int(b0>>4))
			dur := uint32(1024)
			if b2&0x80 != 0 {
				dur = uint32(b2) * 8
			}
			audio.Samples = append(audio.Samples, media.Sample{DTS: adts, Duration: dur, Sync: true, Data: data})
			adts += int64(dur) + int64(b2&3)*512 // sometimes a gap
		}
	}
	var tracks []MuxTrack
	if video != nil {
		tracks = append(tracks, *video)
	}
	if audio != nil {
		tracks = append(tracks, *audio)
	}
	return tracks
}
