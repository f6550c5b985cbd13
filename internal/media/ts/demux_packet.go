package ts

import (
	"bytes"
	"fmt"

	"boxcar/internal/media"
)

// unitHandler consumes the units (PES packets) of one PID.
type unitHandler interface {
	// pes is called with a complete PES packet; its bytes are only valid
	// during the call.
	pes(h pesHeader, payload []byte) error
	// lost is called when a unit was dropped (lost packets, corrupt PES):
	// state that spans units (an access unit, a partial audio frame) must
	// be discarded. startsUnit says the lost PES began with a PTS, so what
	// came before it is complete.
	lost(startsUnit bool)
	// finish is called at the end of the input.
	finish() error
}

// rawHandler is implemented by handlers that accept payload units that
// are not PES packets (private data carried directly in packets).
type rawHandler interface {
	// raw takes a payload unit; it returns false to have it dropped.
	raw(unit []byte) bool
}

// pidState is the demux state of one PID of the program.
type pidState struct {
	pid    uint16
	lastCC int // -1 before the first payload packet
	last   []byte

	// PES reassembly.
	handler unitHandler
	buf     []byte
	inPES   bool
	corrupt bool
	pesLen  int // expected size of the whole PES packet, 0 unbounded or unknown yet
	dropped *int

	// Sections (SCTE-35).
	sections *sectionAssembler
	onSect   func([]byte)

	// ptsPeek, when set, receives the raw PTS of each PES as it starts.
	ptsPeek func(raw uint64)
}

// demuxer holds the state of one Demux call.
type demuxer struct {
	prog   *program
	clock  ptsClock
	pidIdx [8192]uint8 // PID -> 1 + index into pids
	pids   []*pidState

	tracks []*trackState
	data   []*dataHandler

	ccErrors int
	// arrival is the raw PTS of the last PES started on the reference
	// stream (first video, else first audio), -1 before any.
	arrival int64
}

// trackState pairs an output track with its handler.
type trackState struct {
	track   Track
	handler unitHandler
}

func newDemuxer(prog *program, opts DemuxOptions) *demuxer {
	d := &demuxer{prog: prog, clock: ptsClock{anchor: opts.Anchor}, arrival: -1}
	refPID := -1
	for _, s := range prog.streams {
		if s.codec.Kind() == media.KindVideo {
			refPID = int(s.pid)
			break
		}
	}
	if refPID < 0 {
		for _, s := range prog.streams {
			if s.codec.Kind() == media.KindAudio {
				refPID = int(s.pid)
				break
			}
		}
	}
	for _, s := range prog.streams {
		p := &pidState{pid: s.pid, lastCC: -1}
		switch {
		case s.codec != 0:
			ts := &trackState{track: Track{PID: s.pid, StreamType: s.streamType}}
			ts.track.Info = media.TrackInfo{Kind: s.codec.Kind(), Codec: s.codec, Language: s.language}
			if s.codec.Kind() == media.KindVideo {
				ts.track.Info.Timescale = media.VideoTimescale
				ts.handler = newVideoHandler(&ts.track, &d.clock)
			} else {
				ts.handler = newAudioHandler(&ts.track, &d.clock)
			}
			p.handler = ts.handler
			p.dropped = &ts.track.Dropped
			d.tracks = append(d.tracks, ts)
			if int(s.pid) == refPID {
				p.ptsPeek = func(raw uint64) { d.arrival = int64(raw) }
			}
		default:
			ds := &dataHandler{stream: DataStream{PID: s.pid, StreamType: s.streamType, Kind: s.kind}, clock: &d.clock}
			p.dropped = &ds.stream.Dropped
			if s.kind == DataSCTE35 {
				p.sections = &sectionAssembler{}
				p.onSect = func(sec []byte) { ds.section(sec, d.arrival) }
			} else {
				p.handler = ds
			}
			d.data = append(d.data, ds)
		}
		d.pids = append(d.pids, p)
		d.pidIdx[s.pid] = uint8(len(d.pids))
	}
	return d
}

