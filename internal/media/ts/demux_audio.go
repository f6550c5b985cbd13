package ts

import (
	"bytes"
	"fmt"

	"boxcar/internal/media"
	"boxcar/internal/media/codec"
)

// maxAudioCarry bounds the bytes of an audio frame (or E-AC-3 access
// unit) carried from one PES packet to the next: an ADTS frame is at most
// 8191 bytes, an AC-3 syncframe 3840, an E-AC-3 access unit of eight
// substreams 8×4096.
const maxAudioCarry = 64 << 10

// audioFrame is one parsed audio frame (or E-AC-3 access unit) inside
// the bytes being parsed.
type audioFrame struct {
	start, end int // the frame in the parse buffer
	payload    int // offset of the sample data (after the ADTS header)
	samples    int // duration in samples of the sample rate
	rate       int
	channels   int
	config     []byte
	key        []byte // compared to detect configuration changes
}

// audioHandler turns the PES packets of an AAC, AC-3 or E-AC-3 stream into
// samples. Audio frames may straddle PES packets; the PES PTS belongs to
// the first frame that starts in the packet (ISO/IEC 13818-1 §2.4.3.7).
type audioHandler struct {
	track *Track
	clock *ptsClock
	codec media.Codec

	carry       []byte // start of a frame continued in the next PES
	carryPTS    int64  // 90 kHz PTS for the carried frame, valid if carryHasPTS
	carryHasPTS bool

	next     int64 // DTS of the next frame, in the sample rate
	haveNext bool
	rate     int
	cfg      int    // -1 none yet, 0 Info, i>0 Changes[i-1]
	key      []byte // configuration key in force
	buf      []byte
}

func newAudioHandler(t *Track, c *ptsClock) *audioHandler {
	return &audioHandler{track: t, clock: c, codec: t.Info.Codec, cfg: -1}
}

func (a *audioHandler) lost(bool) {
	a.carry, a.carryHasPTS = a.carry[:0], false
	a.haveNext = false // re-anchor on the next PTS
}

func (a *audioHandler) pes(h pesHeader, payload []byte) error {
	var pesPTS int64
	if h.hasPTS {
		pesPTS, _ = a.clock.pesTimes(h)
	}
	boundary := len(a.carry)
	data := payload
	if boundary > 0 {
		a.buf = append(append(a.buf[:0], a.carry...), payload...)
		data = a.buf
	}
	frames, rest, err := a.parse(data, false)
	if err != nil {
		a.track.Dropped++
		a.lost(false)
		return nil
	}
	// Timing anchors: a carried frame may bring the PTS of the PES it
	// started in; this PES's PTS belongs to its first frame starting here.
	anchored := false
	for i := range frames {
		f := &frames[i]
		var ts int64
		var hasTS bool
		switch {
		case f.start == 0 && boundary > 0:
			ts, hasTS = a.carryPTS, a.carryHasPTS
		case f.start >= boundary && !anchored:
			ts, hasTS, anchored = pesPTS, h.hasPTS, true
		}
		if err := a.emit(data, f, ts, hasTS); err != nil {
			return err
		}
	}
	// Carry the incomplete tail to the next PES.
	switch {
	case rest >= len(data):
		a.carry, a.carryHasPTS = a.carry[:0], false
	case len(data)-rest > maxAudioCarry:
		a.track.Dropped++
		a.lost(false)
	default:
		switch {
		case rest == 0 && boundary > 0:
			// Still the frame carried in: keep its PTS.
		case rest >= boundary && !anchored:
			a.carryPTS, a.carryHasPTS = pesPTS, h.hasPTS
		default:
			a.carryHasPTS = false
		}
		a.carry = append(a.carry[:0], data[rest:]...)
	}
	return nil
}

// emit appends the sample of frame f, re-anchoring its time to ts (90 kHz)
// when given and off by more than half a frame.
func (a *audioHandler) emit(data []byte, f *audioFrame, ts int64, hasTS bool) error {
	a.applyConfig(f)
	if hasTS {
		t := media.Rescale(ts, media.VideoTimescale, uint32(a.rate))
		if d := t - a.next; !a.haveNext || d > int64(f.samples)/2 || -d > int64(f.samples)/2 {
			a.next, a.haveNext = t, true
		}
	}
	if !a.haveNext {
		a.track.Dropped++ // no PTS yet to time it by
		return nil
	}
	if len(a.track.Samples) == MaxSamplesPerTrack {
		return fmt.Errorf("more than %d samples: %w", MaxSamplesPerTrack, ErrTooLarge)
	}
	a.track.Samples = append(a.track.Samples, media.Sample{
		DTS:      a.next,
		Duration: uint32(f.samples),
		Sync:     true,
		Data:     bytes.Clone(data[f.payload:f.end]),
	})
	a.next += int64(f.samples)
	return nil
}

// applyConfig makes f's configuration the one in force, recording a
// ConfigChange when it differs.
func (a *audioHandler) applyConfig(f *audioFrame) {
	if a.cfg >= 0 && bytes.Equal(a.key, f.key) {
		return
	}
	info := a.track.Info
	info.AudioConfig = f.config
	info.SampleRate = f.rate
	info.Channels = f.channels
	info.Timescale = uint32(f.rate)
	if a.haveNext && a.rate != 0 && a.rate != f.rate {
		a.next = media.Rescale(a.next, uint32(a.rate), uint32(f.rate))
	}
	a.rate = f.rate
	a.key = f.key
	switch {
	case a.cfg < 0 || len(a.track.Samples) == 0:
		a.track.Info = info
		a.cfg = 0
	default:
		a.track.Changes = append(a.track.Changes, ConfigChange{Index: len(a.track.Samples), Info: info})
		a.cfg = len(a.track.Changes)
	}
}

