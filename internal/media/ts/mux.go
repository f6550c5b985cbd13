package ts

import (
	"errors"
	"fmt"

	"boxcar/internal/media"
	"boxcar/internal/media/codec"
)

// The muxer writes one HLS media segment per call, just in time, from
// canonical samples (ISO/IEC 13818-1; HLS RFC 8216bis §3.1.1). Segments of
// one rendition are packaged independently yet concatenate into one clean
// transport stream:
//
//   - PAT and PMT open every segment with continuity_counter = Sequence mod
//     16, so consecutive sequence numbers continue each other.
//   - Every elementary stream PID carries a multiple of 16 payload packets
//     (the last PES packets are spread over extra packets with adaptation
//     field stuffing), so each segment starts those PIDs at counter 0.
//   - PTS/DTS are the canonical 90 kHz times modulo 2^33, and PCR is a
//     fixed pcrDelay ahead of the DTS of the PES being sent, so the clocks
//     run on across segments.

// Fixed PIDs of Boxcar's transport streams.
const (
	MuxPMTPID   = 0x1000
	MuxVideoPID = 0x100
	MuxAudioPID = 0x101

	programNumber = 1
)

// Timing and size bounds of the muxer.
const (
	// pcrDelay is how far PCR runs ahead of the DTS of the PES it
	// carries (100 ms): the decoder buffers at most that much.
	pcrDelay = 9000 * pcrPerTick
	// maxPCRInterval is the longest gap between PCRs: 40 ms (DVB's bound,
	// tighter than the 100 ms of ISO/IEC 13818-1).
	maxPCRInterval = 3600 * pcrPerTick
	// maxAudioPESSpan bounds the audio one PES carries: 100 ms (9000 ticks
	// of 90 kHz), as HLS packagers do. Bigger video PES packets write
	// PES_packet_length 0 (unbounded), audio ones are split before
	// maxPESLength.
	maxAudioPESSpan = 9000
	// maxSegmentSpan bounds the time a segment covers (10 minutes of 90 kHz;
	// HLS segments last seconds), and so the PCR-only packets that fill
	// its gaps.
	maxSegmentSpan = 600 * media.VideoTimescale
)

// ErrMuxInput reports tracks Mux cannot package: more than one video or
// audio track, an unsupported codec, a missing codec configuration,
// malformed samples.
var ErrMuxInput = errors.New("ts: cannot mux input")

// MuxTrack is one track of a segment: its codec configuration and its
// samples in decode order, in the canonical timescale (media package).
type MuxTrack struct {
	Info    media.TrackInfo
	Samples []media.Sample
}

// MuxOptions configures Mux.
type MuxOptions struct {
	// Sequence is the HLS media sequence number of the segment; it sets
	// the PAT/PMT continuity counters.
	Sequence uint64
}

// ByteRange is a range of bytes in a muxed segment.
type ByteRange struct {
	Offset, Length int
}

// MuxResult is a muxed segment.
type MuxResult struct {
	// Data is the transport stream. Its first two packets (376 bytes) are
	// the PAT and the PMT, which an I-frame playlist can name as its map.
	Data []byte
	// Keyframes holds, for each video sync sample in order, the range of
	// Data holding the TS packets that carry it (for I-frame playlists).
	Keyframes []ByteRange
}

// Mux packages one HLS segment from at most one video track (H.264, H.265)
// and one audio track (AAC, AC-3, E-AC-3). Video times are in 90 kHz;
// audio times in Info.Timescale. Every video access unit gets an access
// unit delimiter, and every sync sample the parameter sets of Info before
// it; AAC frames get ADTS headers built from Info.AudioConfig.
func Mux(tracks []MuxTrack, opts MuxOptions) (*MuxResult, error) {
	return AppendMux(nil, tracks, opts)
}

// AppendMux is Mux appending the segment to dst: the result's Data is dst
// extended, and Keyframes offsets index into it. A dst with enough spare
// capacity saves the allocation of the output.
func AppendMux(dst []byte, tracks []MuxTrack, opts MuxOptions) (*MuxResult, error) {
	var m muxer
	if err := m.setup(tracks); err != nil {
		return nil, fmt.Errorf("ts: mux: %w", err)
	}
	if err := m.plan(); err != nil {
		return nil, fmt.Errorf("ts: mux: %w", err)
	}
	m.buf = dst
	if err := m.write(opts.Sequence); err != nil {
		return nil, fmt.Errorf("ts: mux: %w", err)
	}
	return &MuxResult{Data: m.buf, Keyframes: m.keyframes}, nil
}

