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
	data := r.data
	tfhd, err := mustChild(data, traf, typTfhd)
	if err != nil {
		return 0, err
	}
	_, flags, p, err := fullBox(data, tfhd)
	if err != nil {
		return 0, err
	}
	need := 4
	for _, f := range [...]struct {
		flag uint32
		size int
	}{{tfhdBaseDataOffset, 8}, {tfhdSampleDescription, 4}, {tfhdDefaultDuration, 4}, {tfhdDefaultSize, 4}, {tfhdDefaultFlags, 4}} {
		if flags&f.flag != 0 {
			need += f.size
		}
	}
	if tfhd.end-p < need {
		return 0, fmt.Errorf("%w: short tfhd", ErrMalformed)
	}
	id := binary.BigEndian.Uint32(data[p:])
	p += 4
	t, err := r.track(id)
	if err != nil {
		return 0, err
	}
	def := t.defaults
	base := implicitBase
	if flags&tfhdBaseDataOffset != 0 {
		off := binary.BigEndian.Uint64(data[p:])
		if off > uint64(len(data)) {
			return 0, fmt.Errorf("%w: base_data_offset %d beyond %d bytes", ErrMalformed, off, len(data))
		}
		base = int(off)
		p += 8
	} else if flags&tfhdDefaultBaseIsMoof != 0 {
		base = moofStart
	}
	if flags&tfhdSampleDescription != 0 {
		p += 4
	}
	if flags&tfhdDefaultDuration != 0 {
		def.Duration = binary.BigEndian.Uint32(data[p:])
		p += 4
	}
	if flags&tfhdDefaultSize != 0 {
		def.Size = binary.BigEndian.Uint32(data[p:])
		p += 4
	}
	if flags&tfhdDefaultFlags != 0 {
		def.Flags = binary.BigEndian.Uint32(data[p:])
	}

	tfdt, ok, err := findChild(data, traf.body, traf.end, typTfdt)
	if err != nil {
		return 0, err
	}
	if ok {
		v, _, p, err := fullBox(data, tfdt)
		if err != nil {
			return 0, err
		}
		switch {
		case v == 1 && tfdt.end-p >= 8:
			t.next = binary.BigEndian.Uint64(data[p:])
		case v == 0 && tfdt.end-p >= 4:
			t.next = uint64(binary.BigEndian.Uint32(data[p:]))
		default:
			return 0, fmt.Errorf("%w: bad tfdt", ErrMalformed)
		}
		if t.next >= maxDecodeTime {
			return 0, fmt.Errorf("%w: tfdt %d out of range", ErrMalformed, t.next)
		}
		t.started = true
	} else if !t.started {
		return 0, fmt.Errorf("%w: track %d: traf without tfdt", ErrMalformed, id)
	}

	dataPos := base
	for pos := traf.body; pos < traf.end; {
		b, err := readBox(data, pos, traf.end)
		if err != nil {
			return 0, err
		}
		pos = b.end
		if b.typ != typTrun {
			continue
		}
		if dataPos, err = r.readTrun(b, t, def, base, dataPos); err != nil {
			return 0, fmt.Errorf("track %d: %w", id, err)
		}
	}
	return dataPos, nil
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

// readTrun appends the samples of one trun to t and returns the offset
// after their data.
func (r *moofReader) readTrun(trun box, t *trackRun, def SampleDefaults, base, dataPos int) (int, error) {
	data := r.data
	v, flags, p, err := fullBox(data, trun)
	if err != nil {
		return 0, err
	}
	if trun.end-p < 4 {
		return 0, fmt.Errorf("%w: short trun", ErrMalformed)
	}
	count := int(binary.BigEndian.Uint32(data[p:]))
	p += 4
	if count > maxSamples-r.total {
		return 0, fmt.Errorf("%w: more than %d samples", ErrMalformed, maxSamples)
	}
	if flags&trunDataOffset != 0 {
		if trun.end-p < 4 {
			return 0, fmt.Errorf("%w: short trun", ErrMalformed)
		}
		off := int64(base) + int64(int32(binary.BigEndian.Uint32(data[p:])))
		if off < 0 || off > int64(len(data)) {
			return 0, fmt.Errorf("%w: trun data_offset outside the input", ErrMalformed)
		}
		dataPos = int(off)
		p += 4
	}
	firstFlags, hasFirst := def.Flags, false
	if flags&trunFirstSampleFlags != 0 {
		if trun.end-p < 4 {
			return 0, fmt.Errorf("%w: short trun", ErrMalformed)
		}
		firstFlags, hasFirst = binary.BigEndian.Uint32(data[p:]), true
		p += 4
	}
	rec := 4 * bits.OnesCount32(flags&(trunSampleDuration|trunSampleSize|trunSampleFlags|trunSampleCompositionTO))
	if rec > 0 && (trun.end-p)/rec < count {
		return 0, fmt.Errorf("%w: trun of %d samples in %d bytes", ErrMalformed, count, trun.end-p)
	}
	if count > len(data)-dataPos { // every sample has at least one byte
		return 0, fmt.Errorf("%w: trun of %d samples with %d bytes of data left", ErrMalformed, count, len(data)-dataPos)
	}
	t.samples = slices.Grow(t.samples, count)
	r.total += count
	for i := range count {
		dur, size, sflags := def.Duration, def.Size, def.Flags
		var cto int64
		if i == 0 && hasFirst {
			sflags = firstFlags
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
			if v == 0 {
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
