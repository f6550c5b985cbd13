// Package media is Boxcar's canonical media model: the values every demuxer
// produces and every packager consumes, whatever container came in (DESIGN.md
// §2.1). Its subpackages are pure: bytes in, values and errors out; they
// never log, keep no globals and import no net/http.
package media

import (
	"bytes"
	"fmt"
	"slices"
)

// Kind is the kind of an elementary stream.
type Kind uint8

// Kinds of tracks.
const (
	KindVideo Kind = iota + 1
	KindAudio
	KindText
)

func (k Kind) String() string {
	switch k {
	case KindVideo:
		return "video"
	case KindAudio:
		return "audio"
	case KindText:
		return "text"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Codec identifies the coding format of a track.
type Codec uint8

// Codecs Boxcar ingests.
const (
	CodecH264 Codec = iota + 1
	CodecH265
	CodecAAC
	CodecAC3
	CodecEAC3
)

func (c Codec) String() string {
	switch c {
	case CodecH264:
		return "h264"
	case CodecH265:
		return "h265"
	case CodecAAC:
		return "aac"
	case CodecAC3:
		return "ac3"
	case CodecEAC3:
		return "eac3"
	}
	return fmt.Sprintf("codec(%d)", uint8(c))
}

// Kind returns the kind of track the codec belongs to.
func (c Codec) Kind() Kind {
	switch c {
	case CodecH264, CodecH265:
		return KindVideo
	case CodecAAC, CodecAC3, CodecEAC3:
		return KindAudio
	}
	return 0
}

// VideoTimescale is the timescale of every canonical video track and of the
// channel timeline: 90 kHz, MPEG-TS's clock.
const VideoTimescale = 90000

// TrackInfo is the codec configuration of one elementary stream: what an
// init segment describes. Two TrackInfos that are Equal produce the same
// init segment.
type TrackInfo struct {
	Kind  Kind
	Codec Codec
	// Timescale of sample times: VideoTimescale for video, the sample rate
	// for audio.
	Timescale uint32

	// Video. Parameter sets are NAL units without start codes or length
	// prefixes; VPS only for H.265.
	Width, Height int
	VPS, SPS, PPS [][]byte

	// Audio.
	SampleRate int
	Channels   int
	// AudioConfig is the AAC AudioSpecificConfig, or the AC-3/E-AC-3
	// dac3/dec3 box payload.
	AudioConfig []byte

	// Language is an ISO 639-2/T code ("eng"), "" when unknown.
	Language string
}

// Equal reports whether a and b describe the same configuration: every
// field the init segment is written from, parameter sets and
// AudioConfig compared by content (a nil list equals an empty one). Two
// nil TrackInfos are equal; go-cmp calls Equal on *TrackInfo values.
func (a *TrackInfo) Equal(b *TrackInfo) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Kind == b.Kind && a.Codec == b.Codec && a.Timescale == b.Timescale &&
		a.Width == b.Width && a.Height == b.Height &&
		a.SampleRate == b.SampleRate && a.Channels == b.Channels && a.Language == b.Language &&
		bytes.Equal(a.AudioConfig, b.AudioConfig) &&
		EqualParameterSets(a.VPS, b.VPS) && EqualParameterSets(a.SPS, b.SPS) && EqualParameterSets(a.PPS, b.PPS)
}

// EqualParameterSets reports whether two lists of parameter sets hold the
// same NAL units in the same order.
func EqualParameterSets(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, bytes.Equal)
}

// Sample is one access unit (video frame or audio frame).
type Sample struct {
	// DTS is the decode time in the track's timescale on a 64-bit timeline
	// that never wraps.
	DTS int64
	// PTSOffset is PTS-DTS (composition offset), 0 for audio.
	PTSOffset int32
	// Duration in the track's timescale.
	Duration uint32
	// Sync marks a random access point (IDR/IRAP frame; every audio frame).
	Sync bool
	// Data is the sample payload as stored in MP4: for video, NAL units
	// each prefixed by a 4-byte big-endian length (AVCC/HVCC); for AAC the
	// raw frame without ADTS header; for AC-3/E-AC-3 the syncframe.
	Data []byte
}

// PTS returns the presentation time of the sample.
func (s *Sample) PTS() int64 { return s.DTS + int64(s.PTSOffset) }

// Rescale converts t from timescale from to timescale to, rounding to the
// nearest unit. It does not overflow for media times below about 2^63/to.
func Rescale(t int64, from, to uint32) int64 {
	if from == to {
		return t
	}
	q, r := t/int64(from), t%int64(from)
	return q*int64(to) + (r*int64(to)+int64(from)/2)/int64(from)
}
