package fmp4

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"boxcar/internal/media"
)

// tfhd flags (ISO/IEC 14496-12 §8.8.7.1).
const (
	tfhdBaseDataOffset      = 0x000001
	tfhdSampleDescription   = 0x000002
	tfhdDefaultDuration     = 0x000008
	tfhdDefaultSize         = 0x000010
	tfhdDefaultFlags        = 0x000020
	tfhdDefaultBaseIsMoof   = 0x020000
	trunDataOffset          = 0x000001
	trunFirstSampleFlags    = 0x000004
	trunSampleDuration      = 0x000100
	trunSampleSize          = 0x000200
	trunSampleFlags         = 0x000400
	trunSampleCompositionTO = 0x000800

	// sampleNonSync is sample_is_non_sync_sample in sample flags.
	sampleNonSync = 0x00010000

	// maxDecodeTime keeps decode times, in any timescale, far from int64
	// overflow however many samples follow.
	maxDecodeTime = 1 << 62
)

// trackRun accumulates the samples of one track across the track
// fragments of one call. DTS are in the file's timescale.
type trackRun struct {
	id       uint32
	defaults SampleDefaults
	samples  []media.Sample
	next     uint64 // decode time after the last sample
	started  bool   // a tfdt or a previous run set next
}

// moofReader reads the movie fragments of one buffer.
type moofReader struct {
	data   []byte
	tracks []trackRun
	total  int
	// single makes the first track fragment define the only track
	// (ParseFragment); otherwise tracks must be preset (ParseSegment).
	single bool
}

// readAll walks the top-level boxes of r.data and reads every moof. Other
// boxes (styp, sidx, prft, emsg, free, mdat, ...) are skipped.
func (r *moofReader) readAll() (moofs int, err error) {
	for pos := 0; pos < len(r.data); {
		b, err := readBox(r.data, pos, len(r.data))
		if err != nil {
			return moofs, err
		}
		pos = b.end
		if b.typ != typMoof {
			continue
		}
		if err := r.readMoof(b); err != nil {
			return moofs, fmt.Errorf("moof at offset %d: %w", b.start, err)
		}
		moofs++
	}
	return moofs, nil
}

func (r *moofReader) readMoof(moof box) error {
	// Without explicit base offsets the first traf's data starts at the
	// moof and each later traf's where the previous one's ended
	// (ISO/IEC 14496-12 §8.8.7.1).
	implicitBase := moof.start
	for pos := moof.body; pos < moof.end; {
		b, err := readBox(r.data, pos, moof.end)
		if err != nil {
			return err
		}
		pos = b.end
		if b.typ != typTraf {
			continue
		}
		if implicitBase, err = r.readTraf(b, moof.start, implicitBase); err != nil {
			return err
		}
	}
	return nil
}

// readTraf reads one track fragment and returns where its data ended.
func (r *moofReader) readTraf(traf box, moofStart, implicitBase int) (int, error) {
	hd, err := r.readTfhd(traf)
	if err != nil {
		return 0, err
	}
	t, err := r.track(hd.trackID)
	if err != nil {
		return 0, err
	}
	def := hd.defaults(t.defaults)
	base := implicitBase
	if hd.flags&tfhdBaseDataOffset != 0 {
		if hd.baseDataOffset > uint64(len(r.data)) {
			return 0, fmt.Errorf("%w: base_data_offset %d beyond %d bytes", ErrMalformed, hd.baseDataOffset, len(r.data))
		}
		base = int(hd.baseDataOffset)
	} else if hd.flags&tfhdDefaultBaseIsMoof != 0 {
		base = moofStart
	}
	if err := r.readTfdt(traf, t); err != nil {
		return 0, err
	}
	dataPos := base
	for pos := traf.body; pos < traf.end; {
		b, err := readBox(r.data, pos, traf.end)
		if err != nil {
			return 0, err
		}
		pos = b.end
		if b.typ != typTrun {
			continue
		}
		if dataPos, err = r.readTrun(b, t, def, base, dataPos); err != nil {
			return 0, fmt.Errorf("track %d: %w", hd.trackID, err)
		}
	}
	return dataPos, nil
}

// tfhd holds the fields of a tfhd box (ISO/IEC 14496-12 §8.8.7); each
// optional one is valid when its flag is set.
type tfhd struct {
	flags          uint32
	trackID        uint32
	baseDataOffset uint64
	def            SampleDefaults
}

// defaults returns the sample defaults of the track fragment: those of
// tfhd where it has them, else the track's.
func (h *tfhd) defaults(track SampleDefaults) SampleDefaults {
	if h.flags&tfhdDefaultDuration != 0 {
		track.Duration = h.def.Duration
	}
	if h.flags&tfhdDefaultSize != 0 {
		track.Size = h.def.Size
	}
	if h.flags&tfhdDefaultFlags != 0 {
		track.Flags = h.def.Flags
	}
	return track
}

