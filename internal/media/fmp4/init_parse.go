package fmp4

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/Eyevinn/mp4ff/aac"
	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"

	"boxcar/internal/media"
)

// InitTrack is one track of an init segment.
type InitTrack struct {
	TrackID uint32
	// Timescale is the mdhd timescale, in which the track's fragments are
	// written. It usually differs from Info.Timescale (canonical).
	Timescale uint32
	// Info is the canonical codec configuration.
	Info media.TrackInfo
	// SampleEntry is the sample entry type: "avc1", "avc3", "hvc1",
	// "hev1", "mp4a", "ac-3" or "ec-3".
	SampleEntry string
	// LengthSize is the size in bytes (1, 2 or 4) of the NAL unit length
	// fields in the track's video samples; 0 for audio.
	LengthSize int
	// Defaults are the track's sample defaults from trex.
	Defaults SampleDefaults
}

// SampleDefaults are the per-track sample defaults of a trex box.
type SampleDefaults struct {
	Duration, Size, Flags uint32
}

// ParseInit parses an init segment (ftyp + moov, as an encoder writes it)
// into its video and audio tracks, in file order. Tracks of other kinds
// (text, metadata) are skipped. Encrypted tracks return ErrEncrypted, other
// codecs than H.264, H.265, AAC, AC-3 and E-AC-3 ErrUnsupportedCodec.
// Edit lists are ignored: sample times are those of the fragments.
//
// The returned values do not alias data.
func ParseInit(data []byte) ([]InitTrack, error) {
	moov, ok, err := findChild(data, 0, len(data), typMoov)
	if err != nil {
		return nil, fmt.Errorf("fmp4: parse init: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("fmp4: parse init: %w: no moov box", ErrMalformed)
	}
	var tracks []InitTrack
	var trexes []box
	for pos := moov.body; pos < moov.end; {
		b, err := readBox(data, pos, moov.end)
		if err != nil {
			return nil, fmt.Errorf("fmp4: parse init: %w", err)
		}
		pos = b.end
		switch b.typ {
		case typTrak:
			if len(tracks) == maxTracks {
				return nil, fmt.Errorf("fmp4: parse init: %w: more than %d tracks", ErrMalformed, maxTracks)
			}
			t, ok, err := parseTrak(data, b)
			if err != nil {
				return nil, fmt.Errorf("fmp4: parse init: %w", err)
			}
			if ok {
				tracks = append(tracks, t)
			}
		case typMvex:
			for p := b.body; p < b.end; {
				c, err := readBox(data, p, b.end)
				if err != nil {
					return nil, fmt.Errorf("fmp4: parse init: mvex: %w", err)
				}
				p = c.end
				if c.typ == typTrex {
					if len(trexes) == maxTracks {
						return nil, fmt.Errorf("fmp4: parse init: %w: more than %d trex boxes", ErrMalformed, maxTracks)
					}
					trexes = append(trexes, c)
				}
			}
		}
	}
	if len(tracks) == 0 {
		return nil, fmt.Errorf("fmp4: parse init: %w: no video or audio track", ErrMalformed)
	}
	for _, b := range trexes {
		_, _, p, err := fullBox(data, b)
		if err != nil || b.end-p < 20 {
			return nil, fmt.Errorf("fmp4: parse init: %w: short trex", ErrMalformed)
		}
		id := binary.BigEndian.Uint32(data[p:])
		for i := range tracks {
			if tracks[i].TrackID == id {
				tracks[i].Defaults = SampleDefaults{
					Duration: binary.BigEndian.Uint32(data[p+8:]),
					Size:     binary.BigEndian.Uint32(data[p+12:]),
					Flags:    binary.BigEndian.Uint32(data[p+16:]),
				}
			}
		}
	}
	for i := range tracks {
		for j := range i {
			if tracks[i].TrackID == tracks[j].TrackID {
				return nil, fmt.Errorf("fmp4: parse init: %w: track_ID %d used twice", ErrMalformed, tracks[i].TrackID)
			}
		}
	}
	return tracks, nil
}

// parseTrak parses one trak box; ok is false for a track that is neither
// video nor audio.
func parseTrak(data []byte, trak box) (t InitTrack, ok bool, err error) {
	tkhd, err := mustChild(data, trak, typTkhd)
	if err != nil {
		return t, false, err
	}
	v, _, p, err := fullBox(data, tkhd)
	if err != nil {
		return t, false, err
	}
	if v == 1 {
		p += 16
	} else {
		p += 8
	}
	if tkhd.end-p < 4 {
		return t, false, fmt.Errorf("%w: short tkhd", ErrMalformed)
	}
	t.TrackID = binary.BigEndian.Uint32(data[p:])
	if t.TrackID == 0 {
		return t, false, fmt.Errorf("%w: track_ID 0", ErrMalformed)
	}

	mdia, err := mustChild(data, trak, typMdia)
	if err != nil {
		return t, false, err
	}
	hdlr, err := mustChild(data, mdia, typHdlr)
	if err != nil {
		return t, false, err
	}
	if hdlr.end-hdlr.body < 12 {
		return t, false, fmt.Errorf("%w: short hdlr", ErrMalformed)
	}
	handler := binary.BigEndian.Uint32(data[hdlr.body+8:])
	if handler != hdlrVide && handler != hdlrSoun {
		return t, false, nil
	}
	mdhd, err := mustChild(data, mdia, typMdhd)
	if err != nil {
		return t, false, err
	}
	if t.Timescale, t.Info.Language, err = parseMdhd(data, mdhd); err != nil {
		return t, false, fmt.Errorf("track %d: %w", t.TrackID, err)
	}
	minf, err := mustChild(data, mdia, typMinf)
	if err != nil {
		return t, false, err
	}
	stbl, err := mustChild(data, minf, typStbl)
	if err != nil {
		return t, false, err
	}
	stsd, err := mustChild(data, stbl, typStsd)
	if err != nil {
		return t, false, err
	}
	_, _, p, err = fullBox(data, stsd)
	if err != nil {
		return t, false, err
	}
	if stsd.end-p < 4 || binary.BigEndian.Uint32(data[p:]) == 0 {
		return t, false, fmt.Errorf("%w: track %d: empty stsd", ErrMalformed, t.TrackID)
	}
	// Fragments of one track use one sample description; the first is the
	// one trex and tfhd point at in practice.
	entry, err := readBox(data, p+4, stsd.end)
	if err != nil {
		return t, false, fmt.Errorf("track %d: stsd: %w", t.TrackID, err)
	}
	t.SampleEntry = fourCC(entry.typ)
	switch entry.typ {
	case typEncv, typEnca:
		return t, false, fmt.Errorf("track %d: %w (%s)", t.TrackID, ErrEncrypted, t.SampleEntry)
	}
	if handler == hdlrVide {
		err = parseVisualEntry(data, entry, &t)
	} else {
		err = parseAudioEntry(data, entry, &t)
	}
	if err != nil {
		return t, false, fmt.Errorf("track %d: %s: %w", t.TrackID, t.SampleEntry, err)
	}
	return t, true, nil
}

// parseMdhd returns the media timescale and the language ("" for "und").
func parseMdhd(data []byte, mdhd box) (timescale uint32, lang string, err error) {
	v, _, p, err := fullBox(data, mdhd)
	if err != nil {
		return 0, "", err
	}
	var langPos int
	if v == 1 {
		p += 16
		langPos = p + 12
	} else {
		p += 8
		langPos = p + 8
	}
	if mdhd.end-langPos < 2 {
		return 0, "", fmt.Errorf("%w: short mdhd", ErrMalformed)
	}
	timescale = binary.BigEndian.Uint32(data[p:])
	if timescale == 0 {
		return 0, "", fmt.Errorf("%w: mdhd timescale 0", ErrMalformed)
	}
	code := binary.BigEndian.Uint16(data[langPos:])
	l := [3]byte{byte(code>>10&0x1f) + 0x60, byte(code>>5&0x1f) + 0x60, byte(code&0x1f) + 0x60}
	for _, c := range l {
		if c < 'a' || c > 'z' {
			return timescale, "", nil
		}
	}
	if s := string(l[:]); s != "und" {
		lang = s
	}
	return timescale, lang, nil
}

// Sample entry layouts (ISO/IEC 14496-12 §12.1.3, §12.2.3): bytes between
// the box header and the first child box.
const (
	visualEntryHeader = 78
	audioEntryHeader  = 28
)

// entryChildren returns the config and sinf child boxes of a sample entry.
func entryChildren(data []byte, pos, end int, cfgType uint32) (cfg box, found bool, err error) {
	for pos < end {
		b, err := readBox(data, pos, end)
		if err != nil {
			return box{}, false, err
		}
		pos = b.end
		switch b.typ {
		case typSinf:
			return box{}, false, ErrEncrypted
		case cfgType:
			if !found {
				cfg, found = b, true
			}
		}
	}
	return cfg, found, nil
}

func parseVisualEntry(data []byte, e box, t *InitTrack) error {
	info := &t.Info
	info.Kind = media.KindVideo
	info.Timescale = media.VideoTimescale
	var cfgType uint32
	switch e.typ {
	case typAvc1, typAvc3:
		info.Codec, cfgType = media.CodecH264, typAvcC
	case typHvc1, typHev1:
		info.Codec, cfgType = media.CodecH265, typHvcC
	default:
		return ErrUnsupportedCodec
	}
	if e.end-e.body < visualEntryHeader {
		return fmt.Errorf("%w: short visual sample entry", ErrMalformed)
	}
	info.Width = int(binary.BigEndian.Uint16(data[e.body+24:]))
	info.Height = int(binary.BigEndian.Uint16(data[e.body+26:]))
	cfg, ok, err := entryChildren(data, e.body+visualEntryHeader, e.end, cfgType)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: no %s box", ErrMalformed, fourCC(cfgType))
	}
	rec := data[cfg.body:cfg.end]
	var ps paramSets
	if info.Codec == media.CodecH264 {
		t.LengthSize, ps, err = parseAvcC(rec)
	} else {
		t.LengthSize, ps, err = parseHvcC(rec)
	}
	if err != nil {
		return err
	}
	info.VPS, info.SPS, info.PPS = cloneAll(ps.vps), cloneAll(ps.sps), cloneAll(ps.pps)
	if len(info.SPS) > 0 {
		if w, h, ok := videoSize(info.Codec, info.SPS[0]); ok {
			info.Width, info.Height = w, h
		}
	}
	return nil
}

