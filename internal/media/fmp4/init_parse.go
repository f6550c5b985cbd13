package fmp4

import (
	"errors"
	"fmt"

	"github.com/Eyevinn/mp4ff/avc"
	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/hevc"
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
	// LengthSize is the size in bytes of the NAL unit length fields in the
	// track's video samples; 0 for audio. The configuration records
	// ParseInit accepts all declare 4.
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
// codecs than H.264, H.265, AAC, AC-3 and E-AC-3 ErrUnsupportedCodec, as do
// AVC and HEVC configuration records with NAL unit lengths of other than 4
// bytes. Edit lists are ignored: sample times are those of the fragments.
//
// Boxes are decoded by mp4ff; the limits of limits.go are checked on the
// decoded values. The returned values do not alias data.
func ParseInit(data []byte) ([]InitTrack, error) {
	moov, err := decodeMoov(data)
	if err != nil {
		return nil, fmt.Errorf("fmp4: parse init: %w", err)
	}
	var tracks []InitTrack
	for _, trak := range moov.Traks {
		if len(tracks) == maxTracks {
			return nil, fmt.Errorf("fmp4: parse init: %w: more than %d tracks", ErrMalformed, maxTracks)
		}
		t, ok, err := parseTrak(trak)
		if err != nil {
			return nil, fmt.Errorf("fmp4: parse init: %w", err)
		}
		if ok {
			tracks = append(tracks, t)
		}
	}
	if len(tracks) == 0 {
		return nil, fmt.Errorf("fmp4: parse init: %w: no video or audio track", ErrMalformed)
	}
	if err := applyTrex(tracks, moov.Mvex); err != nil {
		return nil, fmt.Errorf("fmp4: parse init: %w", err)
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

// decodeMoov decodes the first moov box of data. Top-level boxes before it
// (ftyp, free, a progressive file's mdat) are skipped by their headers, and
// boxes after it are not read: a whole file or an init segment followed by
// media is an init segment too.
func decodeMoov(data []byte) (*mp4.MoovBox, error) {
	sr := bits.NewFixedSliceReader(data)
	for sr.NrRemainingBytes() > 0 {
		pos := sr.GetPos()
		hdr, err := mp4.DecodeHeaderSR(sr)
		if err != nil {
			return nil, fmt.Errorf("%w: box at offset %d: %w", ErrMalformed, pos, err)
		}
		if hdr.Size > uint64(len(data)-pos) {
			return nil, fmt.Errorf("%w: box %q at offset %d has size %d, %d bytes available",
				ErrMalformed, hdr.Name, pos, hdr.Size, len(data)-pos)
		}
		if hdr.Name != "moov" {
			sr.SetPos(pos + int(hdr.Size))
			continue
		}
		box, err := mp4.DecodeBoxBodySR(uint64(pos), hdr, sr)
		if err != nil {
			if errors.Is(err, avc.ErrLengthSize) || errors.Is(err, hevc.ErrLengthSize) {
				return nil, fmt.Errorf("%w: %w", ErrUnsupportedCodec, err)
			}
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		return box.(*mp4.MoovBox), nil
	}
	return nil, fmt.Errorf("%w: no moov box", ErrMalformed)
}

// parseTrak converts one trak box; ok is false for a track that is neither
// video nor audio.
func parseTrak(trak *mp4.TrakBox) (t InitTrack, ok bool, err error) {
	if trak.Tkhd == nil {
		return t, false, fmt.Errorf("%w: trak without tkhd", ErrMalformed)
	}
	if t.TrackID = trak.Tkhd.TrackID; t.TrackID == 0 {
		return t, false, fmt.Errorf("%w: track_ID 0", ErrMalformed)
	}
	mdia := trak.Mdia
	if mdia == nil || mdia.Hdlr == nil {
		return t, false, fmt.Errorf("%w: track %d without mdia or hdlr", ErrMalformed, t.TrackID)
	}
	handler := mdia.Hdlr.HandlerType
	if handler != "vide" && handler != "soun" {
		return t, false, nil
	}
	if mdia.Mdhd == nil {
		return t, false, fmt.Errorf("%w: track %d without mdhd", ErrMalformed, t.TrackID)
	}
	if t.Timescale = mdia.Mdhd.Timescale; t.Timescale == 0 {
		return t, false, fmt.Errorf("%w: track %d: mdhd timescale 0", ErrMalformed, t.TrackID)
	}
	t.Info.Language = language(mdia.Mdhd.Language)
	if mdia.Minf == nil || mdia.Minf.Stbl == nil || mdia.Minf.Stbl.Stsd == nil {
		return t, false, fmt.Errorf("%w: track %d without minf, stbl or stsd", ErrMalformed, t.TrackID)
	}
	stsd := mdia.Minf.Stbl.Stsd
	if len(stsd.Children) == 0 {
		return t, false, fmt.Errorf("%w: track %d: empty stsd", ErrMalformed, t.TrackID)
	}
	// Fragments of one track use one sample description; the first is the
	// one trex and tfhd point at in practice.
	entry := stsd.Children[0]
	t.SampleEntry = entry.Type()
	switch t.SampleEntry {
	case "encv", "enca":
		return t, false, fmt.Errorf("track %d: %w (%q)", t.TrackID, ErrEncrypted, t.SampleEntry)
	}
	kind := media.KindAudio
	if handler == "vide" {
		kind = media.KindVideo
	}
	switch t.Info.Codec = entryCodec(t.SampleEntry); {
	case t.Info.Codec.Kind() != kind:
		err = ErrUnsupportedCodec
	case kind == media.KindVideo:
		err = parseVisualEntry(entry, &t)
	default:
		err = parseAudioEntry(entry, &t)
	}
	if err != nil {
		return t, false, fmt.Errorf("track %d: %q: %w", t.TrackID, t.SampleEntry, err)
	}
	return t, true, nil
}

// language returns the ISO 639-2/T code of an mdhd language field, or ""
// for "und" and codes that are not three lower-case letters.
func language(code uint16) string {
	l := [3]byte{byte(code>>10&0x1f) + 0x60, byte(code>>5&0x1f) + 0x60, byte(code&0x1f) + 0x60}
	for _, c := range l {
		if c < 'a' || c > 'z' {
			return ""
		}
	}
	if s := string(l[:]); s != "und" {
		return s
	}
	return ""
}

// applyTrex sets the sample defaults of tracks from the trex boxes of mvex.
func applyTrex(tracks []InitTrack, mvex *mp4.MvexBox) error {
	if mvex == nil {
		return nil
	}
	if len(mvex.Trexs) > maxTracks {
		return fmt.Errorf("%w: more than %d trex boxes", ErrMalformed, maxTracks)
	}
	for _, trex := range mvex.Trexs {
		for i := range tracks {
			if tracks[i].TrackID == trex.TrackID {
				tracks[i].Defaults = SampleDefaults{
					Duration: trex.DefaultSampleDuration,
					Size:     trex.DefaultSampleSize,
					Flags:    trex.DefaultSampleFlags,
				}
			}
		}
	}
	return nil
}