// outStream is one elementary stream being muxed.
type outStream struct {
	pid        uint16
	streamID   byte
	streamType byte
	video      bool
	info       *media.TrackInfo
	samples    []media.Sample
	adts       adtsHeader // AAC only
	cc         uint8      // continuity_counter of the next payload packet
	packets    int        // payload packets planned
}

// plannedPES is one planned PES packet.
type plannedPES struct {
	stream  uint8 // index in muxer.streams
	sync    bool  // a video sync sample: RAI, parameter sets, keyframe range
	first   int   // first sample
	count   int   // samples (audio frames; 1 for video)
	dts     int64 // 90 kHz, unwrapped
	pts     int64
	end     int64 // 90 kHz time the PES presents up to (dts + duration)
	size    int   // bytes of the whole PES packet
	header  int   // bytes of its header
	packets int   // TS packets it is spread over
}

// muxer holds the state of one Mux call.
type muxer struct {
	streams   []outStream
	pcr       int // index of the stream carrying PCR
	pes       []plannedPES
	buf       []byte
	scratch   []byte // the PES being packetized
	keyframes []ByteRange
	lastPCR   int64 // 27 MHz, unwrapped
	havePCR   bool
}

// setup checks the tracks and makes their streams; the video stream
// carries the PCR, the audio one only in segments without video.
func (m *muxer) setup(tracks []MuxTrack) error {
	if len(tracks) == 0 || len(tracks) > 2 {
		return fmt.Errorf("%w: %d tracks, want one video and/or one audio", ErrMuxInput, len(tracks))
	}
	m.streams = make([]outStream, 0, 2)
	samples := 0
	for i := range tracks {
		t := &tracks[i]
		s, err := newOutStream(t)
		if err != nil {
			return err
		}
		for _, o := range m.streams {
			if o.video == s.video {
				return fmt.Errorf("%w: two %s tracks", ErrMuxInput, t.Info.Kind)
			}
		}
		for j := 1; j < len(t.Samples); j++ {
			if t.Samples[j].DTS < t.Samples[j-1].DTS {
				return fmt.Errorf("%w: %s sample %d decodes before the previous one", ErrMuxInput, t.Info.Codec, j)
			}
		}
		samples += len(t.Samples)
		m.streams = append(m.streams, s)
	}
	if samples == 0 {
		return fmt.Errorf("%w: no samples", ErrMuxInput)
	}
	for i, s := range m.streams {
		if len(s.samples) > 0 && (s.video || len(m.streams[m.pcr].samples) == 0) {
			m.pcr = i
		}
	}
	return nil
}

// newOutStream makes the stream of track t: its stream type, PID and
// stream id, after checking the codec configuration.
func newOutStream(t *MuxTrack) (outStream, error) {
	s := outStream{info: &t.Info, samples: t.Samples}
	switch t.Info.Codec {
	case media.CodecH264:
		s.streamType = streamTypeH264
	case media.CodecH265:
		s.streamType = streamTypeH265
	case media.CodecAAC:
		s.streamType = streamTypeAAC
		adts, err := newADTSHeader(t.Info.AudioConfig)
		if err != nil {
			return s, err
		}
		s.adts = adts
	case media.CodecAC3:
		s.streamType = streamTypeAC3
	case media.CodecEAC3:
		s.streamType = streamTypeEAC3
	default:
		return s, fmt.Errorf("%w: codec %s", ErrMuxInput, t.Info.Codec)
	}
	s.video = t.Info.Codec.Kind() == media.KindVideo
	switch {
	case s.video:
		s.pid, s.streamID = MuxVideoPID, streamIDVideo
		if t.Info.Timescale != media.VideoTimescale {
			return s, fmt.Errorf("%w: video timescale %d, want %d", ErrMuxInput, t.Info.Timescale, media.VideoTimescale)
		}
		if len(t.Info.SPS) == 0 || len(t.Info.PPS) == 0 || (t.Info.Codec == media.CodecH265 && len(t.Info.VPS) == 0) {
			return s, fmt.Errorf("%w: %s track without parameter sets", ErrMuxInput, t.Info.Codec)
		}
	case t.Info.Codec == media.CodecAAC:
		s.pid, s.streamID = MuxAudioPID, streamIDAudio
	default:
		s.pid, s.streamID = MuxAudioPID, streamIDPrivate1
	}
	if !s.video && t.Info.Timescale == 0 {
		return s, fmt.Errorf("%w: audio track without timescale", ErrMuxInput)
	}
	return s, nil
}

