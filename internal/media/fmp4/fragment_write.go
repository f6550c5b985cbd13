package fmp4

import (
	"encoding/binary"
	"fmt"
	"math"

	"boxcar/internal/media"
)

// Sample flags written by WriteFragment (ISO/IEC 14496-12 §8.8.3.1).
const (
	flagsSync    = 0x02000000 // depends on no other sample
	flagsNonSync = 0x01010000 // depends on others, not a sync sample
)

// Sizes of the fixed parts of a fragment written by AppendFragment.
const (
	mfhdSize       = 16
	tfhdSize       = 16 // track_ID only
	tfdtSize       = 20 // version 1
	trunHeaderSize = 20 // FullBox + sample_count + data_offset
)

// FragmentSize returns the size of the fragment WriteFragment writes for
// samples.
func FragmentSize(samples []media.Sample) int {
	n, _ := fragmentLayout(samples)
	return n
}

func fragmentLayout(samples []media.Sample) (size int, ctts bool) {
	data := 0
	for i := range samples {
		data += len(samples[i].Data)
		ctts = ctts || samples[i].PTSOffset != 0
	}
	rec := 12
	if ctts {
		rec = 16
	}
	return 8 + mfhdSize + 8 + tfhdSize + tfdtSize + trunHeaderSize + rec*len(samples) + 8 + data, ctts
}

// WriteFragment writes one CMAF fragment of a track: moof (mfhd with seq;
// traf with tfhd default-base-is-moof, tfdt version 1, and a trun with a
// data offset and per-sample duration, size, flags and, when any sample has
// one, version 1 signed composition offsets) followed by mdat. Sample
// times are in the track's timescale (the one WriteInit wrote) and DTS must
// increase. A fragment stores only the first decode time, so each written
// duration is the distance to the next sample's DTS (a gap lengthens the
// sample before it); the last sample keeps its Duration.
func WriteFragment(seq uint32, trackID uint32, samples []media.Sample) ([]byte, error) {
	return AppendFragment(nil, seq, trackID, samples)
}

// AppendFragment is WriteFragment appending to dst. With enough capacity in
// dst (FragmentSize) it does not allocate.
func AppendFragment(dst []byte, seq uint32, trackID uint32, samples []media.Sample) ([]byte, error) {
	if err := checkFragmentSamples(samples); err != nil {
		return dst, err
	}
	size, ctts := fragmentLayout(samples)
	if size > math.MaxUint32 {
		return dst, fmt.Errorf("fmp4: write fragment: %d bytes is too large", size)
	}
	start := len(dst)
	if cap(dst)-start < size {
		grown := make([]byte, start, start+size)
		copy(grown, dst)
		dst = grown
	}
	w := fragmentWriter{b: dst[start : start+size]}
	moofSize := w.moof(seq, trackID, samples, ctts)
	w.header(size-moofSize, typMdat)
	for i := range samples {
		w.p += copy(w.b[w.p:], samples[i].Data)
	}
	return dst[:start+size], nil
}

// checkFragmentSamples checks what WriteFragment needs of its samples: a
// non-negative first decode time, then increasing ones a 32-bit duration
// apart at most.
func checkFragmentSamples(samples []media.Sample) error {
	if len(samples) == 0 {
		return fmt.Errorf("fmp4: write fragment: no samples")
	}
	if samples[0].DTS < 0 {
		return fmt.Errorf("fmp4: write fragment: negative decode time %d", samples[0].DTS)
	}
	for i := 1; i < len(samples); i++ {
		if d := samples[i].DTS - samples[i-1].DTS; d <= 0 || d > math.MaxUint32 {
			return fmt.Errorf("fmp4: write fragment: sample %d has DTS %d after %d", i, samples[i].DTS, samples[i-1].DTS)
		}
	}
	return nil
}

// fragmentWriter writes boxes into b, which has exactly the room they need.
type fragmentWriter struct {
	b []byte
	p int
}

func (w *fragmentWriter) header(size int, typ uint32) {
	binary.BigEndian.PutUint32(w.b[w.p:], uint32(size))
	binary.BigEndian.PutUint32(w.b[w.p+4:], typ)
	w.p += 8
}

func (w *fragmentWriter) u32(v uint32) {
	binary.BigEndian.PutUint32(w.b[w.p:], v)
	w.p += 4
}

// moof writes the moof box of a fragment and returns its size.
func (w *fragmentWriter) moof(seq, trackID uint32, samples []media.Sample, ctts bool) int {
	rec := 12
	trunVersion, trunFlags := uint32(0), uint32(trunDataOffset|trunSampleDuration|trunSampleSize|trunSampleFlags)
	if ctts {
		rec, trunVersion, trunFlags = 16, 1, trunFlags|trunSampleCompositionTO
	}
	trunSize := trunHeaderSize + rec*len(samples)
	trafSize := 8 + tfhdSize + tfdtSize + trunSize
	moofSize := 8 + mfhdSize + trafSize

	w.header(moofSize, typMoof)
	w.header(mfhdSize, typMfhd)
	w.u32(0)
	w.u32(seq)
	w.header(trafSize, typTraf)
	w.header(tfhdSize, typTfhd)
	w.u32(tfhdDefaultBaseIsMoof)
	w.u32(trackID)
	w.header(tfdtSize, typTfdt)
	w.u32(1 << 24)
	binary.BigEndian.PutUint64(w.b[w.p:], uint64(samples[0].DTS))
	w.p += 8
	w.header(trunSize, typTrun)
	w.u32(trunVersion<<24 | trunFlags)
	w.u32(uint32(len(samples)))
	w.u32(uint32(moofSize + 8)) // data starts after the mdat header
	w.trunRecords(samples, ctts)
	return moofSize
}

// trunRecords writes a trun's per-sample duration, size, flags and, with
// ctts, composition offset.
func (w *fragmentWriter) trunRecords(samples []media.Sample, ctts bool) {
	for i := range samples {
		s := &samples[i]
		dur := s.Duration
		if i+1 < len(samples) {
			dur = uint32(samples[i+1].DTS - s.DTS)
		}
		w.u32(dur)
		w.u32(uint32(len(s.Data)))
		if s.Sync {
			w.u32(flagsSync)
		} else {
			w.u32(flagsNonSync)
		}
		if ctts {
			w.u32(uint32(s.PTSOffset))
		}
	}
}
