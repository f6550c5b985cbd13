package fmp4

import (
	"bytes"
	"fmt"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"

	"boxcar/internal/media"
)

// WriteInit writes the CMAF header (init segment) of a single-track
// presentation: ftyp (major iso6; compatible iso6, cmfc, dash, mp41) and a
// moov whose one trak has the track's canonical timescale, language and
// sample entry (avc1+avcC, hvc1+hvcC with VPS/SPS/PPS arrays, mp4a+esds,
// ac-3+dac3 or ec-3+dec3), empty sample tables and an mvex/trex. Video
// needs at least one SPS and PPS in info. Equal infos give equal bytes.
func WriteInit(trackID uint32, info media.TrackInfo) ([]byte, error) {
	if trackID == 0 {
		return nil, fmt.Errorf("fmp4: write init: track_ID 0")
	}
	if info.Timescale == 0 {
		return nil, fmt.Errorf("fmp4: write init: %s track without timescale", info.Codec)
	}
	var mediaType string
	switch info.Codec.Kind() {
	case media.KindVideo:
		mediaType = "video"
	case media.KindAudio:
		mediaType = "audio"
	default:
		return nil, fmt.Errorf("fmp4: write init: %w: %s", ErrUnsupportedCodec, info.Codec)
	}
	lang := info.Language
	if len(lang) != 3 {
		lang = "und"
	}

	init := mp4.NewMP4Init()
	init.AddChild(mp4.NewFtyp("iso6", 0, []string{"iso6", "cmfc", "dash", "mp41"}))
	moov := mp4.NewMoovBox()
	init.AddChild(moov)
	mvhd := mp4.CreateMvhd()
	mvhd.Timescale = 1000
	mvhd.NextTrackID = trackID + 1
	moov.AddChild(mvhd)
	trak := mp4.CreateEmptyTrak(trackID, info.Timescale, mediaType, lang)
	trak.Mdia.Hdlr.Name = "Boxcar " + mediaType
	moov.AddChild(trak)
	mvex := mp4.NewMvexBox()
	mvex.AddChild(mp4.CreateTrex(trackID))
	moov.AddChild(mvex)

	if err := setSampleEntry(trak, info); err != nil {
		return nil, fmt.Errorf("fmp4: write init: %s: %w", info.Codec, err)
	}
	out := make([]byte, 0, init.Size())
	buf := bytes.NewBuffer(out)
	if err := init.Encode(buf); err != nil {
		return nil, fmt.Errorf("fmp4: write init: %w", err)
	}
	return buf.Bytes(), nil
}

func setSampleEntry(trak *mp4.TrakBox, info media.TrackInfo) error {
	switch info.Codec {
	case media.CodecH264:
		if len(info.SPS) == 0 || len(info.PPS) == 0 {
			return fmt.Errorf("no SPS or PPS")
		}
		return trak.SetAVCDescriptor("avc1", info.SPS, info.PPS, true)
	case media.CodecH265:
		if len(info.VPS) == 0 || len(info.SPS) == 0 || len(info.PPS) == 0 {
			return fmt.Errorf("no VPS, SPS or PPS")
		}
		return trak.SetHEVCDescriptor("hvc1", info.VPS, info.SPS, info.PPS, nil, true)
	case media.CodecAAC:
		if len(info.AudioConfig) < 2 {
			return fmt.Errorf("no AudioSpecificConfig")
		}
		rate := info.SampleRate
		if rate > 0xffff { // the 16.16 field cannot hold it; mdhd has the rate
			rate = 0
		}
		entry := mp4.CreateAudioSampleEntryBox("mp4a", uint16(info.Channels), 16, uint16(rate),
			mp4.CreateEsdsBox(bytes.Clone(info.AudioConfig)))
		trak.Mdia.Minf.Stbl.Stsd.AddChild(entry)
		return nil
	case media.CodecAC3:
		hdr := mp4.BoxHeader{Name: "dac3", Size: uint64(8 + len(info.AudioConfig)), Hdrlen: 8}
		b, err := mp4.DecodeDac3SR(hdr, 0, bits.NewFixedSliceReader(info.AudioConfig))
		if err != nil || len(info.AudioConfig) < 3 {
			return fmt.Errorf("bad dac3 payload: %v", err)
		}
		dac3 := b.(*mp4.Dac3Box)
		if ac3SampleRate(dac3.FSCod) == 0 {
			return fmt.Errorf("dac3 fscod %d", dac3.FSCod)
		}
		return trak.SetAC3Descriptor(dac3)
	case media.CodecEAC3:
		hdr := mp4.BoxHeader{Name: "dec3", Size: uint64(8 + len(info.AudioConfig)), Hdrlen: 8}
		b, err := mp4.DecodeDec3SR(hdr, 0, bits.NewFixedSliceReader(info.AudioConfig))
		if err != nil || len(info.AudioConfig) < 5 {
			return fmt.Errorf("bad dec3 payload: %v", err)
		}
		dec3 := b.(*mp4.Dec3Box)
		if len(dec3.EC3Subs) == 0 || ac3SampleRate(dec3.EC3Subs[0].FSCod) == 0 {
			return fmt.Errorf("dec3 without a usable substream")
		}
		return trak.SetEC3Descriptor(dec3)
	}
	return ErrUnsupportedCodec
}