// plan cuts the samples into PES packets interleaved by DTS, sizes them and
// spreads the last ones so every PID carries a multiple of 16 packets.
func (m *muxer) plan() error {
	var lists [2][]plannedPES
	for i := range m.streams {
		s := &m.streams[i]
		var err error
		if s.video {
			lists[i], err = m.planVideo(uint8(i), s)
		} else {
			lists[i], err = m.planAudio(uint8(i), s)
		}
		if err != nil {
			return err
		}
	}
	// Merge by DTS, video first on ties.
	m.pes = make([]plannedPES, 0, len(lists[0])+len(lists[1]))
	a, b := lists[0], lists[1]
	for len(a) > 0 || len(b) > 0 {
		takeA := len(b) == 0 || (len(a) > 0 && (a[0].dts < b[0].dts || a[0].dts == b[0].dts && m.streams[a[0].stream].video))
		if takeA {
			m.pes, a = append(m.pes, a[0]), a[1:]
		} else {
			m.pes, b = append(m.pes, b[0]), b[1:]
		}
	}
	first, last := m.pes[0].dts, m.pes[0].end
	for i := range m.pes {
		first, last = min(first, m.pes[i].dts), max(last, m.pes[i].end, m.pes[i].pts)
	}
	if last-first > maxSegmentSpan {
		return fmt.Errorf("%w: segment spans %d s", ErrMuxInput, (last-first)/media.VideoTimescale)
	}
	// Natural packet counts.
	for i := range m.pes {
		p := &m.pes[i]
		first := maxPayload - m.firstAF(p)
		p.packets = 1
		if p.size > first {
			p.packets += (p.size - first + maxPayload - 1) / maxPayload
		}
		m.streams[p.stream].packets += p.packets
	}
	for i := range m.streams {
		if err := m.align(uint8(i)); err != nil {
			return err
		}
	}
	return nil
}

// firstAF is the adaptation field size in the first packet of p: PCR (and
// random_access_indicator) on the PCR stream, the indicator alone on other
// video sync samples.
func (m *muxer) firstAF(p *plannedPES) int {
	switch {
	case int(p.stream) == m.pcr:
		return 2 + pcrSize
	case p.sync:
		return 2 // adaptation_field_length and flags
	}
	return 0
}

// align spreads the last PES packets of stream i over extra packets until
// the stream's packet count is a multiple of 16. A PES can take as many
// packets as it has bytes after its header, so the header stays whole in
// its first packet; a tiny segment may also split the header.
func (m *muxer) align(i uint8) error {
	s := &m.streams[i]
	need := (16 - s.packets%16) % 16
	for _, keepHeader := range []bool{true, false} {
		for j := len(m.pes) - 1; j >= 0 && need > 0; j-- {
			p := &m.pes[j]
			if p.stream != i {
				continue
			}
			most := p.size - p.header + 1
			if !keepHeader {
				most = p.size
			}
			if add := min(need, most-p.packets); add > 0 {
				p.packets += add
				s.packets += add
				need -= add
			}
		}
	}
	if need > 0 {
		return fmt.Errorf("%w: %s track too small to align continuity counters", ErrMuxInput, s.info.Codec)
	}
	return nil
}