// readTfhd reads the tfhd box of traf.
func (r *moofReader) readTfhd(traf box) (h tfhd, err error) {
	data := r.data
	b, err := mustChild(data, traf, typTfhd)
	if err != nil {
		return h, err
	}
	_, flags, p, err := fullBox(data, b)
	if err != nil {
		return h, err
	}
	h.flags = flags
	need := 4
	for _, f := range [...]struct {
		flag uint32
		size int
	}{{tfhdBaseDataOffset, 8}, {tfhdSampleDescription, 4}, {tfhdDefaultDuration, 4}, {tfhdDefaultSize, 4}, {tfhdDefaultFlags, 4}} {
		if h.flags&f.flag != 0 {
			need += f.size
		}
	}
	if b.end-p < need {
		return h, fmt.Errorf("%w: short tfhd", ErrMalformed)
	}
	h.trackID = binary.BigEndian.Uint32(data[p:])
	p += 4
	if h.flags&tfhdBaseDataOffset != 0 {
		h.baseDataOffset = binary.BigEndian.Uint64(data[p:])
		p += 8
	}
	if h.flags&tfhdSampleDescription != 0 {
		p += 4
	}
	if h.flags&tfhdDefaultDuration != 0 {
		h.def.Duration = binary.BigEndian.Uint32(data[p:])
		p += 4
	}
	if h.flags&tfhdDefaultSize != 0 {
		h.def.Size = binary.BigEndian.Uint32(data[p:])
		p += 4
	}
	if h.flags&tfhdDefaultFlags != 0 {
		h.def.Flags = binary.BigEndian.Uint32(data[p:])
	}
	return h, nil
}

// readTfdt sets the decode time of t from the tfdt box of traf. Without
// one, the track's samples continue from its previous track fragment.
func (r *moofReader) readTfdt(traf box, t *trackRun) error {
	data := r.data
	b, ok, err := findChild(data, traf.body, traf.end, typTfdt)
	if err != nil {
		return err
	}
	if !ok {
		if !t.started {
			return fmt.Errorf("%w: track %d: traf without tfdt", ErrMalformed, t.id)
		}
		return nil
	}
	v, _, p, err := fullBox(data, b)
	if err != nil {
		return err
	}
	switch {
	case v == 1 && b.end-p >= 8:
		t.next = binary.BigEndian.Uint64(data[p:])
	case v == 0 && b.end-p >= 4:
		t.next = uint64(binary.BigEndian.Uint32(data[p:]))
	default:
		return fmt.Errorf("%w: bad tfdt", ErrMalformed)
	}
	if t.next >= maxDecodeTime {
		return fmt.Errorf("%w: tfdt %d out of range", ErrMalformed, t.next)
	}
	t.started = true
	return nil
}

// track returns the run of track id.
func (r *moofReader) track(id uint32) (*trackRun, error) {
	for i := range r.tracks {
		if r.tracks[i].id == id {
			return &r.tracks[i], nil
		}
	}
	if r.single && len(r.tracks) == 0 {
		r.tracks = append(r.tracks, trackRun{id: id})
		return &r.tracks[0], nil
	}
	if r.single {
		return nil, fmt.Errorf("%w: track fragments of tracks %d and %d", ErrMalformed, r.tracks[0].id, id)
	}
	return nil, fmt.Errorf("%w: track_ID %d", ErrUnknownTrack, id)
}

// trun holds the header of a trun box (ISO/IEC 14496-12 §8.8.8): what
// precedes its sample records, which start at recs.
type trun struct {
	version    uint8
	flags      uint32
	count      int
	dataPos    int // offset of the first sample's data
	firstFlags uint32
	hasFirst   bool
	recs       int
}

// readTrun appends the samples of one trun to t and returns the offset
// after their data.
func (r *moofReader) readTrun(b box, t *trackRun, def SampleDefaults, base, dataPos int) (int, error) {
	h, err := r.readTrunHeader(b, base, dataPos)
	if err != nil {
		return 0, err
	}
	rec := 4 * bits.OnesCount32(h.flags&(trunSampleDuration|trunSampleSize|trunSampleFlags|trunSampleCompositionTO))
	if rec > 0 && (b.end-h.recs)/rec < h.count {
		return 0, fmt.Errorf("%w: trun of %d samples in %d bytes", ErrMalformed, h.count, b.end-h.recs)
	}
	if h.count > len(r.data)-h.dataPos { // every sample has at least one byte
		return 0, fmt.Errorf("%w: trun of %d samples with %d bytes of data left", ErrMalformed, h.count, len(r.data)-h.dataPos)
	}
	t.samples = slices.Grow(t.samples, h.count)
	r.total += h.count
	return r.readSamples(&h, t, def)
}

