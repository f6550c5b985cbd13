package ts

import (
	"bytes"
	"fmt"
)

// dataHandler collects the units of one data stream.
type dataHandler struct {
	stream DataStream
	clock  *ptsClock
	err    error
}

// section takes one complete section from an SCTE-35 PID. arrival is the
// raw PTS of the last PES started on the reference stream, -1 if none.
func (ds *dataHandler) section(sec []byte, arrival int64) {
	if sec[0] != tableIDSCTE35 || crc32MPEG2(sec) != 0 {
		ds.stream.Dropped++
		return
	}
	pts := int64(-1)
	if arrival >= 0 {
		pts = ds.clock.peek(uint64(arrival))
	}
	ds.add(pts, sec)
}

func (ds *dataHandler) add(pts int64, b []byte) {
	if len(ds.stream.Units) == MaxDataUnits {
		if ds.err == nil {
			ds.err = fmt.Errorf("more than %d data units: %w", MaxDataUnits, ErrTooLarge)
		}
		return
	}
	ds.stream.Units = append(ds.stream.Units, DataUnit{PTS: pts, Data: bytes.Clone(b)})
}

func (ds *dataHandler) pes(h pesHeader, payload []byte) error {
	pts := int64(-1)
	if h.hasPTS {
		// Data timestamps do not move the clock's reference: a stray
		// value must not change how audio and video unwrap.
		pts = ds.clock.peek(h.pts)
	}
	ds.add(pts, payload)
	return ds.err
}

// raw takes a payload unit that is not a PES packet (DataOther only).
func (ds *dataHandler) raw(unit []byte) bool {
	if ds.stream.Kind != DataOther {
		return false
	}
	ds.add(-1, unit)
	return true
}

func (ds *dataHandler) lost(bool) {}

func (ds *dataHandler) finish() error { return ds.err }