// planVideo makes one PES per access unit.
func (m *muxer) planVideo(idx uint8, s *outStream) ([]plannedPES, error) {
	list := make([]plannedPES, len(s.samples))
	aud := audSize(s.info.Codec)
	params := 0
	for _, ps := range [][][]byte{s.info.VPS, s.info.SPS, s.info.PPS} {
		for _, p := range ps {
			params += 4 + len(p)
		}
	}
	for i := range s.samples {
		smp := &s.samples[i]
		es, err := annexBSize(s.info.Codec, smp)
		if err != nil {
			return nil, fmt.Errorf("video sample %d: %w", i, err)
		}
		es += aud
		if smp.Sync {
			es += params
		}
		p := plannedPES{stream: idx, sync: smp.Sync, first: i, count: 1,
			dts: smp.DTS, pts: smp.PTS(), end: smp.DTS + int64(smp.Duration), header: pesHeaderPTS}
		if p.pts != p.dts {
			p.header = pesHeaderPTSDTS
		}
		p.size = p.header + es
		list[i] = p
	}
	return list, nil
}

// planAudio groups contiguous frames into PES packets of at most 100 ms.
func (m *muxer) planAudio(idx uint8, s *outStream) ([]plannedPES, error) {
	ts := s.info.Timescale
	list := make([]plannedPES, 0, len(s.samples)/2+1)
	for i := 0; i < len(s.samples); {
		first := &s.samples[i]
		p := plannedPES{stream: idx, first: i, dts: media.Rescale(first.DTS, ts, media.VideoTimescale), header: pesHeaderPTS}
		p.pts = p.dts
		size := p.header
		next := first.DTS
		for i < len(s.samples) {
			smp := &s.samples[i]
			fsize := len(smp.Data)
			if fsize == 0 {
				return nil, fmt.Errorf("%w: audio sample %d is empty", ErrMuxInput, i)
			}
			if s.info.Codec == media.CodecAAC {
				if fsize+codec.ADTSHeaderSize > maxADTSFrame {
					return nil, fmt.Errorf("%w: AAC frame %d of %d bytes", ErrMuxInput, i, fsize)
				}
				fsize += codec.ADTSHeaderSize
			}
			end := media.Rescale(smp.DTS+int64(smp.Duration), ts, media.VideoTimescale)
			if p.count > 0 && (smp.DTS != next || end-p.dts > maxAudioPESSpan || size+fsize-pesStartSize > maxPESLength) {
				break
			}
			if size+fsize-pesStartSize > maxPESLength {
				return nil, fmt.Errorf("%w: audio sample %d of %d bytes", ErrMuxInput, i, len(smp.Data))
			}
			size += fsize
			p.count++
			p.end = end
			next = smp.DTS + int64(smp.Duration)
			i++
		}
		p.size = size
		list = append(list, p)
	}
	return list, nil
}

// write emits the planned segment.
//
// PCR follows the PCR stream alone: the first packet of each of its PES
// packets carries PCR = DTS - pcrDelay, and the packets between two such
// anchors are spread evenly over the time between them. Because one
// track's DTS only grow, so does PCR, within a segment and from one
// segment to the next, however the other track was cut.
func (m *muxer) write(seq uint64) error {
	m.allocate()
	m.writePSI(uint8(seq & 0xf))

	// Times in 27 MHz: before the first anchor, just below it (but not
	// after the DTS of the first PES, should that lead by more than
	// pcrDelay); then from anchor to anchor, and from the last to the end
	// of the PCR stream.
	var w pcrWindow
	w.next(m, 0)
	if w.anchor < 0 {
		return fmt.Errorf("%w: no PES on the PCR stream", ErrMuxInput)
	}
	pre := min(w.bTime-1, m.pes[0].dts*pcrPerTick)
	w.a, w.b = pre, pre
	w.total = 1
	for i := range m.pes {
		if i == w.anchor {
			w.next(m, i+1)
		}
		if err := m.writePES(&w, &m.pes[i]); err != nil {
			return err
		}
	}
	return nil
}

// allocate makes room in the output for the whole segment, PCR-only
// packets included, and sizes the PES scratch buffer and the keyframe
// list.
func (m *muxer) allocate() {
	packets := 2
	for i := range m.streams {
		packets += m.streams[i].packets
	}
	if len(m.pes) > 0 {
		span := m.pes[len(m.pes)-1].end - m.pes[0].dts
		packets += int(max(span, 0)/(maxPCRInterval/pcrPerTick)) + 2 // PCR-only packets
	}
	m.buf = growBytes(m.buf, packets*packetSize)

	keyframes := 0
	maxPES := 0
	for i := range m.pes {
		if m.pes[i].sync {
			keyframes++
		}
		maxPES = max(maxPES, m.pes[i].size)
	}
	m.keyframes = make([]ByteRange, 0, keyframes)
	m.scratch = make([]byte, 0, maxPES)
}