// run demuxes every packet of data.
func (d *demuxer) run(data []byte) error {
	for off := 0; off < len(data); off += packetSize {
		p := data[off : off+packetSize]
		if p[0] != syncByte {
			return fmt.Errorf("ts: demux: packet %d at byte %d: first byte 0x%02x: %w", off/packetSize, off, p[0], ErrNoSync)
		}
		pid := packetPID(p)
		i := d.pidIdx[pid]
		if i == 0 {
			continue
		}
		pkt, err := parsePacket(p)
		if err != nil {
			return fmt.Errorf("ts: demux: packet %d at byte %d: %w", off/packetSize, off, err)
		}
		if err := d.packet(d.pids[i-1], pkt, p); err != nil {
			return fmt.Errorf("ts: demux: PID %d: %w", pid, err)
		}
	}
	for _, p := range d.pids {
		if err := p.finishPES(); err != nil {
			return fmt.Errorf("ts: demux: PID %d: %w", p.pid, err)
		}
		if p.handler != nil {
			if err := p.handler.finish(); err != nil {
				return fmt.Errorf("ts: demux: PID %d: %w", p.pid, err)
			}
		}
	}
	for _, ds := range d.data {
		if ds.err != nil {
			return fmt.Errorf("ts: demux: PID %d: %w", ds.stream.PID, ds.err)
		}
	}
	return nil
}

// packet handles one packet of a program PID.
func (d *demuxer) packet(p *pidState, pkt packet, raw []byte) error {
	if !pkt.hasPayload {
		// Adaptation-field-only packets do not advance the counter.
		if pkt.tei {
			p.loss()
		}
		return nil
	}
	if p.lastCC >= 0 && !pkt.discontinuity {
		switch {
		case int(pkt.cc) == p.lastCC && bytes.Equal(raw, p.last):
			return nil // a duplicate packet (allowed once by §2.4.3.3)
		case int(pkt.cc) != (p.lastCC+1)&0x0f:
			d.ccErrors++
			p.loss()
		}
	}
	p.lastCC = int(pkt.cc)
	p.last = raw
	if pkt.tei {
		p.loss()
		return nil
	}
	if p.sections != nil {
		p.sections.push(pkt.payload, pkt.pusi, p.onSect)
		return nil
	}
	return p.pushPES(pkt.payload, pkt.pusi)
}

// loss marks the unit in progress as corrupt.
func (p *pidState) loss() {
	if p.sections != nil {
		if p.sections.active {
			*p.dropped++
		}
		p.sections.reset()
		return
	}
	if p.inPES {
		p.corrupt = true
	} else if p.handler != nil {
		// Between units the lost packet most likely started the next one.
		*p.dropped++
		p.handler.lost(true)
	}
}

// pushPES adds a packet payload to the PES being reassembled.
func (p *pidState) pushPES(payload []byte, pusi bool) error {
	if pusi {
		if err := p.finishPES(); err != nil {
			return err
		}
		p.buf = append(p.buf[:0], payload...)
		p.inPES, p.corrupt, p.pesLen = true, false, 0
		if p.ptsPeek != nil {
			if h, err := parsePESHeader(p.buf); err == nil && h.hasPTS {
				p.ptsPeek(h.pts)
			}
		}
	} else {
		if !p.inPES {
			return nil // the middle of a PES whose start we do not have
		}
		if p.corrupt {
			return nil
		}
		if len(p.buf)+len(payload) > MaxPESSize {
			p.corrupt = true
			return nil
		}
		p.buf = append(p.buf, payload...)
	}
	if p.pesLen == 0 && len(p.buf) >= pesStartSize && p.buf[0] == 0 && p.buf[1] == 0 && p.buf[2] == 1 {
		if n := int(p.buf[4])<<8 | int(p.buf[5]); n > 0 {
			p.pesLen = pesStartSize + n
		}
	}
	if p.pesLen > 0 && len(p.buf) >= p.pesLen {
		return p.finishPES()
	}
	return nil
}

// finishPES hands the reassembled PES to the handler, or drops it.
func (p *pidState) finishPES() error {
	if !p.inPES {
		return nil
	}
	p.inPES = false
	if p.corrupt || (p.pesLen > 0 && len(p.buf) < p.pesLen) {
		*p.dropped++
		h, err := parsePESHeader(p.buf)
		p.handler.lost(err == nil && h.hasPTS)
		return nil
	}
	buf := p.buf
	if p.pesLen > 0 {
		buf = buf[:p.pesLen]
	}
	h, err := parsePESHeader(buf)
	if err != nil {
		if r, ok := p.handler.(rawHandler); ok && r.raw(buf) {
			return nil
		}
		*p.dropped++
		p.handler.lost(false)
		return nil
	}
	return p.handler.pes(h, buf[h.size:])
}

func (d *demuxer) result() *DemuxResult {
	r := &DemuxResult{ContinuityErrors: d.ccErrors, ProgramNumber: d.prog.number}
	for _, t := range d.tracks {
		r.Tracks = append(r.Tracks, t.track)
	}
	for _, ds := range d.data {
		r.Data = append(r.Data, ds.stream)
	}
	return r
}
