// Package ts reads and writes MPEG-2 transport streams (ISO/IEC 13818-1) in
// Boxcar's canonical media model (internal/media).
//
// The demuxer (Demux) turns one TS segment pushed by an encoder into tracks
// of samples with codec configuration and 64-bit timestamps, plus the raw
// SCTE-35, ID3 and other data streams it carries. Input is untrusted: every
// size is bounded by a named limit, corrupt units are dropped and counted,
// and nothing panics on input.
//
// The package is pure: it never logs, keeps no globals and does no I/O.
package ts

import (
	"errors"
	"fmt"

	"boxcar/internal/media"
)

// Limits on untrusted input.
const (
	// MaxPESSize bounds one PES packet, i.e. one video access unit: 8 MiB
	// holds an intra frame of 50 Mbps 2160p60 H.264/H.265 with room to spare
	// (mediacommon uses the same bound). Larger PES packets are dropped.
	MaxPESSize = 8 << 20
	// MaxSamplesPerTrack bounds the samples of one track in one segment:
	// 2^16 is 18 minutes of 60 fps video or 23 minutes of 48 kHz AAC, far
	// beyond any ingest segment. Exceeding it fails the segment.
	MaxSamplesPerTrack = 1 << 16
	// MaxNALUsPerSample bounds NAL units in one access unit: x264/x265 with
	// slices, SEI and captions stay below 100; the bound keeps a hostile
	// stream of tiny NAL units from inflating memory. Larger access units
	// are dropped.
	MaxNALUsPerSample = 1024
	// MaxParameterSets bounds parameter sets of one kind in one access unit
	// (H.264 allows 32 SPS and 256 PPS ids; encoders send one or two).
	MaxParameterSets = 32
	// MaxStreams bounds the elementary streams taken from a PMT; a PMT
	// section (at most 1021 bytes) can list about 200, real ones list a few.
	MaxStreams = 64
	// MaxDataUnits bounds the units of one data stream in one segment:
	// SCTE-35 and ID3 arrive a few times per second at most.
	MaxDataUnits = 1 << 14
)

// Errors returned by Demux; test them with errors.Is.
var (
	// ErrNoProgram: the input has no valid PAT and PMT.
	ErrNoProgram = errors.New("ts: no program (PAT and PMT) found")
	// ErrNoSync: a packet does not start with the sync byte 0x47; the
	// input is not a 188-byte transport stream or is corrupt.
	ErrNoSync = errors.New("ts: sync byte 0x47 missing")
	// ErrTruncated: the input does not end on a packet boundary.
	ErrTruncated = errors.New("ts: input ends inside a packet")
	// ErrTooLarge: the input exceeds one of the limits above.
	ErrTooLarge = errors.New("ts: input exceeds a limit")
)

// DemuxOptions configures Demux.
type DemuxOptions struct {
	// Anchor is a 64-bit 90 kHz time; the first timestamp of the segment
	// is unwrapped (raw 33-bit value + k·2^33, k may be negative) to the
	// value nearest Anchor, and later timestamps continue from it across
	// the 2^33 wrap. Anchor < 0: no anchor, the first timestamp is taken as
	// its raw 33-bit value. Pass the last DTS of the previous segment to
	// keep a channel's timeline continuous.
	Anchor int64
}

// DemuxResult is what one TS segment carries.
type DemuxResult struct {
	// Tracks are the audio and video streams Boxcar understands, in PMT order.
	Tracks []Track
	// Data are SCTE-35, ID3 and all other streams of the PMT, in PMT order.
	Data []DataStream
	// ContinuityErrors counts continuity counter discontinuities (lost
	// packets); the units they hit are dropped and counted per stream.
	ContinuityErrors int
	// ProgramNumber is the program that was demuxed (the first in the PAT).
	ProgramNumber uint16
}

// Track is one audio or video elementary stream.
type Track struct {
	PID        uint16
	StreamType uint8
	// Info is the codec configuration from in-band parameter sets or frame
	// headers: for video VPS/SPS/PPS, Width, Height and Timescale 90000;
	// for audio AudioConfig, SampleRate, Channels and Timescale = sample
	// rate. It applies to Samples up to the first entry of Changes. A
	// track whose PES packets were all lost has only Kind, Codec,
	// Language (and Timescale for video) set.
	Info media.TrackInfo
	// Samples in decode order. Times are unwrapped 64-bit values; video in
	// 90 kHz, audio in the sample rate. Samples before the first sync
	// sample are returned as they are.
	Samples []media.Sample
	// Changes lists codec configuration changes inside the segment (a new
	// SPS, another sample rate): from Samples[c.Index] on, c.Info applies.
	// Callers typically start a new init segment and signal a discontinuity.
	Changes []ConfigChange
	// Dropped counts PES packets or frames dropped as corrupt: lost
	// packets, malformed headers, sizes over the limits, truncation.
	Dropped int
}

// ConfigChange is a codec configuration change within a track.
type ConfigChange struct {
	Index int
	Info  media.TrackInfo
}

// DataKind classifies a data stream.
type DataKind uint8

// Kinds of data streams.
const (
	DataOther DataKind = iota
	DataSCTE35
	DataID3
)

func (k DataKind) String() string {
	switch k {
	case DataOther:
		return "other"
	case DataSCTE35:
		return "scte35"
	case DataID3:
		return "id3"
	}
	return fmt.Sprintf("datakind(%d)", uint8(k))
}

// DataStream is a non audio/video stream of the program, captured raw.
type DataStream struct {
	PID        uint16
	StreamType uint8
	Kind       DataKind
	// Units: for SCTE-35 one per complete splice_info_section (table_id
	// 0xFC) with a valid CRC_32; for ID3 and others one per PES payload
	// (or per payload unit when the stream is not carried in PES).
	Units []DataUnit
	// Dropped counts units dropped: bad CRC, lost packets, malformed.
	Dropped int
}

// DataUnit is one unit of a data stream.
type DataUnit struct {
	// PTS is an unwrapped 90 kHz time, -1 if none. For PES streams it is
	// the PES PTS. For SCTE-35 sections it is the arrival time: the PTS of
	// the last PES started on the program's first video (else audio)
	// stream before the section, the time a splice_immediate or
	// time_specified_flag=0 splice refers to.
	PTS int64
	// Data is the section (SCTE-35, including CRC_32) or PES payload.
	Data []byte
}

// Demux parses one MPEG-TS segment held in memory. The result does not
// alias data. Packet-level damage (continuity errors, corrupt PES) is
// counted and the demuxer keeps going; input that is not a transport
// stream, has no program or exceeds a limit returns an error wrapping
// ErrNoSync, ErrTruncated, ErrNoProgram or ErrTooLarge.
func Demux(data []byte, opts DemuxOptions) (*DemuxResult, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("ts: demux: empty input: %w", ErrNoProgram)
	}
	if data[0] != syncByte {
		return nil, fmt.Errorf("ts: demux: first byte 0x%02x: %w", data[0], ErrNoSync)
	}
	if rem := len(data) % packetSize; rem != 0 {
		return nil, fmt.Errorf("ts: demux: %d bytes is %d packets and %d bytes: %w",
			len(data), len(data)/packetSize, rem, ErrTruncated)
	}
	prog, err := findProgram(data)
	if err != nil {
		return nil, err
	}
	d := newDemuxer(prog, opts)
	if err := d.run(data); err != nil {
		return nil, err
	}
	return d.result(), nil
}
