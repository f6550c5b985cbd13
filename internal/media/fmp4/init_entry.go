package fmp4

import (
	"bytes"
	"fmt"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"

	"boxcar/internal/media"
	"boxcar/internal/media/codec"
)

// entryCodec returns the codec of a sample entry type ParseInit reads, or
// 0 for any other type.
func entryCodec(typ string) media.Codec {
	switch typ {
	case "avc1", "avc3":
		return media.CodecH264
	case "hvc1", "hev1":
		return media.CodecH265
	case "mp4a":
		return media.CodecAAC
	case "ac-3":
		return media.CodecAC3
	case "ec-3":
		return media.CodecEAC3
	}
	return 0
}

// parseVisualEntry fills t from an avc1, avc3, hvc1 or hev1 sample entry
// (ISO/IEC 14496-15 §5.4.2, §8.4.1); t.Info.Codec is set.
func parseVisualEntry(entry mp4.Box, t *InitTrack) error {
	info := &t.Info
	info.Kind = media.KindVideo
	info.Timescale = media.VideoTimescale
	e, ok := entry.(*mp4.VisualSampleEntryBox)
	if !ok {
		return fmt.Errorf("%w: not a visual sample entry", ErrMalformed)
	}
	if e.Sinf != nil {
		return ErrEncrypted
	}
	info.Width, info.Height = int(e.Width), int(e.Height)
	var ps paramSets
	var err error
	if info.Codec == media.CodecH264 {
		t.LengthSize, ps, err = avcParamSets(e.AvcC)
	} else {
		t.LengthSize, ps, err = hevcParamSets(e.HvcC)
	}
	if err != nil {
		return err
	}
	info.VPS, info.SPS, info.PPS = cloneAll(ps.vps), cloneAll(ps.sps), cloneAll(ps.pps)
	if len(info.SPS) > 0 {
		if s, err := codec.ParseSPS(info.Codec, info.SPS[0]); err == nil {
			info.Width, info.Height = s.Width, s.Height
		}
	}
	return nil
}

// paramSets are the parameter sets of a decoder configuration record or
// an access unit, aliasing their source.
type paramSets struct {
	vps, sps, pps [][]byte
}

// avcParamSets returns the NAL length size and parameter sets of an
// AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1).
func avcParamSets(avcC *mp4.AvcCBox) (lengthSize int, ps paramSets, err error) {
	if avcC == nil {
		return 0, ps, fmt.Errorf("%w: no avcC box", ErrMalformed)
	}
	for _, list := range [][][]byte{avcC.SPSnalus, avcC.PPSnalus} {
		for _, nal := range list {
			if len(nal) == 0 {
				return 0, ps, fmt.Errorf("%w: empty avcC parameter set", ErrMalformed)
			}
		}
	}
	// mp4ff decodes records with 4-byte NAL lengths only.
	return 4, paramSets{sps: avcC.SPSnalus, pps: avcC.PPSnalus}, nil
}

// hevcParamSets returns the NAL length size and VPS/SPS/PPS arrays of an
// HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1). Empty NAL
// units and arrays of other types are skipped.
func hevcParamSets(hvcC *mp4.HvcCBox) (lengthSize int, ps paramSets, err error) {
	if hvcC == nil {
		return 0, ps, fmt.Errorf("%w: no hvcC box", ErrMalformed)
	}
	for i := range hvcC.NaluArrays {
		a := &hvcC.NaluArrays[i]
		var dst *[][]byte
		switch a.NaluType() {
		case codec.H265VPS:
			dst = &ps.vps
		case codec.H265SPS:
			dst = &ps.sps
		case codec.H265PPS:
			dst = &ps.pps
		default:
			continue
		}
		for _, nal := range a.Nalus {
			if len(nal) == 0 {
				continue
			}
			if len(*dst) == maxParameterSets {
				return 0, ps, fmt.Errorf("%w: more than %d parameter sets", ErrMalformed, maxParameterSets)
			}
			*dst = append(*dst, nal)
		}
	}
	return int(hvcC.LengthSizeMinusOne) + 1, ps, nil
}