func parseAudioEntry(data []byte, e box, t *InitTrack) error {
	info := &t.Info
	info.Kind = media.KindAudio
	var cfgType uint32
	switch e.typ {
	case typMp4a:
		info.Codec, cfgType = media.CodecAAC, typEsds
	case typAc3:
		info.Codec, cfgType = media.CodecAC3, typDac3
	case typEc3:
		info.Codec, cfgType = media.CodecEAC3, typDec3
	default:
		return ErrUnsupportedCodec
	}
	if e.end-e.body < audioEntryHeader {
		return fmt.Errorf("%w: short audio sample entry", ErrMalformed)
	}
	children := e.body + audioEntryHeader
	switch binary.BigEndian.Uint16(data[e.body+8:]) { // QuickTime sound description version
	case 1:
		children += 16
	case 2:
		children += 36
	}
	if children > e.end {
		return fmt.Errorf("%w: short audio sample entry", ErrMalformed)
	}
	entryChannels := int(binary.BigEndian.Uint16(data[e.body+16:]))
	entryRate := int(binary.BigEndian.Uint32(data[e.body+24:]) >> 16)
	cfg, ok, err := entryChildren(data, children, e.end, cfgType)
	if err != nil {
		return err
	}
	if !ok && e.typ == typMp4a {
		// QuickTime writers nest esds in a wave box.
		if wave, found, err := entryChildren(data, children, e.end, typWave); err == nil && found {
			cfg, ok, err = entryChildren(data, wave.body, wave.end, typEsds)
			if err != nil {
				return err
			}
		}
	}
	if !ok {
		return fmt.Errorf("%w: no %s box", ErrMalformed, fourCC(cfgType))
	}
	payload := data[cfg.body:cfg.end]
	switch info.Codec {
	case media.CodecAAC:
		err = parseEsds(payload, cfg, info)
	case media.CodecAC3:
		err = parseDac3(payload, info)
	case media.CodecEAC3:
		err = parseDec3(payload, info)
	}
	if err != nil {
		return err
	}
	if info.Channels == 0 {
		info.Channels = entryChannels
	}
	if info.SampleRate == 0 {
		info.SampleRate = entryRate
	}
	if info.SampleRate <= 0 || info.SampleRate > maxSampleRate {
		return fmt.Errorf("%w: sample rate %d", ErrMalformed, info.SampleRate)
	}
	info.Timescale = uint32(info.SampleRate)
	return nil
}