// writePES builds the PES packet p and spreads it over its planned
// packets, timed by the window w; the first carries the PCR on the PCR
// stream.
func (m *muxer) writePES(w *pcrWindow, p *plannedPES) error {
	s := &m.streams[p.stream]
	m.scratch = m.buildPES(m.scratch[:0], s, p)
	if len(m.scratch) != p.size {
		return fmt.Errorf("%w: PES of %d bytes, planned %d", ErrMuxInput, len(m.scratch), p.size)
	}
	pesStart := -1
	off := 0
	for j := range p.packets {
		t := w.time()
		withPCR := j == 0 && int(p.stream) == m.pcr
		m.fillPCR(t, withPCR)
		af := 0
		if j == 0 {
			pesStart = len(m.buf)
			af = m.firstAF(p)
		}
		n := min(maxPayload-af, len(m.scratch)-off-(p.packets-j-1))
		if withPCR {
			m.lastPCR, m.havePCR = t, true
		}
		m.writePacket(s, j == 0, withPCR, t, j == 0 && (p.sync || withPCR && !s.video), m.scratch[off:off+n])
		off += n
		w.pos++
	}
	if off != len(m.scratch) {
		return fmt.Errorf("%w: packetized %d of %d PES bytes", ErrMuxInput, off, len(m.scratch))
	}
	if p.sync {
		m.keyframes = append(m.keyframes, ByteRange{Offset: pesStart, Length: len(m.buf) - pesStart})
	}
	return nil
}

// pcrWindow spreads packet times between two PCR anchors.
type pcrWindow struct {
	a, b   int64 // 27 MHz times of the window's ends
	pos    int   // packets sent in the window
	total  int   // packets in the window
	anchor int   // index of the PES starting the next window, -1 if none
	bTime  int64 // PCR of that PES
}

// next starts the window that begins at PES from-1 (an anchor, or the
// segment start when from is 0) and finds the next anchor.
func (w *pcrWindow) next(m *muxer, from int) {
	w.a, w.pos, w.total = w.bTime, 0, 0
	w.anchor = -1
	for i := from; i < len(m.pes); i++ {
		if int(m.pes[i].stream) == m.pcr {
			w.anchor, w.bTime = i, pcrTime(m.pes[i].dts)
			break
		}
	}
	if w.anchor < 0 && from > 0 {
		// After the last anchor: up to where the PCR stream ends.
		w.bTime = pcrTime(m.pes[from-1].end)
	}
	end := w.anchor
	if end < 0 {
		end = len(m.pes)
	}
	if from > 0 {
		w.total += m.pes[from-1].packets
	}
	for i := from; i < end; i++ {
		w.total += m.pes[i].packets
	}
	w.b = max(w.bTime, w.a)
}

// time returns the time of the window's next packet.
func (w *pcrWindow) time() int64 {
	if w.total == 0 {
		return w.a
	}
	d, n, pos := w.b-w.a, int64(w.total), int64(w.pos)
	return w.a + d/n*pos + d%n*pos/n // d*pos/n without overflow
}

// pcrTime is the PCR (27 MHz, unwrapped) of a PES with DTS dts (90
// kHz). Where the timeline starts at 0 it is negative, and the written PCR
// wraps like any 33-bit clock.
func pcrTime(dts int64) int64 {
	return dts*pcrPerTick - pcrDelay
}

// fillPCR inserts PCR-only packets on the PCR stream so that no gap between
// PCRs exceeds maxPCRInterval before a packet sent at time t; the first
// PCR of the segment goes out before the first packet unless that packet
// carries it.
func (m *muxer) fillPCR(t int64, carries bool) {
	if !m.havePCR {
		if !carries {
			m.pcrOnly(t)
		}
		return
	}
	for t-m.lastPCR > maxPCRInterval {
		m.pcrOnly(m.lastPCR + maxPCRInterval)
	}
}

// growBytes returns b with room for n more bytes.
func growBytes(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	grown := make([]byte, len(b), len(b)+n)
	copy(grown, b)
	return grown
}