// parseAudioEntry fills t from an mp4a (ISO/IEC 14496-14 §5.6), ac-3 or
// ec-3 (ETSI TS 102 366 Annex F) sample entry; t.Info.Codec is set.
func parseAudioEntry(entry mp4.Box, t *InitTrack) error {
	info := &t.Info
	info.Kind = media.KindAudio
	e, ok := entry.(*mp4.AudioSampleEntryBox)
	if !ok {
		return fmt.Errorf("%w: not an audio sample entry", ErrMalformed)
	}
	if e.Sinf != nil {
		return ErrEncrypted
	}
	var err error
	switch info.Codec {
	case media.CodecAAC:
		esds := e.Esds
		if esds == nil && e.Wave != nil {
			esds = e.Wave.Esds // QuickTime writers nest esds in a wave box.
		}
		err = esdsInfo(esds, info)
	case media.CodecAC3:
		err = dac3Info(e.Dac3, info)
	case media.CodecEAC3:
		err = dec3Info(e.Dec3, info)
	}
	if err != nil {
		return err
	}
	if info.Channels == 0 {
		info.Channels = int(e.ChannelCount)
	}
	if info.SampleRate == 0 {
		info.SampleRate = int(e.SampleRate)
	}
	if info.SampleRate <= 0 || info.SampleRate > maxSampleRate {
		return fmt.Errorf("%w: sample rate %d", ErrMalformed, info.SampleRate)
	}
	info.Timescale = uint32(info.SampleRate)
	return nil
}

// esdsInfo sets the AudioSpecificConfig, sample rate and channels from an
// esds box.
func esdsInfo(esds *mp4.EsdsBox, info *media.TrackInfo) error {
	if esds == nil {
		return fmt.Errorf("%w: no esds box", ErrMalformed)
	}
	dcd := esds.DecConfigDescriptor
	if dcd == nil || dcd.DecSpecificInfo == nil {
		return fmt.Errorf("%w: esds without AudioSpecificConfig", ErrMalformed)
	}
	switch dcd.ObjectType {
	case 0x40, 0x67: // MPEG-4 audio, MPEG-2 AAC LC
	default:
		return fmt.Errorf("%w: esds object type 0x%02x", ErrUnsupportedCodec, dcd.ObjectType)
	}
	asc := dcd.DecSpecificInfo.DecConfig
	if len(asc) < 2 || len(asc) > maxAudioConfig {
		return fmt.Errorf("%w: AudioSpecificConfig of %d bytes", ErrMalformed, len(asc))
	}
	cfg, err := codec.ParseAACConfig(asc)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnsupportedCodec, err)
	}
	info.AudioConfig = bytes.Clone(asc)
	info.SampleRate = cfg.SampleRate
	info.Channels = cfg.Channels
	return nil
}

// ac3SampleRate maps fscod (ETSI TS 102 366 §4.4.1.3) to Hz.
func ac3SampleRate(fscod byte) int {
	switch fscod {
	case 0:
		return 48000
	case 1:
		return 44100
	case 2:
		return 32000
	}
	return 0
}

// dac3Info sets the dac3 payload, sample rate and channels of an AC-3
// track.
func dac3Info(dac3 *mp4.Dac3Box, info *media.TrackInfo) error {
	if dac3 == nil {
		return fmt.Errorf("%w: no dac3 box", ErrMalformed)
	}
	if info.SampleRate = ac3SampleRate(dac3.FSCod); info.SampleRate == 0 {
		return fmt.Errorf("%w: dac3 fscod %d", ErrMalformed, dac3.FSCod)
	}
	info.Channels, _ = dac3.ChannelInfo()
	var err error
	info.AudioConfig, err = audioConfigPayload(dac3, 3)
	return err
}

// dec3Info sets the dec3 payload, sample rate and channels of an E-AC-3
// track from its first independent substream.
func dec3Info(dec3 *mp4.Dec3Box, info *media.TrackInfo) error {
	if dec3 == nil {
		return fmt.Errorf("%w: no dec3 box", ErrMalformed)
	}
	if len(dec3.EC3Subs) == 0 {
		return fmt.Errorf("%w: dec3 without substreams", ErrMalformed)
	}
	if info.SampleRate = ac3SampleRate(dec3.EC3Subs[0].FSCod); info.SampleRate == 0 {
		return fmt.Errorf("%w: dec3 fscod %d (reduced sample rates)", ErrUnsupportedCodec, dec3.EC3Subs[0].FSCod)
	}
	info.Channels, _ = dec3.ChannelInfo()
	var err error
	info.AudioConfig, err = audioConfigPayload(dec3, 5)
	return err
}

// audioConfigPayload returns the payload of a decoded dac3 or dec3 box,
// encoded again by mp4ff (which writes back the bytes it read), and checks
// it holds between minSize and maxAudioConfig bytes.
func audioConfigPayload(box mp4.Box, minSize int) ([]byte, error) {
	size := int(box.Size())
	if size < 8+minSize || size > 8+maxAudioConfig {
		return nil, fmt.Errorf("%w: %s of %d bytes", ErrMalformed, box.Type(), size-8)
	}
	sw := bits.NewFixedSliceWriter(size)
	if err := box.EncodeSW(sw); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, box.Type(), err)
	}
	return sw.Bytes()[8:], nil
}

func cloneAll(in [][]byte) [][]byte {
	if len(in) == 0 {
		return nil
	}
	out := make([][]byte, len(in))
	for i, b := range in {
		out[i] = bytes.Clone(b)
	}
	return out
}