// parseEsds extracts the AudioSpecificConfig from an esds payload.
func parseEsds(payload []byte, b box, info *media.TrackInfo) error {
	hdr := mp4.BoxHeader{Name: "esds", Size: uint64(b.end - b.start), Hdrlen: b.body - b.start}
	box, err := mp4.DecodeEsdsSR(hdr, 0, bits.NewFixedSliceReader(payload))
	if err != nil {
		return fmt.Errorf("%w: esds: %w", ErrMalformed, err)
	}
	esds := box.(*mp4.EsdsBox)
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
	cfg, err := aac.DecodeAudioSpecificConfig(bytes.NewReader(asc))
	if err != nil {
		return fmt.Errorf("%w: AudioSpecificConfig: %w", ErrUnsupportedCodec, err)
	}
	info.AudioConfig = bytes.Clone(asc)
	info.SampleRate = cfg.SamplingFrequency
	if cfg.SBRPresentFlag && cfg.ExtensionFrequency > 0 {
		info.SampleRate = cfg.ExtensionFrequency
	}
	switch c := int(cfg.ChannelConfiguration); {
	case c >= 1 && c <= 6:
		info.Channels = c
	case c == 7:
		info.Channels = 8
	}
	if cfg.PSPresentFlag {
		info.Channels = 2
	}
	return nil
}

