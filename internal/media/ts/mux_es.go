package ts

import (
	"encoding/binary"
	"fmt"

	"github.com/Eyevinn/mp4ff/aac"

	"boxcar/internal/media"
	"boxcar/internal/media/codec"
)

// Elementary stream payloads written by the muxer: H.264/H.265 access units
// in Annex B byte stream format with delimiters and parameter sets, AAC
// frames with ADTS headers.

// audSize is the size of the access unit delimiter with its start code.
func audSize(c media.Codec) int {
	if c == media.CodecH265 {
		return 7
	}
	return 6
}

// skipNAL reports whether a NAL unit of a sample is left out of the
// byte stream: delimiters always (the muxer writes its own), parameter
// sets of sync samples (the muxer writes those of TrackInfo).
func skipNAL(c media.Codec, nal []byte, sync bool) bool {
	if len(nal) == 0 {
		return true
	}
	switch k := codec.ClassifyNAL(c, nal); {
	case k == codec.NALAUD:
		return true
	case k.ParameterSet():
		return sync
	}
	return false
}

// annexBSize returns the Annex B size of the sample's own NAL units and
// checks their 4-byte length prefixes.
func annexBSize(c media.Codec, s *media.Sample) (int, error) {
	size := 0
	d := s.Data
	for pos := 0; pos < len(d); {
		if len(d)-pos < 4 {
			return 0, fmt.Errorf("%w: truncated NAL unit length", ErrMuxInput)
		}
		n := int(binary.BigEndian.Uint32(d[pos:]))
		pos += 4
		if n < 0 || n > len(d)-pos {
			return 0, fmt.Errorf("%w: NAL unit of %d bytes with %d left", ErrMuxInput, n, len(d)-pos)
		}
		if !skipNAL(c, d[pos:pos+n], s.Sync) {
			size += 4 + n
		}
		pos += n
	}
	return size, nil
}

// appendAnnexB appends one access unit in Annex B form: delimiter, the
// parameter sets on sync samples, then the sample's NAL units.
func appendAnnexB(dst []byte, info *media.TrackInfo, s *media.Sample) []byte {
	if info.Codec == media.CodecH265 {
		dst = append(dst, 0, 0, 0, 1, codec.H265AUD<<1, 1, 0x50) // pic_type 2: any slice type
	} else {
		dst = append(dst, 0, 0, 0, 1, codec.H264AUD, 0xf0) // primary_pic_type 7: any slice type
	}
	if s.Sync {
		for _, ps := range [...][][]byte{info.VPS, info.SPS, info.PPS} {
			for _, p := range ps {
				dst = append(dst, 0, 0, 0, 1)
				dst = append(dst, p...)
			}
		}
	}
	d := s.Data
	for pos := 0; pos+4 <= len(d); {
		n := int(binary.BigEndian.Uint32(d[pos:]))
		pos += 4
		nal := d[pos : pos+n]
		pos += n
		if skipNAL(info.Codec, nal, s.Sync) {
			continue
		}
		dst = append(dst, 0, 0, 0, 1)
		dst = append(dst, nal...)
	}
	return dst
}

// ADTS (ISO/IEC 13818-7 §6.2, 14496-3 §1.A.2): a 7-byte header without
// CRC in front of every AAC frame.
const maxADTSFrame = 1<<13 - 1 // aac_frame_length is 13 bits

// adtsHeader holds the constant part of a stream's ADTS headers.
type adtsHeader struct {
	profile, sfi, channels byte
}

// newADTSHeader derives ADTS header fields from an AudioSpecificConfig. HE-AAC
// configurations are signalled as their AAC-LC core at the core sample
// rate (implicit SBR/PS signalling, which decoders detect in-band).
func newADTSHeader(asc []byte) (adtsHeader, error) {
	cfg, err := codec.ParseAACConfig(asc)
	if err != nil {
		return adtsHeader{}, fmt.Errorf("%w: %w", ErrMuxInput, err)
	}
	sfi, ok := aac.ReverseFrequencies[cfg.CoreSampleRate]
	if !ok {
		return adtsHeader{}, fmt.Errorf("%w: sample rate %d has no ADTS index", ErrMuxInput, cfg.CoreSampleRate)
	}
	if cfg.ChannelConfig > 7 {
		return adtsHeader{}, fmt.Errorf("%w: channel configuration %d", ErrMuxInput, cfg.ChannelConfig)
	}
	// The core object type is AAC-LC for every configuration mp4ff
	// accepts: profile = object type - 1.
	return adtsHeader{profile: aac.AAClc - 1, sfi: sfi, channels: byte(cfg.ChannelConfig)}, nil
}

// appendHeader appends the ADTS header of a frame of n bytes.
func (a adtsHeader) appendHeader(dst []byte, n int) []byte {
	l := n + codec.ADTSHeaderSize
	return append(dst,
		0xff,
		0xf1, // MPEG-4, layer 0, protection_absent
		a.profile<<6|a.sfi<<2|a.channels>>2,
		a.channels<<6|byte(l>>11),
		byte(l>>3),
		byte(l<<5)|0x1f, // buffer_fullness 0x7ff: VBR
		0xfc)            // ... and one raw data block
}