// parse splits data into complete frames. rest is the offset of the first
// byte not consumed (an incomplete frame). With final, an E-AC-3 access
// unit at the end is complete; otherwise it is held back in case dependent
// substreams follow in the next PES.
func (a *audioHandler) parse(data []byte, final bool) (frames []audioFrame, rest int, err error) {
	off := 0
	for off < len(data) {
		var f audioFrame
		var ok bool
		switch a.codec {
		case media.CodecAAC:
			f, ok, err = parseADTSFrame(data[off:])
		case media.CodecAC3:
			f, ok, err = parseAC3Frame(data[off:])
		case media.CodecEAC3:
			f, ok, err = parseEAC3Frame(data[off:], final)
		}
		if err != nil {
			return nil, 0, err
		}
		if !ok {
			break
		}
		f.start += off
		f.end += off
		f.payload += off
		frames = append(frames, f)
		off = f.end
	}
	return frames, off, nil
}

// parseADTSFrame parses one ADTS frame at the start of b; ok is false when b
// holds only part of it.
func parseADTSFrame(b []byte) (f audioFrame, ok bool, err error) {
	if len(b) < codec.ADTSHeaderSize {
		return f, false, nil
	}
	h, err := codec.ParseADTSHeader(b)
	if err != nil {
		return f, false, err
	}
	if h.FrameSize > len(b) {
		return f, false, nil
	}
	if h.RawBlocks != 1 {
		return f, false, fmt.Errorf("adts frame with %d raw data blocks is not supported", h.RawBlocks)
	}
	if h.ChannelConfig == 0 {
		return f, false, fmt.Errorf("adts channel configuration 0 (program config element) is not supported")
	}
	asc, err := h.AudioSpecificConfig()
	if err != nil {
		return f, false, err
	}
	return audioFrame{
		end:      h.FrameSize,
		payload:  h.HeaderSize,
		samples:  1024,
		rate:     h.SampleRate,
		channels: h.Channels(),
		config:   asc,
		key:      asc,
	}, true, nil
}

// parseAC3Frame parses one AC-3 syncframe at the start of b.
func parseAC3Frame(b []byte) (f audioFrame, ok bool, err error) {
	if len(b) < 8 {
		return f, false, nil
	}
	h, err := codec.ParseAC3Header(b)
	if err != nil {
		return f, false, err
	}
	if h.FrameSize > len(b) {
		return f, false, nil
	}
	cfg, err := codec.AC3Config(b)
	if err != nil {
		return f, false, err
	}
	return audioFrame{
		end:      h.FrameSize,
		samples:  h.Samples,
		rate:     h.SampleRate,
		channels: h.Channels,
		config:   cfg,
		key:      cfg,
	}, true, nil
}

// parseEAC3Frame parses one E-AC-3 access unit at the start of b: an
// independent substream syncframe and the dependent ones that follow it.
// Unless final, the access unit is complete only when another independent
// syncframe follows.
func parseEAC3Frame(b []byte, final bool) (f audioFrame, ok bool, err error) {
	off := 0
	var first codec.AC3Header
	for {
		if len(b)-off < 8 {
			if off > 0 && final {
				break
			}
			return f, false, nil
		}
		h, err := codec.ParseEAC3Header(b[off:])
		if err != nil {
			return f, false, err
		}
		independent := h.StreamType != 1 && h.SubstreamID == 0
		if off == 0 {
			if !independent {
				return f, false, fmt.Errorf("e-ac-3 access unit starts with substream type %d id %d", h.StreamType, h.SubstreamID)
			}
			first = h
		} else if independent {
			break
		}
		if off+h.FrameSize > len(b) {
			return f, false, nil
		}
		off += h.FrameSize
		if off > maxAudioCarry {
			return f, false, fmt.Errorf("e-ac-3 access unit over %d bytes", maxAudioCarry)
		}
	}
	cfg, channels, err := codec.EAC3Config(b[:off])
	if err != nil {
		return f, false, err
	}
	// data_rate (the first 13 bits) may vary between access units without
	// changing the configuration.
	key := append([]byte{cfg[1] & 0x07}, cfg[2:]...)
	return audioFrame{
		end:      off,
		samples:  first.Samples,
		rate:     first.SampleRate,
		channels: channels,
		config:   cfg,
		key:      key,
	}, true, nil
}

func (a *audioHandler) finish() error {
	if len(a.carry) == 0 {
		return nil
	}
	data := a.carry
	frames, rest, err := a.parse(data, true)
	if err != nil {
		a.track.Dropped++
		return nil
	}
	for i := range frames {
		f := &frames[i]
		ts, hasTS := int64(0), false
		if f.start == 0 {
			ts, hasTS = a.carryPTS, a.carryHasPTS
		}
		if err := a.emit(data, f, ts, hasTS); err != nil {
			return err
		}
	}
	if rest < len(data) {
		a.track.Dropped++ // a truncated last frame
	}
	return nil
}