// ac3SampleRates maps fscod (ETSI TS 102 366 §4.4.1.3) to Hz.
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

func parseDac3(payload []byte, info *media.TrackInfo) error {
	if len(payload) < 3 || len(payload) > maxAudioConfig {
		return fmt.Errorf("%w: dac3 of %d bytes", ErrMalformed, len(payload))
	}
	hdr := mp4.BoxHeader{Name: "dac3", Size: uint64(8 + len(payload)), Hdrlen: 8}
	b, err := mp4.DecodeDac3SR(hdr, 0, bits.NewFixedSliceReader(payload))
	if err != nil {
		return fmt.Errorf("%w: dac3: %w", ErrMalformed, err)
	}
	dac3 := b.(*mp4.Dac3Box)
	if info.SampleRate = ac3SampleRate(dac3.FSCod); info.SampleRate == 0 {
		return fmt.Errorf("%w: dac3 fscod %d", ErrMalformed, dac3.FSCod)
	}
	info.Channels, _ = dac3.ChannelInfo()
	info.AudioConfig = bytes.Clone(payload)
	return nil
}

func parseDec3(payload []byte, info *media.TrackInfo) error {
	if len(payload) < 5 || len(payload) > maxAudioConfig {
		return fmt.Errorf("%w: dec3 of %d bytes", ErrMalformed, len(payload))
	}
	hdr := mp4.BoxHeader{Name: "dec3", Size: uint64(8 + len(payload)), Hdrlen: 8}
	b, err := mp4.DecodeDec3SR(hdr, 0, bits.NewFixedSliceReader(payload))
	if err != nil {
		return fmt.Errorf("%w: dec3: %w", ErrMalformed, err)
	}
	dec3 := b.(*mp4.Dec3Box)
	if len(dec3.EC3Subs) == 0 {
		return fmt.Errorf("%w: dec3 without substreams", ErrMalformed)
	}
	if info.SampleRate = ac3SampleRate(dec3.EC3Subs[0].FSCod); info.SampleRate == 0 {
		return fmt.Errorf("%w: dec3 fscod %d (reduced sample rates)", ErrUnsupportedCodec, dec3.EC3Subs[0].FSCod)
	}
	info.Channels, _ = dec3.ChannelInfo()
	info.AudioConfig = bytes.Clone(payload)
	return nil
}