// readTrunHeader reads the header of trun b; dataPos is where its data
// starts unless it has a data_offset (from base).
func (r *moofReader) readTrunHeader(b box, base, dataPos int) (h trun, err error) {
	data := r.data
	h.version, h.flags, h.recs, err = fullBox(data, b)
	if err != nil {
		return h, err
	}
	if b.end-h.recs < 4 {
		return h, fmt.Errorf("%w: short trun", ErrMalformed)
	}
	h.count = int(binary.BigEndian.Uint32(data[h.recs:]))
	h.recs += 4
	if h.count > maxSamples-r.total {
		return h, fmt.Errorf("%w: more than %d samples", ErrMalformed, maxSamples)
	}
	h.dataPos = dataPos
	if h.flags&trunDataOffset != 0 {
		if b.end-h.recs < 4 {
			return h, fmt.Errorf("%w: short trun", ErrMalformed)
		}
		off := int64(base) + int64(int32(binary.BigEndian.Uint32(data[h.recs:])))
		if off < 0 || off > int64(len(data)) {
			return h, fmt.Errorf("%w: trun data_offset outside the input", ErrMalformed)
		}
		h.dataPos = int(off)
		h.recs += 4
	}
	if h.flags&trunFirstSampleFlags != 0 {
		if b.end-h.recs < 4 {
			return h, fmt.Errorf("%w: short trun", ErrMalformed)
		}
		h.firstFlags, h.hasFirst = binary.BigEndian.Uint32(data[h.recs:]), true
		h.recs += 4
	}
	return h, nil
}

// readSamples appends the h.count samples of a trun to t, reading each
// one's record (whose fields are checked to be there) and locating its
// data, and returns the offset after their data.
func (r *moofReader) readSamples(h *trun, t *trackRun, def SampleDefaults) (int, error) {
	data, version, flags, p, dataPos := r.data, h.version, h.flags, h.recs, h.dataPos
	for i := range h.count {
		dur, size, sflags := def.Duration, def.Size, def.Flags
		var cto int64
		if i == 0 && h.hasFirst {
			sflags = h.firstFlags
		}
		if flags&trunSampleDuration != 0 {
			dur = binary.BigEndian.Uint32(data[p:])
			p += 4
		}
		if flags&trunSampleSize != 0 {
			size = binary.BigEndian.Uint32(data[p:])
			p += 4
		}
		if flags&trunSampleFlags != 0 {
			sflags = binary.BigEndian.Uint32(data[p:])
			p += 4
		}
		if flags&trunSampleCompositionTO != 0 {
			u := binary.BigEndian.Uint32(data[p:])
			if version == 0 {
				cto = int64(u)
			} else {
				cto = int64(int32(u))
			}
			p += 4
		}
		if size == 0 {
			return 0, fmt.Errorf("%w: sample %d has no size", ErrMalformed, len(t.samples))
		}
		if cto > math.MaxInt32 {
			return 0, fmt.Errorf("%w: composition offset %d", ErrMalformed, cto)
		}
		if uint64(size) > uint64(len(data)-dataPos) {
			return 0, fmt.Errorf("%w: sample %d of %d bytes at offset %d beyond %d bytes",
				ErrMalformed, len(t.samples), size, dataPos, len(data))
		}
		end := dataPos + int(size)
		t.samples = append(t.samples, media.Sample{
			DTS:       int64(t.next),
			PTSOffset: int32(cto),
			Duration:  dur,
			Sync:      sflags&sampleNonSync == 0,
			Data:      data[dataPos:end:end],
		})
		t.next += uint64(dur)
		dataPos = end
	}
	return dataPos, nil
}

// ParseFragment reads back a fragment: one or more moof+mdat pairs of a
// single track (Boxcar's stored fragments, or any CMAF fragment or chunk),
// optionally preceded by styp, sidx, prft or emsg. Sample DTS and durations
// are in the fragment's own timescale, which the caller knows from the
// track's init segment; Sync comes from the sample flags. Missing sample
// durations, sizes or flags fall back to tfhd defaults and then to zero
// (there is no trex here). Sample data aliases data.
func ParseFragment(data []byte) (trackID uint32, samples []media.Sample, err error) {
	r := moofReader{data: data, single: true}
	n, err := r.readAll()
	if err != nil {
		return 0, nil, fmt.Errorf("fmp4: parse fragment: %w", err)
	}
	if n == 0 || len(r.tracks) == 0 {
		return 0, nil, fmt.Errorf("fmp4: parse fragment: %w: no moof with a track fragment", ErrMalformed)
	}
	return r.tracks[0].id, r.tracks[0].samples, nil
}