// paramSets are the parameter sets of a decoder configuration record or
// an access unit, aliasing their source.
type paramSets struct {
	vps, sps, pps [][]byte
}

// parseAvcC parses an AVCDecoderConfigurationRecord (ISO/IEC 14496-15
// §5.3.3.1) for its NAL length size and parameter sets.
func parseAvcC(rec []byte) (lengthSize int, ps paramSets, err error) {
	if len(rec) < 6 || rec[0] != 1 {
		return 0, ps, fmt.Errorf("%w: bad avcC", ErrMalformed)
	}
	lengthSize = int(rec[4]&3) + 1
	if lengthSize == 3 {
		return 0, ps, fmt.Errorf("%w: avcC NAL length size 3", ErrMalformed)
	}
	pos := 5
	for _, dst := range []*[][]byte{&ps.sps, &ps.pps} {
		if pos >= len(rec) {
			return 0, ps, fmt.Errorf("%w: truncated avcC", ErrMalformed)
		}
		n := int(rec[pos])
		if dst == &ps.sps {
			n &= 0x1f
		}
		pos++
		for range n {
			if len(rec)-pos < 2 {
				return 0, ps, fmt.Errorf("%w: truncated avcC", ErrMalformed)
			}
			l := int(binary.BigEndian.Uint16(rec[pos:]))
			pos += 2
			if l == 0 || len(rec)-pos < l {
				return 0, ps, fmt.Errorf("%w: truncated avcC parameter set", ErrMalformed)
			}
			*dst = append(*dst, rec[pos:pos+l])
			pos += l
		}
	}
	return lengthSize, ps, nil
}

// parseHvcC parses an HEVCDecoderConfigurationRecord (ISO/IEC 14496-15
// §8.3.3.1) for its NAL length size and VPS/SPS/PPS arrays.
func parseHvcC(rec []byte) (lengthSize int, ps paramSets, err error) {
	if len(rec) < 23 || rec[0] != 1 {
		return 0, ps, fmt.Errorf("%w: bad hvcC", ErrMalformed)
	}
	lengthSize = int(rec[21]&3) + 1
	if lengthSize == 3 {
		return 0, ps, fmt.Errorf("%w: hvcC NAL length size 3", ErrMalformed)
	}
	arrays := int(rec[22])
	pos := 23
	for range arrays {
		if len(rec)-pos < 3 {
			return 0, ps, fmt.Errorf("%w: truncated hvcC", ErrMalformed)
		}
		typ := rec[pos] & 0x3f
		n := int(binary.BigEndian.Uint16(rec[pos+1:]))
		pos += 3
		var dst *[][]byte
		switch typ {
		case hevcVPS:
			dst = &ps.vps
		case hevcSPS:
			dst = &ps.sps
		case hevcPPS:
			dst = &ps.pps
		}
		for range n {
			if len(rec)-pos < 2 {
				return 0, ps, fmt.Errorf("%w: truncated hvcC", ErrMalformed)
			}
			l := int(binary.BigEndian.Uint16(rec[pos:]))
			pos += 2
			if len(rec)-pos < l {
				return 0, ps, fmt.Errorf("%w: truncated hvcC NAL unit", ErrMalformed)
			}
			if dst != nil && l > 0 {
				if len(*dst) == maxParameterSets {
					return 0, ps, fmt.Errorf("%w: more than %d parameter sets", ErrMalformed, maxParameterSets)
				}
				*dst = append(*dst, rec[pos:pos+l])
			}
			pos += l
		}
	}
	return lengthSize, ps, nil
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
